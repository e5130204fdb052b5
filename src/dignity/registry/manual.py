"""Manual lists: designations that no machine-readable list carries, typed in by hand.

Some designations are published only as a press statement: the US State Department's public
designations under Section 7031(c), for instance. A manual list holds them in the same registry
as the imported lists:

    create_manual_list      a SourceList with manual=True, format "manual"
    add_designation  ─┐
    edit_designation  ├─> a row of `manual_designations` (the editable source of truth)
    retire_designation┘    + an audit event
                           + `materialise`: the list's active rows become FollowTheMoney entities
                             (the target, and a Sanction with program, authority, sourceUrl,
                             startDate, listingDate, reason) imported by `import_list` as the
                             list's next ListVersion

So deltas, entity pages with provenance, statistics and screening read a manual list exactly as
they read an imported one. A version's content hash is the SHA-256 of the canonical JSON of the
active rows (what the entities are built from), so re-materialising unchanged rows adds nothing.
Every change runs in the caller's transaction and locks the list's row first, so two changes to
one list are made one after the other, and a failed change leaves no row, event or version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dignity.audit import record_event
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound
from dignity.registry.manual_fields import (
    FIELDS,
    IDENTIFIER_PROP,
    LIST_FIELDS,
    DesignationInput,
    clean_designation,
    clean_paragraphs,
    clean_text,
    clean_url,
    designation_input,
)
from dignity.registry.models import ListVersion, ManualDesignation, SourceList
from dignity.registry.services import MANUAL_FORMAT, import_list
from dignity.sources.services import LIST_NAME, ImportReport, ListFile
from dignity.store.types import utcnow
from dignity.vocab.programs import vocabulary

FORMAT = MANUAL_FORMAT
PUBLISHER_CODE = re.compile(r"[a-z][a-z0-9-]{1,99}")
MAX_TITLE = 300
MAX_RETIRE_REASON = 2000

__all__ = [
    "FIELDS",
    "FORMAT",
    "LIST_FIELDS",
    "DesignationInput",
    "ManualChange",
    "add_designation",
    "create_manual_list",
    "designation_input",
    "edit_designation",
    "entity_id_of",
    "get_designation",
    "input_of",
    "list_designations",
    "manual_list",
    "manual_lists",
    "materialise",
    "retire_designation",
]


@dataclass(frozen=True)
class ManualChange:
    """A designation after a change, and the list version the change made (None: no change)."""

    designation: ManualDesignation
    version: ListVersion | None


def _today() -> date:
    return datetime.now(UTC).date()


# --- lists ---------------------------------------------------------------------------------------


def create_manual_list(
    session: Session, *, name: str, title: str, publisher: str, source_url: str = "", actor: str
) -> SourceList:
    """A new, empty manual list. It gets its first version with its first designation."""
    name, title, publisher = name.strip(), clean_text(title), publisher.strip()
    errors = []
    if not LIST_NAME.fullmatch(name):
        errors.append(FieldError("name", "2-100 lowercase letters, digits and '_', from a letter"))
    if not 1 <= len(title) <= MAX_TITLE:
        errors.append(FieldError("title", f"a title of 1 to {MAX_TITLE} characters is required"))
    if not PUBLISHER_CODE.fullmatch(publisher):
        message = "a code of 2-100 lowercase letters, digits and '-' (such as us-state)"
        errors.append(FieldError("publisher", message))
    url = clean_url(source_url) if source_url.strip() else ""
    if url is None or len(url) > 500:
        errors.append(FieldError("source_url", "an http:// or https:// address (at most 500)"))
    if errors:
        raise InvalidInput("the list is not valid", errors)
    if session.get(SourceList, name) is not None:
        raise Conflict(f"a list named {name!r} already exists")
    source = SourceList(
        id=name, title=title, publisher=publisher, format=FORMAT, source_url=url, manual=True
    )
    session.add(source)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="manual_list.created",
        object_type="source_list",
        object_id=name,
        details={"title": title, "publisher": publisher, "source_url": url},
    )
    return source


def manual_list(session: Session, list_id: str, *, lock: bool = False) -> SourceList:
    """The manual list `list_id` (locked for the transaction when `lock`), or NotFound."""
    query = select(SourceList).where(SourceList.id == list_id, SourceList.manual.is_(True))
    if lock:
        query = query.with_for_update()
    source = session.execute(query).scalar_one_or_none()
    if source is None:
        raise NotFound(f"no manual list named {list_id!r}")
    return source


def manual_lists(session: Session) -> list[SourceList]:
    return list(
        session.execute(
            select(SourceList).where(SourceList.manual.is_(True)).order_by(SourceList.id)
        ).scalars()
    )


# --- designations --------------------------------------------------------------------------------


def list_designations(
    session: Session, list_id: str, *, include_retired: bool = False
) -> list[ManualDesignation]:
    """The designations of a manual list: current ones by name, then (if asked) retired ones."""
    manual_list(session, list_id)
    query = select(ManualDesignation).where(ManualDesignation.list_id == list_id)
    if not include_retired:
        query = query.where(ManualDesignation.retired.is_(False))
    order = (ManualDesignation.retired, ManualDesignation.name, ManualDesignation.id)
    return list(session.execute(query.order_by(*order)).scalars())


def get_designation(
    session: Session, list_id: str, designation_id: str, *, fresh: bool = False
) -> ManualDesignation:
    """One designation of one list; a designation of another list answers like a missing one.

    `fresh` reads it again from the store even if this session holds it already (a change reads
    it once the list is locked, so it sees what another change has committed meanwhile).
    """
    query = select(ManualDesignation).where(
        ManualDesignation.id == designation_id, ManualDesignation.list_id == list_id
    )
    if fresh:
        query = query.execution_options(populate_existing=True)
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("no such designation in this list")
    return found


def input_of(designation: ManualDesignation) -> DesignationInput:
    """The designation's current values, as a form or a partial edit starts from them."""
    return designation_input({name: getattr(designation, name) for name in FIELDS})


