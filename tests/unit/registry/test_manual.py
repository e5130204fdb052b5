"""Manual lists: designations typed in by hand become versions of a list like any import.

The people and addresses here are fictional; the program is the real Section 7031(c) of the
us-state vocabulary.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit.models import AuditEvent
from dignity.exc import Conflict, InvalidInput, NotFound
from dignity.registry import manual
from dignity.registry import services as registry
from dignity.registry.manual import DesignationInput
from dignity.registry.models import SourceList
from dignity.registry.statistics import TargetQuery, designation_stats, select_targets
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

LIST = "us_state_7031c"
URL = "https://www.state.gov/public-designation-of-an-example-official/"
ACTOR = "user:test-officer"
OFFICIAL = DesignationInput(
    schema="Person",
    name="Ejemplo  Oficial   Uno",
    aliases=("E. O. Uno", "", "E. O. Uno"),
    birth_date="1961-03",
    nationality=("Nicaragua",),
    country=("NI",),
    position="Former Minister of Examples",
    program="7031C",
    reason="Involvement in a gross violation of human rights.",
    source_url=URL,
    source_date="2023-12-08",
)


@pytest.fixture
def manual_list(session: Session) -> SourceList:
    return manual.create_manual_list(
        session,
        name=LIST,
        title="US State Department Section 7031(c) public designations",
        publisher="us-state",
        source_url="https://www.state.gov/",
        actor=ACTOR,
    )


def _values(session: Session, entity_id: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for statement, _version in registry.entity_statements(session, entity_id):
        found.setdefault(statement.prop, set()).add(statement.value)
    return found


def _events(session: Session, action: str) -> list[dict[str, object]]:
    rows = session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).scalars()
    return [json.loads(row.details) for row in rows]


def test_a_new_manual_list_has_no_version_until_its_first_designation(
    session: Session, manual_list: SourceList
) -> None:
    assert (manual_list.manual, manual_list.format, manual_list.publisher) == (
        True,
        "manual",
        "us-state",
    )
    assert registry.list_versions(session, LIST) == []
    assert manual.list_designations(session, LIST) == []
    assert _events(session, "manual_list.created")[0]["publisher"] == "us-state"


def test_adding_makes_version_one_with_the_target_and_its_sanction(
    session: Session, manual_list: SourceList
) -> None:
    change = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR)
    row, version = change.designation, change.version
    assert version is not None
    assert (version.seq, version.targets, version.entities) == (1, 1, 2)
    assert version.imported_by == ACTOR
    assert version.publisher_date == datetime.now(UTC).date().isoformat()
    # Cleaned on the way in, by the FollowTheMoney property types.
    assert (row.name, row.aliases, row.nationality, row.country) == (
        "Ejemplo Oficial Uno",
        ["E. O. Uno"],
        ["ni"],
        ["ni"],
    )
    assert row.authority == "United States Department of State"  # the publisher's default
    assert row.revision == 1

    target = manual.entity_id_of(row)
    assert target == f"us-state-7031c-{row.id}"
    person = _values(session, target)
    assert person["name"] == {"Ejemplo Oficial Uno"}
    assert person["alias"] == {"E. O. Uno"}
    assert person["birthDate"] == {"1961-03"}
    assert person["nationality"] == {"ni"}
    assert person["position"] == {"Former Minister of Examples"}
    assert person["sourceUrl"] == {URL}
    sanction = _values(session, f"{target}-sanction")
    assert sanction["entity"] == {target}
    assert sanction["programId"] == {"7031C"}
    assert next(iter(sanction["program"])).startswith("Section 7031(c) public designations")
    assert sanction["authority"] == {"United States Department of State"}
    assert sanction["sourceUrl"] == {URL}
    assert sanction["startDate"] == sanction["listingDate"] == {"2023-12-08"}
    assert sanction["reason"] == {"Involvement in a gross violation of human rights."}

    report = registry.version_report(version)
    assert report["format"] == "manual"
    assert report["programs"] == {"7031C": 1}
    assert report["schemata"] == {"Person": 1, "Sanction": 1}
    assert report["warnings"] == []
    added = _events(session, "designation.added")
    assert [(e["list"], e["name"], e["source_url"]) for e in added] == [
        (LIST, "Ejemplo Oficial Uno", URL)
    ]
    assert _events(session, "list.imported")[-1]["seq"] == 1


def test_the_content_hash_is_the_hash_of_the_rows_canonical_json(
    session: Session, manual_list: SourceList
) -> None:
    change = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR)
    assert change.version is not None
    row = change.designation
    record = {name: getattr(row, name) for name in ("id", *manual.FIELDS)}
    canonical = json.dumps([record], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert change.version.content_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    # Materialising the same rows again adds no version.
    assert manual.materialise(session, manual_list, actor=ACTOR) is None


def test_editing_makes_the_next_version_and_the_delta_shows_the_changed_value(
    session: Session, manual_list: SourceList
) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    edited = dataclasses.replace(manual.input_of(row), position="Former Governor of Examples")
    change = manual.edit_designation(session, LIST, row.id, edited, actor="user:other", revision=1)
    assert change.version is not None
    assert change.version.seq == 2
    assert (change.designation.revision, change.designation.updated_by) == (2, "user:other")

    delta = registry.delta(session, LIST, 1, 2)
    assert (delta.added, delta.removed) == ([], [])
    [changed] = delta.changed
    assert changed.entity_id == manual.entity_id_of(row)
    assert changed.added == [("position", "Former Governor of Examples")]
    assert changed.removed == [("position", "Former Minister of Examples")]
    [event] = _events(session, "designation.edited")
    assert event["changes"] == {
        "position": ["Former Minister of Examples", "Former Governor of Examples"]
    }
    assert event["revision"] == 2


def test_an_edit_that_changes_nothing_makes_no_version_and_no_event(
    session: Session, manual_list: SourceList
) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    same = manual.edit_designation(session, LIST, row.id, OFFICIAL, actor=ACTOR, revision=1)
    assert same.version is None
    assert same.designation.revision == 1
    assert _events(session, "designation.edited") == []
    assert [v.seq for v in registry.list_versions(session, LIST)] == [1]


def test_retiring_removes_the_entities_in_the_next_version_and_keeps_the_row(
    session: Session, manual_list: SourceList
) -> None:
    keep = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    other = dataclasses.replace(OFFICIAL, name="Ejemplo Oficial Dos", aliases=())
    gone = manual.add_designation(session, LIST, other, actor=ACTOR).designation
    change = manual.retire_designation(
        session, LIST, gone.id, reason="  Designation revoked.  ", actor=ACTOR, revision=1
    )
    assert change.version is not None
    assert change.version.seq == 3
    assert change.version.targets == 1

    delta = registry.delta(session, LIST, 2, 3)
    assert [c.entity_id for c in delta.removed] == [
        manual.entity_id_of(gone),
        f"{manual.entity_id_of(gone)}-sanction",
    ]
    assert ("name", "Ejemplo Oficial Dos") in delta.removed[0].removed
    assert (delta.added, delta.changed) == ([], [])
    with pytest.raises(NotFound):
        registry.entity_statements(session, manual.entity_id_of(gone))
    assert [d.id for d in manual.list_designations(session, LIST)] == [keep.id]
    everything = manual.list_designations(session, LIST, include_retired=True)
    assert [(d.id, d.retired, d.retired_reason) for d in everything] == [
        (keep.id, False, None),
        (gone.id, True, "Designation revoked."),
    ]
    [event] = _events(session, "designation.retired")
    assert event == {"list": LIST, "name": "Ejemplo Oficial Dos", "reason": "Designation revoked."}


def test_retiring_the_last_designation_leaves_an_empty_version(
    session: Session, manual_list: SourceList
) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    change = manual.retire_designation(session, LIST, row.id, reason="Revoked", actor=ACTOR)
    assert change.version is not None
    assert (change.version.seq, change.version.targets, change.version.entities) == (2, 0, 0)
    assert list(registry.iter_entities(session, LIST)) == []


def test_a_retired_designation_cannot_be_edited_or_retired_again(
    session: Session, manual_list: SourceList
) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    manual.retire_designation(session, LIST, row.id, reason="Revoked", actor=ACTOR)
    with pytest.raises(Conflict):
        manual.edit_designation(session, LIST, row.id, OFFICIAL, actor=ACTOR)
    with pytest.raises(Conflict):
        manual.retire_designation(session, LIST, row.id, reason="again", actor=ACTOR)


def test_an_edit_from_an_old_revision_is_refused(session: Session, manual_list: SourceList) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    first = dataclasses.replace(OFFICIAL, position="First change")
    manual.edit_designation(session, LIST, row.id, first, actor=ACTOR, revision=1)
    second = dataclasses.replace(OFFICIAL, position="Second change, made from revision 1")
    with pytest.raises(Conflict, match="revision 1, now 2"):
        manual.edit_designation(session, LIST, row.id, second, actor=ACTOR, revision=1)
    assert manual.get_designation(session, LIST, row.id).position == "First change"


def test_retiring_needs_a_reason(session: Session, manual_list: SourceList) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    with pytest.raises(InvalidInput) as raised:
        manual.retire_designation(session, LIST, row.id, reason=" \n ", actor=ACTOR)
    assert [e.field for e in raised.value.errors] == ["reason"]


def test_designations_belong_to_their_list(session: Session, manual_list: SourceList) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    manual.create_manual_list(
        session, name="other_manual", title="Other", publisher="us-state", actor=ACTOR
    )
    with pytest.raises(NotFound):
        manual.get_designation(session, "other_manual", row.id)
    with pytest.raises(NotFound):
        manual.edit_designation(session, "other_manual", row.id, OFFICIAL, actor=ACTOR)
    with pytest.raises(NotFound):
        manual.add_designation(session, "no_such_list", OFFICIAL, actor=ACTOR)


def test_an_imported_list_takes_no_manual_designations(session: Session) -> None:
    uk = Path(__file__).resolve().parents[3].parent / "shared/data/excerpts/uk-ofsi-conlist-csv"
    path = uk / "sanctionsconlist_2018-04-13_excerpt.csv"
    registry.import_list(session, open_list(path, "uk-csv"), actor="test")
    with pytest.raises(NotFound):
        manual.add_designation(session, "uk_ofsi_conlist", OFFICIAL, actor=ACTOR)
    with pytest.raises(Conflict):
        manual.create_manual_list(
            session, name="uk_ofsi_conlist", title="Taken", publisher="uk-fcdo", actor=ACTOR
        )


@pytest.mark.parametrize(
    ("name", "title", "publisher", "url", "field"),
    [
        ("Bad Name", "Title", "us-state", "", "name"),
        ("ok_name", "", "us-state", "", "title"),
        ("ok_name", "Title", "US State", "", "publisher"),
        ("ok_name", "Title", "us-state", "javascript:alert(1)", "source_url"),
    ],
)
def test_a_manual_list_is_checked(
    session: Session, name: str, title: str, publisher: str, url: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        manual.create_manual_list(
            session, name=name, title=title, publisher=publisher, source_url=url, actor=ACTOR
        )
    assert [e.field for e in raised.value.errors] == [field]
    assert session.get(SourceList, name) is None


FUTURE = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"schema": "Sanction"}, "schema", "is not one of"),
        ({"schema": "Thing"}, "schema", "is not one of"),
        ({"name": "   "}, "name", "required"),
        ({"name": "x" * 501}, "name", "at most 500"),
        ({"program": ""}, "program", "required"),
        ({"source_url": ""}, "source_url", "required"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "http:// or https://"),
        ({"source_url": "ftp://www.state.gov/x"}, "source_url", "http:// or https://"),
        ({"source_url": "https://user:pw@www.state.gov/"}, "source_url", "http:// or https://"),
        ({"source_url": "https:///nohost"}, "source_url", "http:// or https://"),
        ({"source_date": ""}, "source_date", "required"),
        ({"source_date": "2023"}, "source_date", "YYYY-MM-DD"),
        ({"source_date": "2023-02-30"}, "source_date", "is not a date"),
        ({"source_date": FUTURE}, "source_date", "in the future"),
        ({"listing_date": "yesterday"}, "listing_date", "is not a date"),
        ({"birth_date": "31/31/1960"}, "birth_date", "is not a date"),
        ({"nationality": ("Atlantis",)}, "nationality", "is not a country"),
        ({"country": ("Nicaragua", "Narnia")}, "country", "'Narnia' is not a country"),
        ({"reason": "x" * 4001}, "reason", "at most 4,000"),
        ({"aliases": tuple(f"alias {n}" for n in range(51))}, "aliases", "at most 50"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    session: Session, manual_list: SourceList, changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        manual.add_designation(session, LIST, dataclasses.replace(OFFICIAL, **changes), actor=ACTOR)
    assert [e.field for e in raised.value.errors] == [field]
    assert message in raised.value.errors[0].message
    assert manual.list_designations(session, LIST) == []
    assert registry.list_versions(session, LIST) == []
    assert _events(session, "designation.added") == []


def test_every_bad_field_is_named_at_once(session: Session, manual_list: SourceList) -> None:
    data = DesignationInput(schema="Organization", birth_date="1960", source_url="mailto:x@y")
    with pytest.raises(InvalidInput) as raised:
        manual.add_designation(session, LIST, data, actor=ACTOR)
    assert {e.field for e in raised.value.errors} == {
        "name",
        "program",
        "source_url",
        "source_date",
        "birth_date",
    }


def test_identifiers_go_to_the_schemas_property_and_are_checked(
    session: Session, manual_list: SourceList
) -> None:
    vessel = DesignationInput(
        schema="Vessel",
        name="EXAMPLE CARRIER",
        identifiers=("IMO 9231743",),
        country=("Panama",),
        program="7031C",
        source_url=URL,
        source_date="2024-01-02",
    )
    row = manual.add_designation(session, LIST, vessel, actor=ACTOR).designation
    assert _values(session, manual.entity_id_of(row))["imoNumber"] == {"IMO9231743"}
    with pytest.raises(InvalidInput) as raised:
        manual.add_designation(
            session, LIST, dataclasses.replace(vessel, identifiers=("IMO 1234",)), actor=ACTOR
        )
    assert [e.field for e in raised.value.errors] == ["identifiers"]
    with pytest.raises(InvalidInput) as raised:
        manual.add_designation(
            session, LIST, dataclasses.replace(vessel, position="Captain"), actor=ACTOR
        )
    assert [(e.field, e.message) for e in raised.value.errors] == [
        ("position", "only a person has this; leave it empty for Vessel")
    ]


def test_a_program_outside_the_vocabulary_is_kept_with_a_warning(
    session: Session, manual_list: SourceList
) -> None:
    other = dataclasses.replace(OFFICIAL, program="Presidential Proclamation 8697")
    change = manual.add_designation(session, LIST, other, actor=ACTOR)
    assert change.version is not None
    [warning] = registry.version_report(change.version)["warnings"]  # type: ignore[misc]
    assert warning["field"] == "program"
    target = manual.entity_id_of(change.designation)
    assert _values(session, f"{target}-sanction")["program"] == {"Presidential Proclamation 8697"}


def test_statistics_count_manual_designations_with_their_themes_and_year(
    session: Session, manual_list: SourceList
) -> None:
    row = manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR).designation
    stats = designation_stats(session)
    assert stats.total == 1
    assert stats.human_rights == 1
    assert ("7031C", 1) in [(k, n) for k, n, _ in stats.by_program.rows]
    [target] = select_targets(session, TargetQuery(list_id=LIST, year=2023, country="ni"))
    assert target.entity_id == manual.entity_id_of(row)
    assert target.themes == {"human-rights", "corruption"}


def test_a_change_that_fails_half_way_leaves_nothing_behind(
    session: Session, manual_list: SourceList, monkeypatch: pytest.MonkeyPatch
) -> None:
    manual.add_designation(session, LIST, OFFICIAL, actor=ACTOR)
    session.commit()
    events = session.execute(select(AuditEvent.seq)).scalars().all()

    def broken(*args: object) -> Iterator[object]:
        raise RuntimeError("the store went away while the version was written")
        yield

    monkeypatch.setattr(manual, "designation_entities", broken)
    other = dataclasses.replace(OFFICIAL, name="Ejemplo Oficial Dos")
    with pytest.raises(RuntimeError), session.begin_nested():
        manual.add_designation(session, LIST, other, actor=ACTOR)
    assert [d.name for d in manual.list_designations(session, LIST)] == ["Ejemplo Oficial Uno"]
    assert [v.seq for v in registry.list_versions(session, LIST)] == [1]
    assert session.execute(select(AuditEvent.seq)).scalars().all() == events


def test_two_people_editing_at_once_cannot_overwrite_each_other(fresh_store_url: str) -> None:
    """Two sessions on their own connections, as two requests: both read revision 1, and the one
    that saves second is refused instead of overwriting the first."""
    engine = create_engine(fresh_store_url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        with transaction(factory) as setup:
            manual.create_manual_list(
                setup, name=LIST, title="7031(c)", publisher="us-state", actor=ACTOR
            )
            row_id = manual.add_designation(setup, LIST, OFFICIAL, actor=ACTOR).designation.id
        with factory() as first, factory() as second:
            read_first = manual.get_designation(first, LIST, row_id)
            read_second = manual.get_designation(second, LIST, row_id)
            assert read_first.revision == read_second.revision == 1
            first.rollback()  # its reading transaction ends, as a request's would
            mine = dataclasses.replace(OFFICIAL, position="Saved first")
            manual.edit_designation(second, LIST, row_id, mine, actor="user:b", revision=1)
            second.commit()
            theirs = dataclasses.replace(OFFICIAL, position="Saved second")
            with pytest.raises(Conflict):
                manual.edit_designation(first, LIST, row_id, theirs, actor="user:a", revision=1)
            first.rollback()
        with transaction(factory) as check:
            assert manual.get_designation(check, LIST, row_id).position == "Saved first"
            assert [v.seq for v in registry.list_versions(check, LIST)] == [1, 2]
    finally:
        engine.dispose()


def test_no_file_is_imported_into_a_manual_list_nor_the_reverse(session: Session) -> None:
    manual.create_manual_list(
        session, name="state_7031c", title="Section 7031(c)", publisher="us-state", actor="test"
    )
    un_file = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
    with pytest.raises(InvalidInput) as into_manual:
        registry.import_list(session, open_list(un_file, "un-xml", "state_7031c"), actor="test")
    assert "kept by hand" in str(into_manual.value)
    registry.import_list(session, open_list(un_file, "un-xml"), actor="test")
    with pytest.raises(Conflict):
        manual.create_manual_list(
            session, name="un_sc_consolidated", title="Clash", publisher="us-state", actor="test"
        )
