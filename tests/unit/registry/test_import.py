"""Registry imports: versions, intervals, unchanged files, atomicity and deltas.

The list here is the real OFSI consolidated-list excerpt (2018 layout); the later versions are that
same file with rows removed or edited in the test, as a publisher's next release would differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.audit.models import AuditEvent
from dignity.exc import InvalidInput
from dignity.registry import services as registry
from dignity.registry.models import ListVersion, Statement
from dignity.sources.services import open_list

UK = Path(__file__).resolve().parents[3].parent / "shared/data/excerpts/uk-ofsi-conlist-csv"
UK_FILE = UK / "sanctionsconlist_2018-04-13_excerpt.csv"
LIST = "uk_test"


def _lines() -> list[bytes]:
    return UK_FILE.read_bytes().splitlines(keepends=True)


def _variant(tmp_path: Path, name: str, edit: dict[bytes, bytes | None]) -> Path:
    """The real file with whole lines replaced (or dropped, for None) where they contain a key."""
    out = []
    for line in _lines():
        for needle, replacement in edit.items():
            if needle in line:
                if replacement is not None:
                    out.append(line.replace(needle, replacement))
                break
        else:
            out.append(line)
    path = tmp_path / name
    path.write_bytes(b"".join(out))
    return path


def _import(session: Session, path: Path) -> registry.ImportResult:
    return registry.import_list(session, open_list(path, "uk-csv", LIST), actor="test")


def test_first_import_makes_version_one(session: Session) -> None:
    result = _import(session, UK_FILE)
    assert result.version is not None
    version = result.version
    assert (version.list_id, version.seq, version.targets) == (LIST, 1, 26)
    assert version.publisher_date == "2018-04-13"
    stored = session.execute(
        select(func.count(), func.count(func.distinct(Statement.entity_id))).where(
            Statement.list_id == LIST
        )
    ).one()
    assert stored == (version.statements, version.entities)
    assert json.loads(version.report)["targets"] == 26
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "list.imported")
    ).scalar_one()
    assert json.loads(event.details)["list"] == LIST


def test_an_unchanged_file_adds_no_version(session: Session) -> None:
    _import(session, UK_FILE)
    again = _import(session, UK_FILE)
    assert again.changed is False
    assert [v.seq for v in registry.list_versions(session, LIST)] == [1]


def test_values_carry_the_interval_of_versions_they_were_seen_in(
    session: Session, tmp_path: Path
) -> None:
    _import(session, UK_FILE)
    without = _variant(tmp_path, "v2.csv", {b",11635\n": None})  # every row of group 11635 gone
    second = _import(session, without)
    assert second.version is not None
    assert second.version.targets == 25
    gone = session.execute(
        select(Statement.first_seen, Statement.last_seen).where(
            Statement.list_id == LIST, Statement.entity_id.like("%11635%")
        )
    ).all()
    assert gone
    assert set(gone) == {(1, 1)}
    # Everything else was in both versions.
    kept = session.execute(
        select(func.count()).where(Statement.list_id == LIST, Statement.last_seen == 2)
    ).scalar_one()
    assert kept == second.version.statements
    # Back again in version 3: a new interval, the old one kept.
    _import(session, UK_FILE)
    intervals = set(
        session.execute(
            select(Statement.first_seen, Statement.last_seen).where(
                Statement.list_id == LIST, Statement.entity_id.like("%11635%")
            )
        ).all()
    )
    assert intervals == {(1, 1), (3, 3)}


def test_delta_names_added_removed_and_changed_entities(session: Session, tmp_path: Path) -> None:
    _import(session, UK_FILE)
    edited = _variant(
        tmp_path,
        "v2.csv",
        {
            b",11635\n": None,  # removed
            b"Panjwai District, Kandahar Province": b"Kandahar City",  # changed place of birth
        },
    )
    _import(session, edited)
    change = registry.delta(session, LIST, 1, 2)
    # The target and what hangs off it (its sanction, its identity documents) are gone.
    removed = [c.entity_id for c in change.removed]
    assert "uk-ofsi-11635" in removed
    assert all(entity_id.startswith("uk-ofsi-11635") for entity_id in removed)
    assert change.added == []
    changed = {c.entity_id: c for c in change.changed}
    assert "uk-ofsi-6942" in changed
    assert ("birthPlace", "Kandahar City, Afghanistan") in changed["uk-ofsi-6942"].added
    assert any(p == "birthPlace" and "Panjwai" in v for p, v in changed["uk-ofsi-6942"].removed)
    backwards = registry.delta(session, LIST, 2, 1)
    assert sorted(c.entity_id for c in backwards.added) == sorted(removed)


def test_a_file_that_fails_half_way_leaves_the_registry_as_it_was(
    session: Session, tmp_path: Path
) -> None:
    _import(session, UK_FILE)
    before = session.execute(select(func.count()).select_from(Statement)).scalar_one()
    lines = _lines()
    broken = tmp_path / "broken.csv"
    # A row with too few columns near the end: the reader has already streamed most of the file.
    broken.write_bytes(b"".join(lines[:-3]) + b"ONLY,THREE,COLUMNS\n" + b"".join(lines[-2:]))
    with session.begin_nested() as attempt, pytest.raises(InvalidInput) as error:
        _import(session, broken)
    assert not attempt.is_active
    assert str(broken) in str(error.value)
    assert session.execute(select(func.count()).select_from(Statement)).scalar_one() == before
    assert [v.seq for v in registry.list_versions(session, LIST)] == [1]


def test_entities_are_rebuilt_from_the_current_version(session: Session) -> None:
    _import(session, UK_FILE)
    entities = {e.id: e for e in registry.iter_entities(session, LIST)}
    targets = [
        e for e in entities.values() if e.schema.name in ("Person", "Organization", "LegalEntity")
    ]
    assert len(targets) == 26
    values = registry.entity_statements(session, "uk-ofsi-6942")
    assert {s.prop for s, _ in values} >= {"name", "birthPlace"}
    assert {v.seq for _, v in values} == {1}
    version = session.execute(select(ListVersion).where(ListVersion.list_id == LIST)).scalar_one()
    assert all(v.id == version.id for _, v in values)
