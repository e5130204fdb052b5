"""Monitoring pages: portfolios, subjects, the alert queue and one alert, through the real forms.

Officers of two teams sign in (sessions made through the service); the real UN list is imported
where alerts are needed, and subjects named like its entries raise them. Every form is posted as a
browser would (same-origin, with the session's CSRF token) and each test checks what the store
holds afterwards, not only the page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.audit.models import AuditEvent
from dignity.registry import services as registry
from dignity.screening.monitoring.models import (
    Alert,
    AlertDecision,
    MonitorRun,
    Portfolio,
    Subject,
    SubjectRevision,
)
from dignity.screening.monitoring.rescreen import screen_subjects
from dignity.screening.monitoring.subjects import add_subject
from dignity.screening.services import IndexCache
from dignity.security import sessions
from dignity.security.authz import Principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.sources.services import open_list
from factories.monitoring import portfolio, reviewer, team
from factories.security import browser

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
SAME_SITE = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}
HAMZA = "HAMZA USAMA MUHAMMAD BIN LADEN"
HAMZA_ID = "un-qdi.421"


@dataclass
class Officer:
    client: TestClient
    csrf: str
    principal: Principal

    def post(self, path: str, data: dict[str, object], **kwargs: object) -> Response:
        form = {"csrf_token": self.csrf, **data}
        return self.client.post(
            path, data=form, headers=SAME_SITE, follow_redirects=False, **kwargs
        )


def _officer(
    app: FastAPI,
    session: Session,
    settings: Settings,
    username: str,
    project: Project | None,
    role: Role = Role.SCREENING_OFFICER,
) -> Officer:
    principal = reviewer(session, username, project, role)
    user = session.get(User, principal.id)
    assert user is not None
    web_session, token = sessions.start_session(
        session, settings, user, sessions.ACTIVE, datetime.now(UTC)
    )
    session.commit()
    return Officer(browser(app, token), sessions.csrf_token(settings, web_session), principal)


@dataclass
class World:
    ours: Project
    theirs: Project
    officer: Officer  # of our team
    colleague: Officer  # of our team too
    stranger: Officer  # of the other team
    book: Portfolio  # ours
    other_book: Portfolio  # theirs


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings) -> World:
    ours, theirs = team(session, "Retail banking"), team(session, "Trade finance")
    officer = _officer(app, session, settings, "officer", ours)
    colleague = _officer(app, session, settings, "colleague", ours)
    stranger = _officer(app, session, settings, "stranger", theirs)
    book = portfolio(session, officer.principal, ours, "Retail customers")
    other_book = portfolio(session, stranger.principal, theirs, "Trade customers")
    session.commit()
    return World(ours, theirs, officer, colleague, stranger, book, other_book)


@pytest.fixture
def un_list(session: Session) -> None:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    session.commit()


def _watch(
    session: Session,
    principal: Principal,
    book: Portfolio,
    reference: str,
    name: str,
    **properties: str,
) -> Subject:
    """A subject registered and screened through the services, as the pages do."""
    subject = add_subject(
        session,
        principal,
        book,
        reference=reference,
        schema="Person",
        properties={"name": [name], **{k: [v] for k, v in properties.items()}},
    )
    screen_subjects(
        session, IndexCache().get(session), [subject.id], actor=principal.actor, trigger="test"
    )
    session.commit()
    return subject


def _alert_of(session: Session, subject: Subject) -> Alert:
    session.expire_all()
    return session.execute(
        select(Alert).where(Alert.subject_id == subject.id, Alert.entity_id == HAMZA_ID)
    ).scalar_one()


# --- the overview and who sees what -----------------------------------------------------------


def test_the_overview_shows_the_callers_portfolios_and_no_others(world: World) -> None:
    page = world.officer.client.get("/monitoring")
    assert page.status_code == 200
    assert '<a href="/monitoring" aria-current="page">Monitoring</a>' in page.text
    assert "Retail customers" in page.text
    assert "Retail banking" in page.text
    assert "Trade customers" not in page.text
    # The new-portfolio form offers the caller's own teams only.
    assert f'<option value="{world.ours.id}"' in page.text
    assert f'<option value="{world.theirs.id}"' not in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/monitoring/portfolios/{other}",
        "/monitoring/portfolios/{other}/alerts",
        "/monitoring/alerts/{alert}",
        "/monitoring/subjects/{subject}",
    ],
)
def test_another_teams_records_answer_exactly_like_a_missing_id(
    world: World, session: Session, un_list: None, path: str
) -> None:
    subject = _watch(session, world.stranger.principal, world.other_book, "T-1", "Hamza bin Laden")
    alert = _alert_of(session, subject)
    theirs = path.format(other=world.other_book.id, alert=alert.id, subject=subject.id)
    missing = path.format(other="no-such-id", alert="no-such-id", subject="no-such-id")
    hidden = world.officer.client.get(theirs)
    absent = world.officer.client.get(missing)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text == absent.text
    assert world.stranger.client.get(theirs).status_code == 200  # their own team sees it


def test_deciding_another_teams_alert_is_not_found_and_changes_nothing(
    world: World, session: Session, un_list: None
) -> None:
    subject = _watch(session, world.stranger.principal, world.other_book, "T-1", "Hamza bin Laden")
    alert = _alert_of(session, subject)
    answer = world.officer.post(
        f"/monitoring/alerts/{alert.id}/decide",
        {"decision": "true_match", "revision": alert.revision},
    )
    assert answer.status_code == 404
    answer = world.officer.post(
        f"/monitoring/portfolios/{world.other_book.id}/alerts/decide",
        {"alert": alert.id, "decision": "needs_info", "note": "passport copy"},
    )
    assert answer.status_code == 404
    # Nor through our own portfolio's bulk form.
    answer = world.officer.post(
        f"/monitoring/portfolios/{world.book.id}/alerts/decide",
        {"alert": alert.id, "decision": "needs_info", "note": "passport copy"},
    )
    assert answer.status_code == 404
    assert _alert_of(session, subject).status == "open"
    assert session.execute(select(func.count()).select_from(AlertDecision)).scalar_one() == 0


def test_a_viewer_has_no_monitoring_and_an_analyst_may_only_read(
    app: FastAPI, session: Session, settings: Settings, world: World
) -> None:
    viewer = _officer(app, session, settings, "viewer", world.ours, Role.VIEWER)
    assert viewer.client.get("/monitoring").status_code == 403
    assert 'href="/monitoring"' not in viewer.client.get("/").text
    analyst = _officer(app, session, settings, "analyst", world.ours, Role.ANALYST)
    page = analyst.client.get(f"/monitoring/portfolios/{world.book.id}")
    assert page.status_code == 200
    assert "Add a subject" not in page.text
    answer = analyst.post(
        f"/monitoring/portfolios/{world.book.id}/subjects",
        {"reference": "C-1", "schema": "Person", "name": "Someone Else"},
    )
    assert answer.status_code == 403
    assert session.execute(select(func.count()).select_from(Subject)).scalar_one() == 0


# --- portfolios ------------------------------------------------------------------------------


def test_a_portfolio_is_created_through_the_form(world: World, session: Session) -> None:
    answer = world.officer.post(
        "/monitoring/portfolios",
        {
            "name": "Suppliers",
            "project_id": world.ours.id,
            "threshold": "0.85",
            "four_eyes": "true",
        },
    )
    assert answer.status_code == 303
    created = session.execute(select(Portfolio).where(Portfolio.name == "Suppliers")).scalar_one()
    assert (created.project_id, created.threshold, created.four_eyes) == (world.ours.id, 0.85, True)
    assert answer.headers["location"] == f"/monitoring/portfolios/{created.id}?done=created"
    page = world.officer.client.get(answer.headers["location"])
    assert "The portfolio was created." in page.text


@pytest.mark.parametrize(
    ("fields", "field_id"),
    [
        ({"threshold": "0.3"}, "threshold-error"),
        ({"threshold": "high"}, "threshold-error"),
        ({"name": "  "}, "name-error"),
        ({"project_id": "other-team"}, "project_id-error"),
    ],
)
def test_a_portfolio_form_with_a_problem_names_the_field(
    world: World, session: Session, fields: dict[str, str], field_id: str
) -> None:
    form = {"name": "Suppliers", "project_id": world.ours.id, "threshold": "0.8", **fields}
    if fields.get("project_id") == "other-team":
        form["project_id"] = world.theirs.id  # a team the officer is not in
    answer = world.officer.post("/monitoring/portfolios", form)
    assert answer.status_code == 422
    assert f'id="{field_id}"' in answer.text
    assert session.execute(select(func.count()).select_from(Portfolio)).scalar_one() == 2


def test_every_form_needs_its_csrf_token(world: World, session: Session) -> None:
    answer = world.officer.client.post(
        "/monitoring/portfolios",
        data={"csrf_token": "forged", "name": "Suppliers", "project_id": world.ours.id},
        headers=SAME_SITE,
    )
    assert answer.status_code == 403
    answer = world.officer.client.post(
        "/monitoring/rescreen",
        data={"csrf_token": world.officer.csrf},
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert answer.status_code == 403
    assert session.execute(select(func.count()).select_from(Portfolio)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(MonitorRun)).scalar_one() == 0


def test_a_new_threshold_re_screens_the_portfolio_in_the_background(
    app: FastAPI, world: World, session: Session, un_list: None
) -> None:
    _watch(session, world.officer.principal, world.book, "C-1", "Hamza bin Laden")
    answer = world.officer.post(
        f"/monitoring/portfolios/{world.book.id}/settings",
        {"threshold": "0.9", "four_eyes": "true", "revision": world.book.revision},
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("done=settings-rescreen")
    app.state.monitor_jobs.wait(60)
    session.expire_all()
    book = session.get(Portfolio, world.book.id)
    assert book is not None
    assert (book.threshold, book.four_eyes) == (0.9, True)
    run = session.execute(select(MonitorRun).where(MonitorRun.kind == "full")).scalar_one()
    assert (run.portfolio_id, run.status, run.subjects_total) == (book.id, "done", 1)
    # A form made from the old revision is refused, and says so.
    stale = world.officer.post(
        f"/monitoring/portfolios/{book.id}/settings",
        {"threshold": "0.7", "revision": book.revision - 1},
    )
    assert stale.status_code == 409
    assert "someone changed this portfolio" in stale.text
    session.expire_all()
    assert session.get(Portfolio, book.id).threshold == 0.9  # type: ignore[union-attr]


def test_re_screen_now_runs_a_pass_and_the_panel_polls_only_while_one_runs(
    app: FastAPI, world: World, session: Session, un_list: None
) -> None:
    _watch(session, world.officer.principal, world.book, "C-1", "Hamza bin Laden")
    answer = world.officer.post("/monitoring/rescreen", {})
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/monitoring?done=pass-started",
    )
    app.state.monitor_jobs.wait(60)
    session.expire_all()
    run = session.execute(select(MonitorRun).where(MonitorRun.kind == "delta")).scalar_one()
    assert run.status == "done"
    opened = world.officer.client.get("/monitoring/runs", follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, "/monitoring")
    htmx = {"HX-Request": "true"}
    panel = world.officer.client.get("/monitoring/runs", headers=htmx)
    assert 'data-running="false"' in panel.text
    assert "hx-trigger" not in panel.text
    assert 'id="runs-announce" hx-swap-oob="innerHTML"' in panel.text
    # A pass still running: the panel fetches itself again.
    run.status = "running"
    session.commit()
    panel = world.officer.client.get("/monitoring/runs", headers=htmx)
    assert 'hx-trigger="every 2s"' in panel.text
    assert "<progress" in panel.text


# --- subjects --------------------------------------------------------------------------------


def test_a_subject_added_by_form_is_screened_at_once_and_its_alert_shown(
    world: World, session: Session, un_list: None
) -> None:
    answer = world.officer.post(
        f"/monitoring/portfolios/{world.book.id}/subjects",
        {
            "reference": "C-0042",
            "schema": "Person",
            "name": "Hamza bin Laden",
            "aliases": "Hamza Usama\r\n\r\nH. bin Laden",
            "birth_date": "1989-05-09",
            "nationality": "Saudi Arabia",
            "id_numbers": "",
        },
    )
    assert answer.status_code == 303
    subject = session.execute(select(Subject).where(Subject.reference == "C-0042")).scalar_one()
    assert json.loads(subject.properties) == {
        "alias": ["Hamza Usama", "H. bin Laden"],
        "birthDate": ["1989-05-09"],
        "name": ["Hamza bin Laden"],
        "nationality": ["sa"],
    }
    alert = _alert_of(session, subject)
    assert alert.status == "open"
    page = world.officer.client.get(answer.headers["location"])
    assert "screened against the current lists" in page.text
    assert f'<a href="/monitoring/alerts/{alert.id}"><bdi>{HAMZA}</bdi></a>' in page.text
    # The overview notifies the team with counts and a link, never who the subject is.
    overview = world.officer.client.get("/monitoring").text
    notes = re.search(
        r'<section class="panel" aria-labelledby="notes-h">.*?</section>', overview, re.S
    )
    assert notes is not None
    assert f'href="/monitoring/portfolios/{world.book.id}/alerts"' in notes.group(0)
    assert "1 new alert" in notes.group(0)
    assert "Hamza" not in notes.group(0)
    assert "C-0042" not in notes.group(0)
    # The subjects list finds it by reference or by name.
    found = world.officer.client.get(f"/monitoring/portfolios/{world.book.id}?q=bin+lad").text
    assert "C-0042" in found
    assert (
        "C-0042"
        not in world.officer.client.get(f"/monitoring/portfolios/{world.book.id}?q=nobody").text
    )


@pytest.mark.parametrize(
    ("fields", "status", "field_id"),
    [
        ({"name": "", "id_numbers": ""}, 422, "name-error"),
        ({"reference": ""}, 422, "reference-error"),
        ({"schema": "Vessel", "birth_date": "1970"}, 422, "birth_date-error"),
    ],
)
def test_a_subject_form_with_a_problem_names_the_field(
    world: World, session: Session, fields: dict[str, str], status: int, field_id: str
) -> None:
    form = {"reference": "C-1", "schema": "Person", "name": "Ann Example", **fields}
    answer = world.officer.post(f"/monitoring/portfolios/{world.book.id}/subjects", form)
    assert answer.status_code == status
    assert f'id="{field_id}"' in answer.text
    assert session.execute(select(func.count()).select_from(Subject)).scalar_one() == 0


def test_a_subject_is_edited_from_its_revision_retired_and_its_history_exported(
    world: World, session: Session, un_list: None
) -> None:
    subject = _watch(session, world.officer.principal, world.book, "C-7", "Ann Example")
    path = f"/monitoring/subjects/{subject.id}"
    form = {"schema": "Person", "name": "Hamza bin Laden", "reason": "married name"}
    answer = world.officer.post(path, {**form, "revision": subject.revision})
    assert (answer.status_code, answer.headers["location"]) == (303, f"{path}?done=saved")
    session.expire_all()
    assert session.get(Subject, subject.id).caption == "Hamza bin Laden"  # type: ignore[union-attr]
    assert _alert_of(session, subject).status == "open"  # screened again at once
    # From the old revision: refused, with the current values shown.
    stale = world.officer.post(path, {**form, "name": "Someone Else", "revision": 1})
    assert stale.status_code == 409
    assert "someone changed it since you opened the page" in stale.text
    assert 'value="Hamza bin Laden"' in stale.text
    # Retiring needs a reason.
    current = session.get(Subject, subject.id)
    assert current is not None
    refused = world.officer.post(
        f"{path}/active", {"active": "false", "reason": " ", "revision": current.revision}
    )
    assert refused.status_code == 422
    retired = world.officer.post(
        f"{path}/active",
        {"active": "false", "reason": "account closed", "revision": current.revision},
    )
    assert retired.status_code == 303
    session.expire_all()
    actions = session.execute(
        select(SubjectRevision.action, SubjectRevision.reason)
        .where(SubjectRevision.subject_id == subject.id)
        .order_by(SubjectRevision.revision)
    ).all()
    assert [tuple(a) for a in actions] == [
        ("created", ""),
        ("updated", "married name"),
        ("retired", "account closed"),
    ]
    # The history downloads as JSON, and the export is audited.
    exported = world.officer.post(f"{path}/history", {})
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    history = exported.json()
    assert history["subject"]["reference"] == "C-7"
    assert [r["action"] for r in history["revisions"]] == ["created", "updated", "retired"]
    assert history["alerts"][0]["entity"]["id"] == HAMZA_ID
    events = (
        session.execute(select(AuditEvent).where(AuditEvent.action == "subject.history_exported"))
        .scalars()
        .all()
    )
    assert [(e.object_id, e.actor) for e in events] == [(subject.id, world.officer.principal.actor)]


def test_an_uploaded_file_is_refused_with_its_problems_named_by_row(
    world: World, session: Session, un_list: None
) -> None:
    bad = "ref,Full Name\nC-1,Hamza bin Laden\n,No Reference\nC-1,Twice The Same\nC-4,\n"
    answer = world.officer.post(
        f"/monitoring/portfolios/{world.book.id}/upload",
        {"id_column": "ref", "name_column": "Full Name", "schema": "Person"},
        files={"file": ("customers.csv", bad.encode(), "text/csv")},
    )
    assert answer.status_code == 422
    assert "nothing was stored" in answer.text
    for row in ("customers.csv, row 3", "customers.csv, row 4", "customers.csv, row 5"):
        assert row in answer.text
    assert "is also on row 2" in answer.text
    assert session.execute(select(func.count()).select_from(Subject)).scalar_one() == 0

    good = "ref,Full Name,DOB\nC-1,Hamza bin Laden,1989-05-09\nC-2,Oduya Fenwright,1970\n"
    answer = world.officer.post(
        f"/monitoring/portfolios/{world.book.id}/upload",
        {
            "id_column": "ref",
            "name_column": "Full Name",
            "birth_date_column": "DOB",
            "schema": "Person",
        },
        files={"file": ("customers.csv", good.encode(), "text/csv")},
    )
    assert answer.status_code == 200
    text = " ".join(answer.text.split())
    assert "customers.csv</bdi>: 2 added, 0 updated, 0 unchanged; 1 new alert, 0 changed." in text
    references = session.execute(select(Subject.reference).order_by(Subject.reference)).scalars()
    assert list(references) == ["C-1", "C-2"]
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 1


def test_an_upload_without_its_token_stores_nothing(world: World, session: Session) -> None:
    answer = world.officer.client.post(
        f"/monitoring/portfolios/{world.book.id}/upload",
        data={"csrf_token": "forged", "id_column": "ref"},
        files={"file": ("customers.csv", b"ref,name\nC-1,Ann Example\n", "text/csv")},
        headers=SAME_SITE,
    )
    assert answer.status_code == 403
    assert session.execute(select(func.count()).select_from(Subject)).scalar_one() == 0


# --- alerts ----------------------------------------------------------------------------------


def test_a_false_positive_decided_from_the_queue_form(
    world: World, session: Session, un_list: None
) -> None:
    subject = _watch(session, world.officer.principal, world.book, "C-1", "Hamza bin Laden")
    alert = _alert_of(session, subject)
    queue = world.officer.client.get(f"/monitoring/portfolios/{world.book.id}/alerts")
    assert queue.status_code == 200
    assert f'data-alert="{alert.id}"' in queue.text
    assert re.search(r'<option value="dob-differs"\s*>Date of birth differs</option>', queue.text)
    url = f"/monitoring/portfolios/{world.book.id}/alerts/decide"
    # Without a reason: refused, nothing decided, the selection kept.
    refused = world.officer.post(url, {"alert": alert.id, "decision": "false_positive"})
    assert refused.status_code == 422
    assert "Reason: choose a reason" in refused.text
    assert f'value="{alert.id}" id="sel-{alert.id}" checked' in refused.text
    assert _alert_of(session, subject).status == "open"
    answer = world.officer.post(
        url,
        {
            "alert": alert.id,
            "decision": "false_positive",
            "reason": "dob-differs",
            "note": "born 1975",
            "back": "status=open&min_score=0.5&evil=1",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"/monitoring/portfolios/{world.book.id}/alerts?status=open&min_score=0.5&done=bulk&count=1"
    )
    assert _alert_of(session, subject).status == "false_positive"
    decision = session.execute(select(AlertDecision)).scalar_one()
    assert (decision.decision, decision.reason_code, decision.note, decision.actor) == (
        "false_positive",
        "dob-differs",
        "born 1975",
        world.officer.principal.actor,
    )
    after = world.officer.client.get(answer.headers["location"])
    assert "1 alert decided." in after.text
    assert f'data-alert="{alert.id}"' not in after.text  # no longer open
    closed = world.officer.client.get(
        f"/monitoring/portfolios/{world.book.id}/alerts?status=false_positive"
    )
    assert f'data-alert="{alert.id}"' in closed.text


def test_queue_filters_are_checked_and_applied(
    world: World, session: Session, un_list: None
) -> None:
    subject = _watch(session, world.officer.principal, world.book, "C-1", "Hamza bin Laden")
    (listed_on,) = json.loads(_alert_of(session, subject).datasets)
    base = f"/monitoring/portfolios/{world.book.id}/alerts"
    assert 'id="min_score-error"' in world.officer.client.get(f"{base}?min_score=high").text
    assert world.officer.client.get(f"{base}?min_score=high").status_code == 422
    assert world.officer.client.get(f"{base}?older=-3").status_code == 422
    raised = session.execute(select(func.count()).select_from(Alert)).scalar_one()
    assert raised >= 1
    listed = world.officer.client.get(f"{base}?dataset={listed_on}").text
    assert f"{raised} alert{'s' if raised != 1 else ''}," in listed
    assert "0 alerts," in world.officer.client.get(f"{base}?dataset=us_ofac_sdn").text
    assert "0 alerts," in world.officer.client.get(f"{base}?min_score=0.99&max_score=0.995").text
    assert "0 alerts," in world.officer.client.get(f"{base}?older=3").text


def test_an_alert_page_shows_both_sides_and_the_explanation(
    world: World, session: Session, un_list: None
) -> None:
    subject = _watch(
        session, world.officer.principal, world.book, "C-1", "Hamza bin Laden", birthDate="1989"
    )
    alert = _alert_of(session, subject)
    page = world.officer.client.get(f"/monitoring/alerts/{alert.id}")
    assert page.status_code == 200
    assert f'<a href="/registry/entities/{HAMZA_ID}"><code>{HAMZA_ID}</code></a>' in page.text
    assert "Date of birth" in page.text
    assert "Date agrees" in page.text  # the score's explanation
    assert 'id="decide-true_match"' in page.text
    assert f'name="revision" value="{alert.revision}"' in page.text
    assert "The match is gone" not in page.text
    alert.gone_at = datetime.now(UTC)
    alert.changes = json.dumps(
        {"entity": {"alias": {"added": ["Hamza Newname"], "removed": ["Old Alias"]}}, "subject": {}}
    )
    session.commit()
    page = world.officer.client.get(f"/monitoring/alerts/{alert.id}")
    assert "The match is gone." in page.text
    assert '<del dir="auto">Old Alias</del>' in page.text


def test_a_decision_from_an_outdated_page_is_refused_with_a_message(
    world: World, session: Session, un_list: None
) -> None:
    subject = _watch(session, world.officer.principal, world.book, "C-1", "Hamza bin Laden")
    alert = _alert_of(session, subject)
    url = f"/monitoring/alerts/{alert.id}/decide"
    first = world.colleague.post(
        url, {"decision": "needs_info", "note": "ask for the passport", "revision": alert.revision}
    )
    assert first.status_code == 303
    late = world.officer.post(url, {"decision": "true_match", "revision": alert.revision})
    assert late.status_code == 409
    assert "changed by someone else" in late.text
    assert _alert_of(session, subject).status == "needs_info"


def test_four_eyes_the_reviewer_who_escalated_cannot_confirm(
    world: World, session: Session, un_list: None
) -> None:
    world.book.four_eyes = True
    session.commit()
    subject = _watch(session, world.officer.principal, world.book, "C-1", "Hamza bin Laden")
    alert = _alert_of(session, subject)
    url = f"/monitoring/alerts/{alert.id}/decide"
    answer = world.officer.post(url, {"decision": "true_match", "revision": alert.revision})
    assert answer.status_code == 303
    alert = _alert_of(session, subject)
    assert alert.status == "escalated"
    page = world.officer.client.get(f"/monitoring/alerts/{alert.id}").text
    assert "a second reviewer, not you, confirms it" in page
    assert "Confirm the true match</button>" not in page
    refused = world.officer.post(url, {"decision": "confirm", "revision": alert.revision})
    assert refused.status_code == 403
    assert "A second reviewer, not the first, confirms a true match." in refused.text
    assert _alert_of(session, subject).status == "escalated"
    page = world.colleague.client.get(f"/monitoring/alerts/{alert.id}").text
    assert "Confirm the true match</button>" in page
    confirmed = world.colleague.post(url, {"decision": "confirm", "revision": alert.revision})
    assert confirmed.status_code == 303
    assert _alert_of(session, subject).status == "true_match"
    actors = session.execute(
        select(AlertDecision.decision, AlertDecision.actor).order_by(AlertDecision.at)
    ).all()
    assert [tuple(a) for a in actors] == [
        ("true_match", world.officer.principal.actor),
        ("confirm", world.colleague.principal.actor),
    ]
