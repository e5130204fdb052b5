"""Perpetrators meet the registry: a documented perpetrator linked to a UN-listed entity shows
its designation (list, authority, programme, date); the others make up the accountability gap;
links are audited, checked against the current lists, and limited to the caller's projects.

The real UN Consolidated List is imported; the perpetrators are recorded through the services.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.audit.models import AuditEvent
from dignity.dossiers import services as dossiers
from dignity.exc import Conflict, InvalidInput, NotFound, PermissionDenied
from dignity.registry import services as registry
from dignity.screening.models import Screening
from dignity.screening.services import IndexCache
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.models import Project
from dignity.security.permissions import Role
from dignity.sources.services import open_list
from factories.documentation import story
from factories.monitoring import reviewer, team

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA_ID = "un-qdi.421"
HAMZA_NAME = "Hamza Usama Muhammad bin Laden"
UN = "United Nations Security Council"


@pytest.fixture
def un_list(session: Session) -> None:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")


@pytest.fixture
def project(session: Session) -> Project:
    return team(session, "Darfur 2023")


@pytest.fixture
def investigator(session: Session, project: Project) -> Principal:
    return reviewer(session, "investigator", project, Role.INVESTIGATOR)


def test_a_linked_perpetrator_shows_each_designation_and_the_rest_are_the_gap(
    session: Session, un_list: None, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    gap = dossiers.accountability_gap(session, investigator, project.id)
    assert [p.person.id for p in gap.perpetrators] == [ids["unit"]]
    assert gap.perpetrators[0].acts == 1
    assert gap.perpetrators[0].events == 1
    assert [p.person.id for p in gap.designated_nowhere] == [ids["unit"]]
    assert gap.authorities == [UN]

    dossiers.link(session, investigator, ids["unit"], HAMZA_ID, note="same commander")
    found, gap = dossiers.perpetrator(session, investigator, ids["unit"])
    assert [(d.list_id, d.authority, d.program, d.listed) for d in found.designations] == [
        ("un_sc_consolidated", UN, "Al-Qaida", "2019-02-28")
    ]
    assert found.designated_by == [UN]
    assert gap.missing(found) == []
    assert gap.captions[HAMZA_ID].upper().startswith("HAMZA")
    assert dossiers.accountability_gap(session, investigator, project.id).designated_nowhere == []
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "dossiers.linked")
    ).scalar_one()
    assert event.object_id == ids["unit"]
    assert HAMZA_ID in event.details

    dossiers.unlink(session, investigator, ids["unit"], HAMZA_ID)
    found, _ = dossiers.perpetrator(session, investigator, ids["unit"])
    assert found.links == []
    assert found.designations == []


def test_a_link_must_name_a_current_entity_once(
    session: Session, un_list: None, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    with pytest.raises(InvalidInput) as refused:
        dossiers.link(session, investigator, ids["unit"], "un-no-such-entity", score=2.0)
    assert {e.field for e in refused.value.errors} == {"entity_id", "score"}
    dossiers.link(session, investigator, ids["unit"], HAMZA_ID)
    with pytest.raises(Conflict):
        dossiers.link(session, investigator, ids["unit"], HAMZA_ID)


def test_another_projects_perpetrator_is_not_found(
    session: Session, un_list: None, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    stranger = reviewer(session, "stranger", team(session, "Elsewhere"), Role.INVESTIGATOR)
    with pytest.raises(NotFound):
        dossiers.perpetrator(session, stranger, ids["unit"])
    with pytest.raises(NotFound):
        dossiers.link(session, stranger, ids["unit"], HAMZA_ID)
    with pytest.raises(NotFound):
        dossiers.accountability_gap(session, stranger, project.id)


def test_screening_all_perpetrators_suggests_listed_entities_and_keeps_no_name(
    session: Session, un_list: None, project: Project, investigator: Principal, keyring: Keyring
) -> None:
    ids = story(session, investigator, project)
    son = docs.create_record(
        session,
        investigator,
        "persons",
        project.id,
        {"kind": "individual", "perpetrator_type": "perpetrator.non-state.armed-group"},
    )
    docs.set_person_identity(
        session, investigator, keyring, son.id, {"names": [{"name": HAMZA_NAME}]}
    )
    index = IndexCache().get(session)
    screened = {
        s.person.id: s
        for s in dossiers.screen_perpetrators(session, investigator, keyring, index, project.id)
    }
    assert set(screened) == {ids["unit"], son.id}
    assert screened[ids["unit"]].skipped == "no name in the identity vault"
    assert [g.entity_id for g in screened[son.id].suggestions][:1] == [HAMZA_ID]
    assert screened[son.id].suggestions[0].score >= 0.7
    # The names stay in the vault: no screening record holds the query, the audit event the code.
    assert session.execute(select(Screening)).first() is None
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "dossiers.screened")
    ).scalar_one()
    assert son.code in event.details
    assert HAMZA_ID in event.details
    assert "HAMZA USAMA" not in event.details.upper()

    dossiers.link(session, investigator, son.id, HAMZA_ID, method="screening", score=0.9)
    again = dossiers.screen_perpetrators(
        session, investigator, keyring, index, project.id, person_ids=[son.id]
    )
    assert HAMZA_ID not in [g.entity_id for g in again[0].suggestions]  # linked already


def test_only_need_to_know_roles_screen_perpetrators(
    session: Session, un_list: None, project: Project, keyring: Keyring
) -> None:
    analyst = reviewer(session, "analyst", project, Role.ANALYST)
    index = IndexCache().get(session)
    with pytest.raises(PermissionDenied):
        dossiers.screen_perpetrators(session, analyst, keyring, index, project.id)
