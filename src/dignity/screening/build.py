"""Build matchable records from the registry's current list versions.

Each list's entities are read through the registry's services. Documents (Passport,
Identification) lend their numbers to their holder; sanctions lend their programs; an entity that
several lists hold is one record with all their values, so it is scored once and reported with
every list that designates it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from followthemoney import model
from sqlalchemy.orm import Session

from dignity.registry.services import iter_values, source_lists
from dignity.screening.records import MATCHABLE, Record, make_record

DOCUMENT_SCHEMATA = {"Passport": "passportNumber", "Identification": "idNumber"}

Progress = Callable[[str, int], None]


@dataclass
class _Entry:
    schema: str
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    datasets: list[str] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)
    programs: set[str] = field(default_factory=set)


def current_versions(session: Session) -> dict[str, int]:
    """List name -> current version seq: what an index built now would hold."""
    return {
        source.id: version.seq for source, version in source_lists(session) if version is not None
    }


def version_signature(session: Session) -> tuple[tuple[str, str], ...]:
    """(list name, version id) of every current version: changes whenever any list does."""
    return tuple(
        (source.id, version.id) for source, version in source_lists(session) if version is not None
    )


def _collect(
    entity_id: str,
    schema_name: str,
    values: dict[str, list[str]],
    list_id: str,
    found: _Found,
) -> None:
    schema = model.get(schema_name)
    if schema is None:
        return
    if schema.name in MATCHABLE or schema.is_a("LegalEntity"):
        entry = found.entries.get(entity_id)
        if entry is None:
            entry = found.entries[entity_id] = _Entry(schema.name)
        if list_id not in entry.datasets:
            entry.datasets.append(list_id)
        for prop, prop_values in values.items():
            entry.values[prop].extend(prop_values)
    elif schema.name in DOCUMENT_SCHEMATA:
        prop = DOCUMENT_SCHEMATA[schema.name]
        for holder in values.get("holder", ()):
            found.documents.extend((holder, prop, n) for n in values.get("number", ()))
    elif schema.name == "Sanction":
        for target in values.get("entity", ()):
            found.programs.extend((target, p) for p in values.get("programId", ()))


@dataclass
class _Found:
    entries: dict[str, _Entry] = field(default_factory=dict)
    documents: list[tuple[str, str, str]] = field(default_factory=list)  # holder, prop, number
    programs: list[tuple[str, str]] = field(default_factory=list)  # target, program


def build_records(session: Session, progress: Progress | None = None) -> Iterator[Record]:
    """Every matchable entity of the current list versions as a record."""
    found = _Found()
    for list_id in current_versions(session):
        count = 0
        for entity_id, schema, values in iter_values(session, list_id):
            _collect(entity_id, schema, values, list_id, found)
            count += 1
            if progress is not None and count % 5000 == 0:
                progress(list_id, count)
        if progress is not None:
            progress(list_id, count)
    entries = found.entries
    for holder, prop, number in found.documents:
        if holder in entries:
            entries[holder].documents.append((prop, number))
    for target, program in found.programs:
        if target in entries:
            entries[target].programs.add(program)
    for entity_id, entry in entries.items():
        yield make_record(
            entity_id,
            entry.schema,
            entry.values,
            datasets=entry.datasets,
            extra_identifiers=entry.documents,
            programs=entry.programs,
        )
