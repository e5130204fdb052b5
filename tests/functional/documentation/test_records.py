"""The documentation core's records: an event with acts, victims, a perpetrator and a source;
validation with every field named, optimistic locking, history, and project isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit.models import AuditEvent
from dignity.documentation import services as docs
from dignity.documentation.models import Act, Person
from dignity.exc import Conflict, InvalidInput, NotFound, PermissionDenied
from dignity.security.authz import Principal
from dignity.security.models import Project
from dignity.security.permissions import Role
from factories.documentation import story
from factories.monitoring import reviewer, team


@pytest.fixture
def project(session: Session) -> Project:
    return team(session, "Darfur 2023")


@pytest.fixture
def investigator(session: Session, project: Project) -> Principal:
    return reviewer(session, "investigator", project, Role.INVESTIGATOR)


def test_an_event_is_recorded_with_its_acts_and_people(
    session: Session, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    acts, total = docs.list_records(session, investigator, "acts", where={"event_id": ids["event"]})
    assert total == 2
    assert {a.act_type for a in acts if isinstance(a, Act)} == {
        "act.deprivation-of-liberty.detention",
        "act.ill-treatment",
    }
    victim = docs.get_record(session, investigator, "persons", ids["victim"])
    assert isinstance(victim, Person)
    assert victim.code.startswith("P-")
    assert len(victim.code) == 8
    assert victim.identity_id is None  # nothing identifying is held outside the vault
    event = docs.record_values(
        "events", docs.get_record(session, investigator, "events", ids["event"])
    )
    assert event["country"] == "sd"
    assert event["entered_by"] == investigator.actor
    actions = (
        session.execute(select(AuditEvent.action).where(AuditEvent.object_id == ids["event"]))
        .scalars()
        .all()
    )
    assert actions == ["documentation.created"]


def test_every_bad_field_is_named_and_nothing_is_stored(
    session: Session, project: Project, investigator: Principal
) -> None:
    with pytest.raises(InvalidInput) as caught:
        docs.create_record(
            session,
            investigator,
            "events",
            project.id,
            {
                "start_date": "2023-02-30",
                "country": "Sudan",
                "violation_types": ["violation.torture", "violation.no-such-thing"],
                "colour": "red",
            },
        )
    fields = {error.field for error in caught.value.errors}
    assert fields == {"title", "start_date", "country", "violation_types", "colour"}
    with pytest.raises(InvalidInput) as caught:
        docs.create_record(
            session,
            investigator,
            "persons",
            project.id,
            {"kind": "group", "group_size_min": 50, "group_size_max": 10},
        )
    assert [e.field for e in caught.value.errors] == ["group_size_min"]
    _, total = docs.list_records(session, investigator, "events")
    assert total == 0


def test_a_concurrent_edit_is_refused_and_history_kept(
    session: Session, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    event = docs.get_record(session, investigator, "events", ids["event"])
    docs.update_record(
        session,
        investigator,
        "events",
        event.id,
        revision=1,
        values={"start_date": "2023-06-14", "start_precision": "date.exact"},
    )
    with pytest.raises(Conflict):
        docs.update_record(
            session, investigator, "events", event.id, revision=1, values={"title": "Other"}
        )
    changes = docs.history(session, investigator, "events", event.id)
    assert [(c.revision, c.action) for c in changes] == [(1, "created"), (2, "updated")]
    assert changes[1].changes == {
        "start_date": ["2023-06", "2023-06-14"],
        "start_precision": ["date.month", "date.exact"],
    }


def test_other_projects_records_are_not_found_and_cannot_be_linked(
    session: Session, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    elsewhere = team(session, "Myanmar 2021")
    outsider = reviewer(session, "outsider", elsewhere, Role.INVESTIGATOR)
    for kind, record_id in (("events", ids["event"]), ("persons", ids["victim"])):
        with pytest.raises(NotFound):
            docs.get_record(session, outsider, kind, record_id)
    assert docs.list_records(session, outsider, "acts")[1] == 0
    with pytest.raises(NotFound):
        docs.create_record(session, outsider, "events", project.id, {"title": "x"})
    own = docs.create_record(session, outsider, "persons", elsewhere.id, {"kind": "individual"})
    with pytest.raises(InvalidInput) as caught:
        docs.create_record(
            session,
            investigator,
            "acts",
            project.id,
            {"event_id": ids["event"], "victim_id": own.id, "act_type": "act.killing"},
        )
    assert caught.value.errors[0].field == "victim_id"
    analyst = reviewer(session, "analyst", project, Role.ANALYST)
    assert docs.get_record(session, analyst, "events", ids["event"]).id == ids["event"]
    with pytest.raises(PermissionDenied):
        docs.create_record(session, analyst, "events", project.id, {"title": "x"})


def test_an_act_takes_the_sub_form_of_its_kind(
    session: Session, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    detention = {"arrested_on": "2023-06-14", "incommunicado": True, "court": "none"}
    act = docs.update_record(
        session, investigator, "acts", ids["act"], revision=1, values={"details": detention}
    )
    assert isinstance(act, Act)
    assert act.details == detention
    with pytest.raises(InvalidInput) as caught:
        docs.update_record(
            session,
            investigator,
            "acts",
            ids["act"],
            revision=2,
            values={"details": {"arrested_on": "2023-13", "cause_of_death": "x"}},
        )
    assert sorted(e.field for e in caught.value.errors) == [
        "details.arrested_on",
        "details.cause_of_death",
    ]
    # A killing takes the killing sub-form, not detention's.
    with pytest.raises(InvalidInput) as caught:
        docs.update_record(
            session,
            investigator,
            "acts",
            ids["act"],
            revision=2,
            values={"act_type": "act.killing"},
        )
    assert sorted(e.field for e in caught.value.errors) == [
        "details.arrested_on",
        "details.court",
        "details.incommunicado",
    ]
    event = docs.create_record(session, investigator, "events", project.id, {"title": "Shelling"})
    source = docs.create_record(session, investigator, "persons", project.id, {"kind": "group"})
    info = docs.create_record(
        session,
        investigator,
        "information",
        project.id,
        {"source_id": source.id, "event_id": event.id},
    )
    count = docs.create_record(
        session,
        investigator,
        "counts",
        project.id,
        {
            "event_id": event.id,
            "what": "count.killed",
            "counting_unit": "unit.person",
            "minimum": 12,
            "maximum": 19,
            "minimum_sources": [info.id],
        },
    )
    assert docs.record_values("counts", count)["minimum_sources"] == [info.id]
    with pytest.raises(InvalidInput) as caught:
        docs.create_record(
            session,
            investigator,
            "counts",
            project.id,
            {
                "event_id": event.id,
                "what": "count.killed",
                "counting_unit": "unit.person",
                "minimum": 30,
                "maximum": 19,
                "maximum_sources": ["00000000-0000-0000-0000-000000000000"],
            },
        )
    assert sorted(e.field for e in caught.value.errors) == ["maximum_sources", "minimum"]


def test_a_cleared_field_goes_back_to_its_default_and_blank_is_not_a_title(
    session: Session, project: Project, investigator: Principal
) -> None:
    ids = story(session, investigator, project)
    event = docs.get_record(session, investigator, "events", ids["event"])
    docs.update_record(
        session,
        investigator,
        "events",
        event.id,
        revision=event.revision,
        values={"place": "", "start_precision": "", "description": "  ", "country": ""},
    )
    cleared = docs.record_values("events", event)
    assert (cleared["place"], cleared["description"]) == ("", "")
    assert cleared["start_precision"] == "date.unknown"
    assert cleared["country"] is None
    with pytest.raises(InvalidInput) as refused:
        docs.update_record(
            session,
            investigator,
            "events",
            event.id,
            revision=event.revision,
            values={"title": " "},
        )
    assert [(e.field, e.message) for e in refused.value.errors] == [("title", "required")]
