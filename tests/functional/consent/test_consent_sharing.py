"""Consent and sharing through the services: a share outside anyone's consent is refused with the
reason (by person code) and leaves nothing but an audit event; after a withdrawal, a share that
was allowed before is refused and the earlier shares are listed until their recipients are told;
guardians' names and conditions are sealed (a canary appears in no column and no audit event)."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from vault_helpers import new_canary, project_with_investigator

from dignity.audit.models import AuditEvent
from dignity.consent.models import Consent, Share, SharedPerson
from dignity.consent.services import (
    ConsentCreate,
    NotificationCreate,
    PromiseCreate,
    PromiseUpdate,
    ShareCreate,
    WithdrawalCreate,
    parse,
)
from dignity.documentation import consents
from dignity.documentation import services as docs
from dignity.exc import InvalidInput, NotFound, PermissionDenied
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.models import Project
from dignity.security.permissions import Role
from factories.documentation import story
from factories.monitoring import reviewer, team

TODAY = date.today()  # noqa: DTZ011 (consent dates are calendar days)


def _consent(**values: Any) -> ConsentCreate:
    return ConsentCreate(
        **{
            "scopes": ["documentation", "share.un-mechanism"],
            "given_on": TODAY,
            "method": "written",
            "language": "ar",
            **values,
        }
    )


def _to(kind: str = "un-mechanism", identity: bool = False, **more: Any) -> ShareCreate:
    return ShareCreate(
        recipient_kind=kind,  # type: ignore[arg-type]
        recipient_name="OHCHR Sudan team",
        purpose="Submission on detention in El Geneina",
        includes_identity=identity,
        **more,
    )


def _setup(session: Session) -> tuple[Project, Principal, dict[str, str], str]:
    project, investigator = project_with_investigator(session)
    ids = story(session, investigator, project)
    source = docs.create_record(
        session, investigator, "persons", project.id, {"kind": "individual"}
    )
    return project, investigator, ids, source.id


def _code(session: Session, person_id: str) -> str:
    return session.get(docs.Person, person_id).code  # type: ignore[union-attr]


def test_a_share_outside_the_consent_is_refused_with_the_reason(
    session: Session, keyring: Keyring
) -> None:
    project, who, ids, _ = _setup(session)
    victim = ids["victim"]
    code = _code(session, victim)

    with pytest.raises(consents.ShareRefused) as refused:
        consents.share(session, who, keyring, project.id, _to(person_ids=[victim]))
    assert refused.value.decision.reasons == {code: ["no consent is recorded"]}

    consents.record_person_consent(session, who, keyring, victim, _consent())
    with pytest.raises(consents.ShareRefused) as refused:
        consents.share(session, who, keyring, project.id, _to("prosecutor", person_ids=[victim]))
    assert refused.value.decision.reasons == {
        code: ["consent does not cover sharing with a prosecutor or court"]
    }
    with pytest.raises(consents.ShareRefused) as refused:
        consents.share(session, who, keyring, project.id, _to(identity=True, person_ids=[victim]))
    assert refused.value.decision.reasons == {code: ["consent does not cover sharing who they are"]}
    assert session.execute(select(Share)).scalars().all() == []
    refusals = session.execute(
        select(AuditEvent).where(AuditEvent.action == "consent.share_refused")
    ).scalars()
    assert [json.loads(e.details)["persons"] for e in refusals] == [[code]] * 3


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"provisional": True}, "consent is provisional: it covers documentation only"),
        (
            {"given_on": TODAY - timedelta(days=10), "expires_on": TODAY - timedelta(days=1)},
            f"consent expired on {(TODAY - timedelta(days=1)).isoformat()}",
        ),
        ({"scopes": ["documentation"]}, "consent does not cover sharing with a UN mechanism"),
    ],
)
def test_provisional_expired_and_narrow_consents_do_not_cover_a_share(
    session: Session, keyring: Keyring, values: dict[str, Any], reason: str
) -> None:
    _project, who, ids, _ = _setup(session)
    consents.record_person_consent(session, who, keyring, ids["victim"], _consent(**values))
    decision = docs.check_share(session, [ids["victim"]], "un-mechanism", "a report", False)
    assert (decision.allowed, decision.reasons) == (
        False,
        {_code(session, ids["victim"]): [reason]},
    )


def test_after_withdrawal_an_allowed_share_is_refused_and_past_shares_are_listed(
    session: Session, keyring: Keyring
) -> None:
    project, who, ids, _ = _setup(session)
    victim = ids["victim"]
    given = consents.record_person_consent(session, who, keyring, victim, _consent())

    package = consents.share(session, who, keyring, project.id, _to(person_ids=[victim]))
    assert package.share.sha256 == hashlib.sha256(package.content).hexdigest()
    sent = json.loads(package.content)
    assert [p["code"] for p in sent["persons"]] == [_code(session, victim)]
    assert "identity" not in sent["persons"][0]
    assert "entered_by" not in sent["persons"][0]["record"]
    (logged,) = session.execute(select(SharedPerson)).scalars()
    assert (logged.person_id, logged.consent_id) == (victim, given.id)

    result = docs.withdraw(
        session,
        who,
        keyring,
        victim,
        WithdrawalCreate(given_on=TODAY, method="oral", note="asked by telephone"),
    )
    assert (result.consent.action, result.consent.scopes) == ("withdrawn", [])
    assert [(s.recipient_name, s.to_notify) for s in result.shares] == [("OHCHR Sudan team", True)]
    with pytest.raises(consents.ShareRefused) as refused:
        consents.share(session, who, keyring, project.id, _to(person_ids=[victim]))
    assert refused.value.decision.reasons == {
        _code(session, victim): [f"consent was withdrawn on {TODAY.isoformat()}"]
    }
    history = consents.person_consents(session, who, keyring, victim)
    assert [(c.action, c.current) for c in history] == [("withdrawn", True), ("given", False)]

    notice = consents.record_notification(
        session,
        who,
        package.share.id,
        NotificationCreate(how="email", notified_on=TODAY, notified_by="Salma (caseworker)"),
    )
    assert notice.how == "email"
    (after,) = consents.person_shares(session, who, victim)
    assert (after.to_notify, [n.notified_by for n in after.notified]) == (
        False,
        ["Salma (caseworker)"],
    )


def test_withdrawing_some_scopes_keeps_the_rest(session: Session, keyring: Keyring) -> None:
    _project, who, ids, _ = _setup(session)
    victim = ids["victim"]
    consents.record_person_consent(
        session,
        who,
        keyring,
        victim,
        _consent(scopes=["documentation", "share.un-mechanism", "share.ngo"]),
    )
    docs.withdraw(
        session,
        who,
        keyring,
        victim,
        WithdrawalCreate(scopes=["share.un-mechanism"], given_on=TODAY, method="written"),
    )
    assert docs.check_share(session, [victim], "ngo", "referral", False).allowed
    refused = docs.check_share(session, [victim], "un-mechanism", "report", False)
    assert refused.reasons == {
        _code(session, victim): [
            f"consent to sharing with a UN mechanism was withdrawn on {TODAY.isoformat()}"
        ]
    }


def test_a_share_by_event_needs_the_consent_of_every_victim_and_source(
    session: Session, keyring: Keyring
) -> None:
    project, who, ids, source = _setup(session)
    docs.create_record(
        session,
        who,
        "information",
        project.id,
        {
            "source_id": source,
            "event_id": ids["event"],
            "material_type": "material.testimony.interview",
        },
    )
    consents.record_person_consent(session, who, keyring, ids["victim"], _consent())
    with pytest.raises(consents.ShareRefused) as refused:
        consents.share(session, who, keyring, project.id, _to(event_id=ids["event"]))
    # The second victim and the source have no consent; the first is covered.
    assert sorted(refused.value.decision.reasons) == sorted(
        p.code
        for p in docs.list_records(session, who, "persons")[0]
        if p.id not in (ids["victim"], ids["unit"])
    )


def test_a_testimony_with_its_own_narrower_consent_refuses_the_share(
    session: Session, keyring: Keyring
) -> None:
    project, who, ids, source = _setup(session)
    info = docs.create_record(
        session, who, "information", project.id, {"source_id": source, "event_id": ids["event"]}
    )
    consents.record_person_consent(session, who, keyring, source, _consent())
    assert docs.check_share(session, [source], "un-mechanism", "report", False).allowed
    consents.record_person_consent(
        session, who, keyring, source, _consent(scopes=["documentation"], information_id=info.id)
    )
    decision = docs.check_share(session, [source], "un-mechanism", "report", False)
    assert decision.reasons == {
        _code(session, source): [
            f"consent for testimony {info.id[:8]} does not cover sharing with a UN mechanism"
        ]
    }
    with pytest.raises(InvalidInput):
        consents.record_person_consent(
            session, who, keyring, ids["victim"], _consent(information_id=info.id)
        )


def test_guardian_names_and_conditions_are_sealed(
    session: Session, keyring: Keyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    canary = new_canary()
    _, who, ids, _ = _setup(session)
    recorded = consents.record_person_consent(
        session,
        who,
        keyring,
        ids["victim"],
        _consent(given_by="guardian", representative=f"Aunt {canary}", conditions=f"no {canary}"),
    )
    assert (recorded.representative, recorded.notes) == (f"Aunt {canary}", f"no {canary}")
    assert canary not in repr(recorded)
    session.flush()
    for table in ("consents", "audit_events"):
        for row in session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 (fixed names)
            assert canary not in repr(tuple(row))
    with pytest.raises(InvalidInput) as problem:
        parse(
            ConsentCreate,
            {
                "given_by": "guardian",
                "scopes": ["documentation"],
                "given_on": "2026-01-01",
                "method": "oral",
                "language": canary,
            },
            "consent",
        )
    assert canary not in str(problem.value.errors)
    assert canary not in caplog.text


def test_consent_is_need_to_know_and_stays_in_its_project(
    session: Session, keyring: Keyring
) -> None:
    project, _who, ids, _ = _setup(session)
    analyst = reviewer(session, "analyst", project, Role.ANALYST)
    with pytest.raises(NotFound):
        consents.person_consents(session, analyst, keyring, ids["victim"])
    outsider = reviewer(session, "outsider", team(session, "Other"), Role.INVESTIGATOR)
    with pytest.raises(NotFound):
        consents.record_person_consent(session, outsider, keyring, ids["victim"], _consent())
    with pytest.raises(NotFound):
        consents.share(session, outsider, keyring, project.id, _to(person_ids=[ids["victim"]]))
    with pytest.raises(PermissionDenied):
        consents.share(session, analyst, keyring, project.id, _to(person_ids=[ids["victim"]]))
    assert session.execute(select(Consent)).scalars().all() == []


def test_the_identity_travels_only_when_consented_and_others_accounts_stay_out(
    session: Session, keyring: Keyring
) -> None:
    canary = new_canary()
    project, who, ids, source = _setup(session)
    victim = ids["victim"]
    docs.set_person_identity(session, who, keyring, victim, {"names": [{"name": canary}]})
    # The source's account about the victim is the source's, under the source's consent.
    docs.create_record(
        session,
        who,
        "information",
        project.id,
        {"source_id": source, "person_id": victim, "remarks": f"about {canary}"},
    )
    consents.record_person_consent(
        session,
        who,
        keyring,
        victim,
        _consent(scopes=["documentation", "share.un-mechanism", "identity"]),
    )
    with_identity = consents.share(
        session, who, keyring, project.id, _to(identity=True, person_ids=[victim])
    )
    (entry,) = with_identity.document["persons"]
    assert entry["identity"]["names"][0]["name"] == canary
    assert entry["testimony"] == []
    without = consents.share(session, who, keyring, project.id, _to(person_ids=[victim]))
    assert canary not in without.content.decode()


def test_promise_notes_are_sealed_and_overdue_ones_listed(
    session: Session, keyring: Keyring
) -> None:
    canary = new_canary()
    project, who, ids, _ = _setup(session)
    late = consents.add_person_promise(
        session,
        who,
        keyring,
        ids["victim"],
        PromiseCreate(
            kind="referral.legal",
            due_on=TODAY - timedelta(days=1),
            responsible="Lawyer",
            notes=f"Clinic at {canary}",
        ),
    )
    consents.add_person_promise(
        session,
        who,
        keyring,
        ids["victim"],
        PromiseCreate(kind="copy", due_on=TODAY, responsible="Interviewer"),
    )
    overdue = consents.project_overdue_promises(session, who, keyring, project.id)
    assert [(code, p.id, p.notes) for code, p in overdue] == [
        (_code(session, ids["victim"]), late.id, f"Clinic at {canary}")
    ]
    session.flush()
    for row in session.execute(text("SELECT * FROM consent_promises")):
        assert canary not in repr(tuple(row))
    consents.set_promise_status(
        session, who, keyring, late.id, PromiseUpdate(status="cancelled", notes="Moved away")
    )
    assert consents.project_overdue_promises(session, who, keyring, project.id) == []