def target_id(list_id: str, designation_id: str) -> str:
    """The id of the target entity a designation becomes in the registry."""
    return f"{list_id.replace('_', '-')}-{designation_id}"


def entity_id_of(designation: ManualDesignation) -> str:
    return target_id(designation.list_id, designation.id)


def _values(source: SourceList, data: DesignationInput) -> dict[str, Any]:
    return clean_designation(
        data, default_authority=vocabulary().authority(source.publisher), today=_today()
    )


def add_designation(
    session: Session, list_id: str, data: DesignationInput, *, actor: str
) -> ManualChange:
    """Add a designation to a manual list and make the list's next version."""
    source = manual_list(session, list_id, lock=True)
    values = _values(source, data)
    now = utcnow()
    designation = ManualDesignation(
        list_id=list_id,
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
        **values,
    )
    session.add(designation)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="designation.added",
        object_type="manual_designation",
        object_id=designation.id,
        details={"list": list_id, **values},
    )
    return ManualChange(designation, materialise(session, source, actor=actor))


def _editable(designation: ManualDesignation, revision: int | None) -> None:
    if designation.retired:
        raise Conflict("this designation is retired and can no longer be changed")
    if revision is not None and revision != designation.revision:
        raise Conflict(
            f"the designation was changed since you read it (revision {revision}, now "
            f"{designation.revision}); reload it and make your change again"
        )


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict("the designation was changed at the same time; reload it") from error


def edit_designation(
    session: Session,
    list_id: str,
    designation_id: str,
    data: DesignationInput,
    *,
    actor: str,
    revision: int | None = None,
) -> ManualChange:
    """Replace a designation's values with `data`; an edit that changes nothing does nothing.

    `revision` is the revision the editor read: if the designation changed since, `Conflict`.
    """
    source = manual_list(session, list_id, lock=True)
    designation = get_designation(session, list_id, designation_id, fresh=True)
    _editable(designation, revision)
    values = _values(source, data)
    changes = {
        name: [getattr(designation, name), value]
        for name, value in values.items()
        if getattr(designation, name) != value
    }
    if not changes:
        return ManualChange(designation, None)
    for name, (_old, value) in changes.items():
        setattr(designation, name, value)
    designation.updated_at = utcnow()
    designation.updated_by = actor
    _flush(session)
    record_event(
        session,
        actor=actor,
        action="designation.edited",
        object_type="manual_designation",
        object_id=designation.id,
        details={"list": list_id, "revision": designation.revision, "changes": changes},
    )
    return ManualChange(designation, materialise(session, source, actor=actor))


