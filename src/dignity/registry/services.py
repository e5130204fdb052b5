"""Use cases of the registry: import a list version, read entities, compare versions.

An import runs in the caller's transaction and is all or nothing: the statements are staged in a
temporary table while the file streams in, then the new version's intervals are written in three
set-based statements. A file that fails half way raises before anything outside the staging table
changed, and the caller's rollback leaves the previous version untouched.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followthemoney import StatementEntity, model
from followthemoney.statement import Statement as FtmStatement
from sqlalchemy import ColumnElement, and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.exc import FieldError, InvalidInput, NotFound
from dignity.registry import staging

# Re-exported: other capabilities use the registry through this module.
from dignity.registry.designations import Designation as Designation
from dignity.registry.designations import authorities as authorities
from dignity.registry.designations import designations as designations
from dignity.registry.models import ListVersion, SourceList, Statement
from dignity.sources.services import ListFile, list_dataset, open_list

BATCH = 5000
# The format of lists kept by hand (registry.manual): no file can be imported into one.
MANUAL_FORMAT = "manual"
# Properties by which one entity refers to another (sanction -> target, document -> holder, ...).
REFERENCE_PROPS = (
    "entity",
    "holder",
    "subject",
    "object",
    "member",
    "organization",
    "person",
    "owner",
    "asset",
    "director",
    "addressEntity",
)

Progress = Callable[[int], None]

# Values present in the previous version and in this file: their interval grows by one version.
EXTEND_INTERVALS = """
UPDATE statements SET last_seen = :seq
WHERE list_id = :list_id AND last_seen = :prev AND stmt_id IN (SELECT stmt_id FROM registry_staging)
"""
# Values new in this file (or back after an absence): a new interval starting at this version.
INSERT_NEW = """
INSERT INTO statements
    (list_id, stmt_id, entity_id, schema, prop, value, lang, original_value, first_seen, last_seen)
SELECT CAST(:list_id AS VARCHAR(100)), s.stmt_id, s.entity_id, s.schema, s.prop, s.value, s.lang,
       s.original_value, CAST(:seq AS INTEGER), CAST(:seq AS INTEGER)
FROM registry_staging s
WHERE NOT EXISTS (
    SELECT 1 FROM statements t
    WHERE t.list_id = CAST(:list_id AS VARCHAR(100)) AND t.last_seen = CAST(:seq AS INTEGER)
      AND t.stmt_id = s.stmt_id
)
"""


@dataclass
class ImportResult:
    list_id: str
    version: ListVersion | None  # None when the file did not change since the last version
    report: dict[str, object] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.version is not None


def current_version(session: Session, list_id: str) -> ListVersion | None:
    return session.execute(
        select(ListVersion)
        .where(ListVersion.list_id == list_id)
        .order_by(ListVersion.seq.desc())
        .limit(1)
    ).scalar_one_or_none()


def import_list(
    session: Session,
    list_file: ListFile,
    *,
    actor: str,
    progress: Progress | None = None,
    source_url: str = "",
) -> ImportResult:
    """Import `list_file` as the next version of its list (nothing new if the file is unchanged)."""
    source = session.get(SourceList, list_file.list_name)
    if source is None:
        source = SourceList(
            id=list_file.list_name,
            title=list_file.title,
            publisher=list_file.publisher,
            format=list_file.format,
            source_url=source_url,
        )
        session.add(source)
        session.flush()
    elif source_url and source.source_url != source_url:
        source.source_url = source_url  # the publisher moved the file, or it was local until now
    if source.manual != (list_file.format == MANUAL_FORMAT):
        kind = "kept by hand" if source.manual else f"imported from {source.format} files"
        raise InvalidInput(
            "cannot import into this list",
            [FieldError("name", f"list {source.id!r} is {kind}; choose another --name")],
        )
    previous = current_version(session, source.id)
    if previous is not None and previous.content_hash == list_file.content_hash:
        return ImportResult(source.id, None, json.loads(previous.report))
    seq = (previous.seq if previous else 0) + 1

    staging.create(session)
    batch: list[staging.Row] = []
    count = 0
    for entity in list_file.entities():
        batch.extend(staging.entity_rows(entity))
        count += 1
        if len(batch) >= BATCH:
            staging.load(session, batch)
            batch = []
        if progress is not None and count % 500 == 0:
            progress(count)
    staging.load(session, batch)
    staging.settle(session)
    if progress is not None:
        progress(count)

    params = {"list_id": source.id, "seq": seq, "prev": seq - 1}
    session.execute(text(EXTEND_INTERVALS), params)
    session.execute(text(INSERT_NEW), params)
    statements, entities = session.execute(
        text("SELECT count(*), count(DISTINCT entity_id) FROM registry_staging")
    ).one()
    staging.drop(session)
    report = list_file.report.to_dict()
    version = ListVersion(
        list_id=source.id,
        seq=seq,
        publisher_date=list_file.list_date,
        content_hash=list_file.content_hash,
        imported_by=actor,
        source_name=Path(list_file.path).name,
        targets=list_file.report.targets,
        entities=entities,
        statements=statements,
        report=json.dumps(report, sort_keys=True),
    )
    session.add(version)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="list.imported",
        object_type="list_version",
        object_id=version.id,
        details={
            "list": source.id,
            "seq": seq,
            "content_hash": list_file.content_hash,
            "targets": version.targets,
            "entities": entities,
            "statements": statements,
        },
    )
    return ImportResult(source.id, version, report)


def import_path(
    session: Session,
    path: Path,
    format_name: str,
    *,
    list_name: str | None = None,
    actor: str,
    progress: Progress | None = None,
) -> ImportResult:
    return import_list(
        session, open_list(path, format_name, list_name), actor=actor, progress=progress
    )


def list_versions(session: Session, list_id: str) -> list[ListVersion]:
    return list(
        session.execute(
            select(ListVersion).where(ListVersion.list_id == list_id).order_by(ListVersion.seq)
        ).scalars()
    )


def entity_statements(session: Session, entity_id: str) -> list[tuple[Statement, ListVersion]]:
    """An entity's values in the current version of each list that holds it, with provenance."""
    latest = (
        select(ListVersion.list_id, func.max(ListVersion.seq).label("seq"))
        .group_by(ListVersion.list_id)
        .subquery()
    )
    rows = session.execute(
        select(Statement, ListVersion)
        .join(
            latest, (latest.c.list_id == Statement.list_id) & (latest.c.seq == Statement.last_seen)
        )
        .join(
            ListVersion,
            (ListVersion.list_id == Statement.list_id) & (ListVersion.seq == Statement.first_seen),
        )
        .where(Statement.entity_id == entity_id)
        .order_by(Statement.prop, Statement.value)
    ).all()
    if not rows:
        raise NotFound("no such entity in the current lists")
    return [(statement, version) for statement, version in rows]


