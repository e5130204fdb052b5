"""Export and import of documentation: JSON for a whole project, CSV for one record type.

Both round-trip without loss: ids, person codes, revisions, management fields and the history of
changes travel with the records, so a project exported and imported into an empty store compares
equal. Imports are all or nothing: every record is checked first (fields and vocabulary terms as in
`services`, references within the file or the project), each problem is named by record (or row)
and field, and nothing is stored if any is found. CSV cells are escaped against spreadsheet formulas
(SECURITY.md item 29) and unescaped on the way back in.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.documentation.fields import RECORD_TYPES, RecordType
from dignity.documentation.models import Managed, Person, RecordChange
from dignity.documentation.search import index_record
from dignity.documentation.services import clean_value, record_values
from dignity.documentation.subforms import details_problems
from dignity.exc import Conflict, FieldError, InvalidInput
from dignity.security.authz import Principal, visible_project
from dignity.security.exports import escape_cell, unescape_cell
from dignity.security.permissions import Permission

FORMAT = "dignity-documentation/1"
# Created in this order, so that what a record refers to exists before it.
ORDER = (
    "events",
    "persons",
    "event-links",
    "acts",
    "involvements",
    "information",
    "interventions",
    "relations",
    "counts",
)
META = ("id", "code", "revision", "entered_by", "entered_at", "updated_by", "updated_at")
ERRORS_SHOWN = 50
PROGRESS_EVERY = 500  # records stored between two progress reports


def export_project(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    """Every record of the project and its history, as one JSON document.

    It only reads: the caller records the export (`record_export`) once it has written it, in a
    short transaction of its own (a long read that then writes fails on SQLite when another
    writer committed meanwhile).
    """
    principal.require(Permission.EXPORT_BULK)
    project = visible_project(session, principal, project_id)
    records: dict[str, list[dict[str, Any]]] = {}
    for name in ORDER:
        model: Any = RECORD_TYPES[name].model
        rows = session.execute(
            select(model).where(model.project_id == project.id).order_by(model.id)
        ).scalars()
        records[name] = [_without_project(record_values(name, row)) for row in rows]
    changes = session.execute(
        select(RecordChange)
        .where(RecordChange.project_id == project.id)
        .order_by(RecordChange.record_type, RecordChange.record_id, RecordChange.revision)
    ).scalars()
    return {
        "format": FORMAT,
        "project": {"id": project.id, "name": project.name},
        "records": records,
        "history": [
            {
                "id": c.id,
                "record_type": c.record_type,
                "record_id": c.record_id,
                "revision": c.revision,
                "action": c.action,
                "changes": c.changes,
                "actor": c.actor,
                "at": c.at.isoformat(),
            }
            for c in changes
        ],
    }


def _without_project(values: dict[str, Any]) -> dict[str, Any]:
    values.pop("project_id", None)
    return values


def import_project(
    session: Session,
    principal: Principal,
    project_id: str,
    document: Mapping[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Import an exported project into `project_id` (all or nothing); counts by record type.

    A reference may name a record of the file or one already in the project (so the CSV files of
    one export can be imported one type at a time). `progress(done, total)` follows the records
    being stored.
    """
    principal.require(Permission.RECORDS_WRITE)
    project = visible_project(session, principal, project_id)
    if document.get("format") != FORMAT:
        raise InvalidInput("not a Dignity documentation export", [FieldError("format", FORMAT)])
    given = document.get("records")
    if not isinstance(given, dict):
        raise InvalidInput("no records", [FieldError("records", "an object by record type")])
    errors: list[FieldError] = []
    known = _project_ids(session, project.id, given)
    planned: list[tuple[RecordType, dict[str, Any]]] = []
    for name in ORDER:
        items = given.get(name, [])
        for number, item in enumerate(items if isinstance(items, list) else [], start=1):
            where = f"records.{name}[{number}]"
            built = _checked(RECORD_TYPES[name], item, known, where, errors)
            if built is not None:
                planned.append((RECORD_TYPES[name], built))
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                known[name].add(item["id"])  # a bad record is reported once, not by its referrers
    for name in given:
        if name not in RECORD_TYPES:
            errors.append(FieldError(f"records.{name}", "not a record type"))
    if errors:
        raise InvalidInput(
            f"the import has {len(errors):,} problems; nothing was stored", errors[:ERRORS_SHOWN]
        )
    _refuse_existing(session, planned)
    for done, (kind, values) in enumerate(planned, start=1):
        model: Any = kind.model
        record: Managed = model(project_id=project.id, **values)
        session.add(record)
        session.flush()
        if record.revision != values["revision"]:  # the ORM numbers a new row 1: keep the export's
            session.execute(
                update(model).where(model.id == record.id).values(revision=values["revision"])
            )
            session.expire(record)
        index_record(session, kind.name, record)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(planned)):
            progress(done, len(planned))
    for change in document.get("history", []):
        session.add(_history_row(project.id, change))
    session.flush()
    counts = dict.fromkeys(ORDER, 0)
    for kind, _ in planned:
        counts[kind.name] += 1
    record_event(
        session,
        actor=principal.actor,
        action="documentation.imported",
        object_type="project",
        object_id=project.id,
        details={"format": "json", "records": counts},
    )
    return counts


def _project_ids(
    session: Session, project_id: str, given: Mapping[str, Any]
) -> dict[str, set[str]]:
    """The ids already in the project of each record type the file's records may refer to."""
    targets = {
        field.target
        for name in given
        if name in RECORD_TYPES
        for field in RECORD_TYPES[name].fields
        if field.kind in ("ref", "refs")
    }
    known: dict[str, set[str]] = {name: set() for name in ORDER}
    for name in targets:
        model: Any = RECORD_TYPES[name].model
        known[name].update(
            session.execute(select(model.id).where(model.project_id == project_id)).scalars()
        )
    return known


