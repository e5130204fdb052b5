"""The consent panel of the person page: need-to-know staff record consent, share (a download, or a
page naming whose consent does not cover it), withdraw and mark recipients notified, and keep
promises; staff without need-to-know see no panel and get 404 from every form."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.consent.models import Share
from dignity.documentation import services as docs
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.monitoring import team
from factories.web import staff

TODAY = date.today()  # noqa: DTZ011 (consent dates are calendar days)


def test_record_share_withdraw_and_notify_on_the_person_page(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    project = team(session, "Sinjar")
    investigator = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    person = docs.create_record(
        session, investigator.principal, "persons", project.id, {"kind": "individual"}
    )
    session.commit()
    page = f"/records/persons/{person.id}"
    shown = investigator.client.get(page)
    assert "No consent is recorded" in shown.text
    assert 'id="consent-language"' in shown.text

    recorded = investigator.post(
        f"/consent/persons/{person.id}/consents",
        {
            "scopes": ["documentation", "share.un-mechanism"],
            "given_on": TODAY.isoformat(),
            "method": "oral",
            "through": "interpreter",
            "language": "ar",
            "language_other": "ku",
        },
    )
    assert recorded.status_code == 303
    shown = investigator.client.get(page)
    assert "agreed" in shown.text
    assert 'Kurdish (<bdi lang="ku">Kurdî</bdi>, ku)' in shown.text

    share = {
        "recipient_kind": "prosecutor",
        "recipient_name": "Federal prosecutor",
        "purpose": "Structural investigation",
    }
    refused = investigator.post(f"/consent/persons/{person.id}/share", share)
    assert refused.status_code == 403
    assert person.code in refused.text
    assert "does not cover sharing with a prosecutor or court" in refused.text

    made = investigator.post(
        f"/consent/persons/{person.id}/share",
        {**share, "recipient_kind": "un-mechanism", "recipient_name": "IIIM"},
    )
    assert made.status_code == 200
    assert made.headers["content-disposition"].startswith("attachment;")
    (logged,) = session.execute(select(Share)).scalars()
    assert logged.sha256 == hashlib.sha256(made.content).hexdigest()

    withdrawn = investigator.post(
        f"/consent/persons/{person.id}/withdraw",
        {"scope": "all", "given_on": TODAY.isoformat(), "method": "written"},
    )
    assert withdrawn.status_code == 303
    shown = investigator.client.get(page)
    assert "Consent withdrawn." in shown.text
    assert 'Recipients to notify <span class="muted">(1)' in shown.text
    notified = investigator.post(
        f"/consent/shares/{logged.id}/notify",
        {
            "person_id": person.id,
            "how": "email",
            "notified_on": TODAY.isoformat(),
            "notified_by": "Caseworker",
        },
    )
    assert notified.status_code == 303
    shown = investigator.client.get(page)
    assert 'Recipients to notify <span class="muted">(0)' in shown.text
    assert "Every recipient has been told." in shown.text


def test_promises_on_the_page_and_the_overdue_list(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    project = team(session, "Sinjar")
    investigator = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    person = docs.create_record(
        session, investigator.principal, "persons", project.id, {"kind": "individual"}
    )
    session.commit()
    added = investigator.post(
        f"/consent/persons/{person.id}/promises",
        {
            "kind": "referral.psychosocial",
            "due_on": (TODAY - timedelta(days=2)).isoformat(),
            "responsible": "Partner NGO",
        },
    )
    assert added.status_code == 303
    shown = investigator.client.get(f"/records/persons/{person.id}")
    assert 'class="overdue"' in shown.text
    assert "Overdue" in shown.text
    overdue = investigator.client.get(f"/consent/projects/{project.id}/overdue")
    assert person.code in overdue.text
    bad = investigator.post(
        f"/consent/persons/{person.id}/promises", {"kind": "gift", "due_on": "soon"}
    )
    assert bad.status_code == 422


def test_staff_without_need_to_know_see_no_panel_and_get_404(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    project = team(session, "Sinjar")
    investigator = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    analyst = staff(app, session, settings, "analyst", project, Role.ANALYST)
    outsider = staff(app, session, settings, "outsider", team(session, "Other"), Role.INVESTIGATOR)
    person = docs.create_record(
        session, investigator.principal, "persons", project.id, {"kind": "individual"}
    )
    session.commit()
    shown = analyst.client.get(f"/records/persons/{person.id}")
    assert shown.status_code == 200
    assert "onsent" not in shown.text
    assert "romise" not in shown.text
    body = {"recipient_kind": "ngo", "recipient_name": "X", "purpose": "Y"}
    assert outsider.post(f"/consent/persons/{person.id}/share", body).status_code == 404
    assert (
        outsider.post(
            f"/consent/persons/{person.id}/promises",
            {"kind": "copy", "due_on": TODAY.isoformat(), "responsible": "Z"},
        ).status_code
        == 404
    )
    assert analyst.client.get(f"/consent/projects/{project.id}/overdue").status_code == 404