def retire_designation(
    session: Session,
    list_id: str,
    designation_id: str,
    *,
    reason: str,
    actor: str,
    revision: int | None = None,
) -> ManualChange:
    """Take a designation off its list (revoked, expired, entered by mistake); it stays on
    record with the reason, and the list's next version no longer holds its entities."""
    source = manual_list(session, list_id, lock=True)
    designation = get_designation(session, list_id, designation_id, fresh=True)
    _editable(designation, revision)
    why = clean_paragraphs(reason)
    if not why or len(why) > MAX_RETIRE_REASON:
        message = f"why the designation is retired, in 1 to {MAX_RETIRE_REASON:,} characters"
        raise InvalidInput("a reason is required", [FieldError("reason", message)])
    now = utcnow()
    designation.retired = True
    designation.retired_reason = why
    designation.retired_at = now
    designation.retired_by = actor
    designation.updated_at = now
    designation.updated_by = actor
    _flush(session)
    record_event(
        session,
        actor=actor,
        action="designation.retired",
        object_type="manual_designation",
        object_id=designation.id,
        details={"list": list_id, "name": designation.name, "reason": why},
    )
    return ManualChange(designation, materialise(session, source, actor=actor))


# --- materialisation -----------------------------------------------------------------------------

# The values that make a designation's entities, in the canonical JSON (and so the content hash).
RECORD_FIELDS = ("id", *FIELDS)


def _records(session: Session, list_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ManualDesignation)
        .where(ManualDesignation.list_id == list_id, ManualDesignation.retired.is_(False))
        .order_by(ManualDesignation.id)
        .execution_options(populate_existing=True)
    ).scalars()
    return [{name: getattr(row, name) for name in RECORD_FIELDS} for row in rows]


def canonical_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _add(entity: StatementEntity, prop: str, values: str | list[str] | None) -> None:
    if values:
        entity.add(prop, values)


def designation_entities(
    record: dict[str, Any], dataset: Dataset, report: ImportReport, publisher: str
) -> Iterator[StatementEntity]:
    """The target of one designation and its Sanction, counted in `report`."""
    schema = record["schema"]
    target = StatementEntity(
        dataset, {"schema": schema, "id": target_id(dataset.name, record["id"])}
    )
    _add(target, "name", record["name"])
    _add(target, "alias", record["aliases"])
    _add(target, "topics", "sanction")
    _add(target, "country", record["country"])
    _add(target, IDENTIFIER_PROP.get(schema, "idNumber"), record["identifiers"])
    _add(target, "sourceUrl", record["source_url"])
    if schema == "Person":
        _add(target, "birthDate", record["birth_date"])
        _add(target, "nationality", record["nationality"])
        _add(target, "position", record["position"])
    code = record["program"]
    listed = record["listing_date"] or record["source_date"]
    program = vocabulary().get(publisher, code)
    if program is None:
        message = f"programme {code!r} is not in the {publisher} vocabulary; its code is its title"
        report.warn(f"designation {record['id']}", "program", message)
    sanction = StatementEntity(dataset, {"schema": "Sanction", "id": f"{target.id}-sanction"})
    _add(sanction, "entity", target.id)
    _add(sanction, "authority", record["authority"])
    _add(sanction, "program", program.title if program else code)
    _add(sanction, "programId", code)
    _add(sanction, "sourceUrl", record["source_url"])
    _add(sanction, "startDate", listed)
    _add(sanction, "listingDate", listed)
    _add(sanction, "reason", record["reason"])
    report.targets += 1
    report.programs[code] += 1
    for entity in (target, sanction):
        report.schemata[entity.schema.name] += 1
        yield entity


@dataclass
class ManualReader:
    """A list "format" whose file is the table: yields the entities of the given records."""

    records: list[dict[str, Any]]
    publisher: str
    FORMAT: str = FORMAT
    PUBLISHER: str = ""
    DEFAULT_LIST: str = ""
    TITLE: str = "Manual designations"

    def read(self, path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
        del path  # the records are the input
        for record in self.records:
            yield from designation_entities(record, dataset, report, self.publisher)


def materialise(session: Session, source: SourceList, *, actor: str) -> ListVersion | None:
    """Import the list's active designations as its next version (None when nothing changed)."""
    records = _records(session, source.id)
    digest = hashlib.sha256(canonical_json(records).encode("utf-8")).hexdigest()
    list_file = ListFile(
        path=Path(f"{source.id}.designations.json"),
        format=FORMAT,
        list_name=source.id,
        title=source.title,
        publisher=source.publisher,
        content_hash=digest,
        report=ImportReport(format=FORMAT, source=f"manual designations of {source.id}"),
        reader=ManualReader(records, source.publisher),
        # A manual list speaks as of the day it was last changed.
        known_date=_today().isoformat(),
    )
    return import_list(session, list_file, actor=actor).version
