"""Survivor access: everything held about a person, as a page and a PDF, for need-to-know staff
only; the report holds the identity, the acts, the testimony, the consent and the shares, and
its making is audited without content."""

from __future__ import annotations

import io
from datetime import date

from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.audit.models import AuditEvent
from dignity.consent.services import ConsentCreate
from dignity.documentation.consents import record_person_consent
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.documentation import story
from factories.monitoring import team
from factories.web import staff

NAME = "Zainab Abakar"


def test_everything_held_about_a_person_as_a_page_and_a_pdf(
    app: FastAPI, session: Session, settings: Settings, keyring: Keyring
) -> None:
    project = team(session, "Darfur 2023")
    me = staff(app, session, settings, "investigator", project, Role.INVESTIGATOR)
    ids = story(session, me.principal, project)
    victim = ids["victim"]
    docs.set_person_identity(session, me.principal, keyring, victim, {"names": [{"name": NAME}]})
    docs.create_record(
        session,
        me.principal,
        "information",
        project.id,
        {
            "source_id": victim,
            "event_id": ids["event"],
            "remarks": "They took us at dawn.",
            "material_type": "material.testimony.interview",
        },
    )
    record_person_consent(
        session,
        me.principal,
        keyring,
        victim,
        ConsentCreate.model_validate(
            {
                "scopes": ["documentation"],
                "given_by": "person",
                "given_on": date(2023, 7, 2),
                "method": "oral",
                "through": "interviewer",
                "language": "ar",
            }
        ),
    )
    session.commit()
    code = docs.get_record(session, me.principal, "persons", victim).code

    page = me.post(f"/records/persons/{victim}/access-report", {})
    assert page.status_code == 200
    for expected in (NAME, "They took us at dawn.", "Raid on the market of El Geneina", "oral"):
        assert expected in page.text
    pdf = me.post(f"/records/persons/{victim}/access-report.pdf", {})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (code, NAME, "They took us at dawn.", "Your consent"):
        assert expected in text
    events = (
        session.execute(select(AuditEvent).where(AuditEvent.action == "consent.access_report"))
        .scalars()
        .all()
    )
    assert len(events) == 2
    assert all(NAME not in e.details for e in events)

    viewer = staff(app, session, settings, "viewer", project, Role.VIEWER)
    assert viewer.post(f"/records/persons/{victim}/access-report", {}).status_code == 404
    assert viewer.post(f"/records/persons/{victim}/access-report.pdf", {}).status_code == 404