@dataclass
class EntityChange:
    entity_id: str
    schema: str
    caption: str
    added: list[tuple[str, str]] = field(default_factory=list)  # (property, value) now present
    removed: list[tuple[str, str]] = field(default_factory=list)  # (property, value) now gone


@dataclass
class Delta:
    list_id: str
    old: int
    new: int
    added: list[EntityChange]
    removed: list[EntityChange]
    changed: list[EntityChange]


def _alive(seq: int) -> ColumnElement[bool]:
    return and_(Statement.first_seen <= seq, Statement.last_seen >= seq)


def delta(session: Session, list_id: str, old: int, new: int) -> Delta:
    """What changed in `list_id` from version `old` to version `new`: entities and values."""
    seqs = {v.seq for v in list_versions(session, list_id)}
    for seq in (old, new):
        if seq not in seqs:
            raise NotFound(f"list {list_id!r} has no version {seq}")
    rows = session.execute(
        select(
            Statement.entity_id,
            Statement.schema,
            Statement.prop,
            Statement.value,
            _alive(old).label("in_old"),
            _alive(new).label("in_new"),
        )
        .where(Statement.list_id == list_id, or_(_alive(old), _alive(new)))
        .where(~and_(_alive(old), _alive(new)))
        .order_by(Statement.entity_id, Statement.prop, Statement.value)
    ).all()
    touched: dict[str, EntityChange] = {}
    for entity_id, schema, prop, value, in_old, in_new in rows:
        change = touched.setdefault(entity_id, EntityChange(entity_id, schema, ""))
        (change.added if in_new and not in_old else change.removed).append((prop, value))
    if not touched:
        return Delta(list_id, old, new, [], [], [])
    ids = list(touched)
    present: dict[str, set[int]] = {entity_id: set() for entity_id in ids}
    captions: dict[str, str] = {}
    # The list is tested inside the aggregates, not in WHERE: given `list_id = ?` SQLite looks
    # the rows up by the (list_id, stmt_id) index, reading the whole list once per chunk (minutes
    # for two OFAC releases); by entity_id alone it reads only the chunk's rows.
    in_list = Statement.list_id == list_id
    for chunk_start in range(0, len(ids), 900):
        chunk = ids[chunk_start : chunk_start + 900]
        for entity_id, in_old, in_new in session.execute(
            select(
                Statement.entity_id,
                func.max(case((and_(in_list, _alive(old)), 1), else_=0)),
                func.max(case((and_(in_list, _alive(new)), 1), else_=0)),
            )
            .where(Statement.entity_id.in_(chunk))
            .group_by(Statement.entity_id)
        ).all():
            if in_old:
                present[entity_id].add(old)
            if in_new:
                present[entity_id].add(new)
        for entity_id, name in session.execute(
            select(Statement.entity_id, func.min(case((in_list, Statement.value))))
            .where(Statement.entity_id.in_(chunk), Statement.prop == "name")
            .group_by(Statement.entity_id)
        ).all():
            if name is not None:
                captions[entity_id] = name
    added, removed, changed = [], [], []
    for entity_id, change in touched.items():
        change.caption = captions.get(entity_id, entity_id)
        seen = present[entity_id]
        if seen == {new}:
            added.append(change)
        elif seen == {old}:
            removed.append(change)
        else:
            changed.append(change)
    return Delta(list_id, old, new, added, removed, changed)


