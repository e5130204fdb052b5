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

from followthemoney import StatementEntity
from sqlalchemy.orm import Session

from dignity.registry.services import iter_entities, source_lists
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
        source.id: version.seq
        for source, version in source_lists(session)
        if version is not None
    }


def _collect(
    entity: StatementEntity,
    list_id: str,
    entries: dict[str, _Entry],
    documents: list[tuple[str, str, str]],
    programs: list[tuple[str, str]],
) -> None:
    schema = entity.schema.name
    entity_id = entity.id or ""
    if schema in MATCHABLE or entity.schema.is_a("LegalEntity"):
        entry = entries.get(entity_id)
        if entry is None:
            entry = entries[entity_id] = _Entry(schema)
        if list_id not in entry.datasets:
            entry.datasets.append(list_id)
        for prop, values in entity.properties.items():
            entry.values[prop].extend(values)
        return
    if schema in DOCUMENT_SCHEMATA:
        prop = DOCUMENT_SCHEMATA[schema]
        for holder in entity.get("holder"):
            documents.extend((holder, prop, number) for number in entity.get("number"))
        return
    if schema == "Sanction":
        for target in entity.get("entity"):
            programs.extend((target, program) for program in entity.get("programId"))


def build_records(session: Session, progress: Progress | None = None) -> Iterator[Record]:
    """Every matchable entity of the current list versions as a record."""
    entries: dict[str, _Entry] = {}
    documents: list[tuple[str, str, str]] = []
    programs: list[tuple[str, str]] = []
    for list_id in current_versions(session):
        count = 0
        for entity in iter_entities(session, list_id):
            _collect(entity, list_id, entries, documents, programs)
            count += 1
            if progress is not None and count % 5000 == 0:
                progress(list_id, count)
        if progress is not None:
            progress(list_id, count)
    for holder, prop, number in documents:
        if holder in entries:
            entries[holder].documents.append((prop, number))
    for target, program in programs:
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