def _checked(
    kind: RecordType,
    item: object,
    known: dict[str, set[str]],
    where: str,
    errors: list[FieldError],
) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        errors.append(FieldError(where, "a record is an object"))
        return None
    values: dict[str, Any] = {}
    before = len(errors)
    for field in kind.fields:
        value, problem = clean_value(field, item.get(field.name), field.name)
        if problem:
            errors.append(FieldError(f"{where}.{field.name}", problem))
        elif field.kind in ("ref", "refs") and (
            missing := [
                ref
                for ref in (value if isinstance(value, list) else [value])
                if ref is not None and ref not in known[field.target]
            ]
        ):
            errors.append(
                FieldError(f"{where}.{field.name}", f"no {field.target} record {missing[0]}")
            )
        else:
            values[field.name] = value
    if kind.field("details") is not None:
        values["details"], problems = details_problems(
            values.get("act_type"), values.get("details")
        )
        errors.extend(FieldError(f"{where}.{p.field}", p.message) for p in problems)
    for name in item:
        if kind.field(name) is None and name not in META:
            errors.append(FieldError(f"{where}.{name}", f"not a field of {kind.name}"))
    meta = _meta(kind, item, where, errors)
    return {**values, **meta} if len(errors) == before else None


def _meta(
    kind: RecordType, item: Mapping[str, Any], where: str, errors: list[FieldError]
) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in META:
        if name == "code" and kind.model is not Person:
            continue
        value = item.get(name)
        if name in ("entered_at", "updated_at"):
            try:
                meta[name] = datetime.fromisoformat(str(value))
            except ValueError:
                errors.append(FieldError(f"{where}.{name}", "an ISO date and time"))
        elif name == "revision":
            if not isinstance(value, int) or value < 1:
                errors.append(FieldError(f"{where}.{name}", "a number from 1"))
            meta[name] = value
        elif not isinstance(value, str) or not value:
            errors.append(FieldError(f"{where}.{name}", "required"))
        else:
            meta[name] = value
    return meta


def _refuse_existing(
    session: Session, planned: Sequence[tuple[RecordType, dict[str, Any]]]
) -> None:
    for kind, values in planned:
        model: Any = kind.model
        if session.get(model, values["id"]) is not None:
            raise Conflict(f"{kind.name} record {values['id']} is already in the store")


def _history_row(project_id: str, change: Mapping[str, Any]) -> RecordChange:
    return RecordChange(
        id=change["id"],
        project_id=project_id,
        record_type=change["record_type"],
        record_id=change["record_id"],
        revision=change["revision"],
        action=change["action"],
        changes=change["changes"],
        actor=change["actor"],
        at=datetime.fromisoformat(change["at"]),
    )


def record_export(
    session: Session, principal: Principal, project_id: str, details: dict[str, Any]
) -> None:
    """The audit event of an export of a project's records (`export_project`, `export_csv`)."""
    principal.require(Permission.EXPORT_BULK)
    record_event(
        session,
        actor=principal.actor,
        action="documentation.exported",
        object_type="project",
        object_id=project_id,
        details=details,
    )


def export_csv(session: Session, principal: Principal, project_id: str, type_name: str) -> str:
    """One record type of a project as CSV: lists of codes joined by `|`, formulas escaped.

    It only reads, as `export_project` does."""
    principal.require(Permission.EXPORT_BULK)
    project = visible_project(session, principal, project_id)
    kind = RECORD_TYPES[type_name]
    model: Any = kind.model
    columns = _columns(kind)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    rows = session.execute(
        select(model).where(model.project_id == project.id).order_by(model.id)
    ).scalars()
    for record in rows:
        values = record_values(type_name, record)
        writer.writerow([escape_cell(_cell(values.get(column))) for column in columns])
    return out.getvalue()


def _columns(kind: RecordType) -> list[str]:
    meta = [m for m in META if m != "code" or kind.model is Person]
    return [meta[0], *(f.name for f in kind.fields), *meta[1:]]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)


def csv_records(kind: RecordType, text: str, source: str) -> list[dict[str, Any]]:
    """The rows of a CSV export as records for `import_project`; errors name row and column."""
    reader = csv.DictReader(io.StringIO(text))
    expected = _columns(kind)
    if reader.fieldnames is None or list(reader.fieldnames) != expected:
        raise InvalidInput(
            f"{source}: not a {kind.name} export",
            [FieldError("header", "the columns are " + ", ".join(expected), source)],
        )
    records = []
    for row in reader:
        record: dict[str, Any] = {}
        for column, raw in row.items():
            text_value = unescape_cell(raw or "")
            field = kind.field(column)
            if field is not None and field.kind in ("codes", "refs"):
                record[column] = text_value.split("|") if text_value else []
            elif field is not None and field.kind == "details":
                record[column] = _details(text_value, source, column)
            elif (field is not None and field.kind == "int") or column == "revision":
                record[column] = int(text_value) if text_value.isdigit() else text_value or None
            else:  # an empty cell is what the column holds when empty: None or ""
                nullable = kind.model.__table__.c[column].nullable  # type: ignore[attr-defined]
                record[column] = text_value or (None if nullable else "")
        records.append(record)
    return records


def _details(text: str, source: str, column: str) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidInput(
            f"{source}: a {column} cell is not JSON", [FieldError(column, "a JSON object", source)]
        ) from None


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