def _version_rows(session: Session, list_id: str, seq: int | None) -> Iterator[Any]:
    """The statements of a list's version `seq` (default: current), grouped by entity."""
    if seq is None:
        version = current_version(session, list_id)
        if version is None:
            raise NotFound(f"no list named {list_id!r}")
        seq = version.seq
    # Plain rows, not ORM objects: a list version holds hundreds of thousands of statements.
    return iter(
        session.execute(
            select(
                Statement.entity_id,
                Statement.schema,
                Statement.prop,
                Statement.value,
                Statement.lang,
                Statement.original_value,
            )
            .where(Statement.list_id == list_id, _alive(seq))
            .order_by(Statement.entity_id, Statement.pk)
            .execution_options(yield_per=BATCH)
        )
    )


def iter_entities(
    session: Session, list_id: str, seq: int | None = None
) -> Iterator[StatementEntity]:
    """Rebuild every entity of a list as it stood in version `seq` (default: the current one)."""
    dataset = list_dataset(list_id)
    rows = _version_rows(session, list_id, seq)
    for _, group in itertools.groupby(rows, key=lambda row: row[0]):
        statements = [
            FtmStatement(
                entity_id=entity_id,
                prop=prop,
                schema=schema,
                value=value,
                dataset=list_id,
                lang=lang,
                original_value=original,
            )
            for entity_id, schema, prop, value, lang, original in group
        ]
        yield StatementEntity.from_statements(dataset, statements)


def _schema_depth(name: str) -> int:
    schema = model.get(name)
    return len(schema.schemata) if schema is not None else 0


def iter_values(
    session: Session, list_id: str, seq: int | None = None
) -> Iterator[tuple[str, str, dict[str, list[str]]]]:
    """Each entity of a list version as (id, schema, property -> values), without FtM objects.

    The fast path for readers that only need the values, such as the screening index.
    """
    rows = _version_rows(session, list_id, seq)
    for entity_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        values: dict[str, list[str]] = {}
        schemata: set[str] = set()
        for row in group:
            schemata.add(row[1])
            values.setdefault(row[2], []).append(row[3])
        # One schema per entity in a list version; the most specific one if a reader wrote two.
        yield entity_id, max(schemata, key=_schema_depth), values


def source_lists(session: Session) -> list[tuple[SourceList, ListVersion | None]]:
    """Every list with its current version, by name."""
    lists = session.execute(select(SourceList).order_by(SourceList.id)).scalars()
    return [(source, current_version(session, source.id)) for source in lists]


def version_report(version: ListVersion) -> dict[str, object]:
    report: dict[str, object] = json.loads(version.report)
    return report


def caption(values: list[tuple[Statement, ListVersion]]) -> str:
    names = sorted(s.value for s, _ in values if s.prop == "name")
    return names[0] if names else values[0][0].entity_id


def captions(session: Session, entity_ids: list[str]) -> dict[str, str]:
    """A display name for each entity: its first name in any current list."""
    found: dict[str, str] = {}
    for start in range(0, len(entity_ids), 900):
        chunk = entity_ids[start : start + 900]
        rows = session.execute(
            select(Statement.entity_id, func.min(Statement.value))
            .where(Statement.entity_id.in_(chunk), Statement.prop == "name")
            .group_by(Statement.entity_id)
        )
        # A Result has keys(), so dict(result) would read it as a mapping.
        found.update({entity_id: name for entity_id, name in rows})  # noqa: C416
    return found


def related_entities(session: Session, entity_id: str) -> list[tuple[str, str, str]]:
    """Entities whose current values point at this one: (entity id, schema, property)."""
    latest = (
        select(ListVersion.list_id, func.max(ListVersion.seq).label("seq"))
        .group_by(ListVersion.list_id)
        .subquery()
    )
    rows = session.execute(
        select(Statement.entity_id, Statement.schema, Statement.prop)
        .join(
            latest, and_(latest.c.list_id == Statement.list_id, latest.c.seq == Statement.last_seen)
        )
        .where(Statement.value == entity_id, Statement.prop.in_(REFERENCE_PROPS))
        .distinct()
        .order_by(Statement.schema, Statement.entity_id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]
