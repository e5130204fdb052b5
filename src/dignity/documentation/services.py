"""Use cases of the documentation core: create, read, change and list records, with history.

Every record type is described in `fields.RECORD_TYPES`; the functions here work for all of them.
Access follows the project: reading needs `records:read` and membership of the record's project,
writing `records:write` as well; a record of another project is "not found", exactly as a missing
id. A change names the revision it was made from (a concurrent edit gets `Conflict`), is kept in
`RecordChange` with each field's old and new value, and leaves an audit event that names the record
but never its content.

Other capabilities use documentation through this module only, so it also re-exports (`X as X`)
what they need of its other modules: a person's identity in the vault (`identities`), consent
around a person (`consents`: check, share, withdrawal), everything held about a person
(`access_report`) and earlier testimony before a new interview (`earlier`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dignity.audit import record_event
from dignity.documentation.access_report import AccessReport as AccessReport
from dignity.documentation.access_report import access_report as access_report
from dignity.documentation.consents import check_share as check_share
from dignity.documentation.consents import share as share
from dignity.documentation.consents import withdraw as withdraw
from dignity.documentation.earlier import Candidate as Candidate
from dignity.documentation.earlier import earlier_testimony as earlier_testimony
from dignity.documentation.earlier import is_testimony as is_testimony
from dignity.documentation.fields import (
    RANGES,
    RECORD_TYPES,
    Field,
    RecordType,
    country_problem,
    partial_date_problem,
)
from dignity.documentation.identities import may_see_identities as may_see_identities
from dignity.documentation.identities import person_identity as person_identity
from dignity.documentation.identities import (
    person_identity_record as person_identity_record,
)
from dignity.documentation.identities import set_person_identity as set_person_identity
from dignity.documentation.models import Act, Involvement, Managed, Person, RecordChange
from dignity.documentation.search import index_record
from dignity.documentation.subforms import details_problems
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal, project_filter, visible_project
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow
from dignity.vocab.thesauri import term_problem

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and written down
CODE_LENGTH = 6
LIST_MAX = 200


def record_type(name: str) -> RecordType:
    found = RECORD_TYPES.get(name)
    if found is None:
        raise NotFound(f"no record type {name!r}")
    return found


def clean_value(field: Field, raw: object, where: str) -> tuple[Any, str | None]:
    """The value to store, or why it cannot be stored."""
    if raw is None or raw == "" or raw == [] or raw == {}:
        empty: Any = (
            [] if field.kind in ("codes", "refs") else {} if field.kind == "details" else None
        )
        return empty, ("required" if field.required else None)
    if field.kind == "details":
        return raw, None  # checked against the act's type by `subforms`
    if field.kind == "refs":
        items = raw if isinstance(raw, list) else [raw]
        ids = [item for item in items if isinstance(item, str)]
        if len(ids) != len(items):
            return None, "a list of record ids"
        return list(dict.fromkeys(ids)), None
    if field.kind == "codes":
        items = raw if isinstance(raw, list) else [raw]
        codes = [item for item in items if isinstance(item, str)]
        if len(codes) != len(items):
            return None, "a list of codes"
        for item in codes:
            problem = term_problem(field.vocabulary, item)
            if problem:
                return None, f"{item!r}: {problem}"
        return list(dict.fromkeys(codes)), None
    if field.kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            return None, "a whole number"
        try:
            number = int(raw)
        except ValueError:
            return None, "a whole number"
        return (number, None) if number >= 0 else (None, "zero or more")
    if not isinstance(raw, str):
        return None, "text"
    text = raw.strip()
    if not text:
        return None, ("required" if field.required else None)
    if len(text) > field.max_length:
        return None, f"at most {field.max_length:,} characters"
    if field.kind == "date":
        return text, partial_date_problem(text)
    if field.kind == "country":
        return text.lower(), country_problem(text.lower())
    if field.kind == "code":
        return text, term_problem(field.vocabulary, text)
    if field.kind == "choice" and text not in field.choices:
        return None, "one of " + ", ".join(field.choices)
    return text, None


def _clean(
    session: Session,
    kind: RecordType,
    project_id: str,
    values: Mapping[str, object],
    current: Managed | None,
) -> dict[str, Any]:
    """Every given field checked and cleaned; all problems at once, each with its field named."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for name in values:
        if kind.field(name) is None:
            errors.append(FieldError(name, f"not a field of {kind.name}"))
    for field in kind.fields:
        if field.name not in values:
            if current is None and field.required:
                errors.append(FieldError(field.name, "required"))
            continue
        value, problem = clean_value(field, values[field.name], field.name)
        if problem:
            errors.append(FieldError(field.name, problem))
            continue
        if value is None:  # cleared: a column that cannot be empty goes back to its default
            value = _default(kind, field.name)
        if field.kind in ("ref", "refs") and value:
            problem = next(
                (
                    found
                    for ref in (value if isinstance(value, list) else [value])
                    if (found := _ref_problem(session, field, ref, project_id))
                ),
                None,
            )
            if problem:
                errors.append(FieldError(field.name, problem))
                continue
        cleaned[field.name] = value
    if "details" in cleaned or "act_type" in cleaned:
        act_type = cleaned.get("act_type", getattr(current, "act_type", None))
        details = cleaned.get("details", getattr(current, "details", None))
        cleaned_details, problems = details_problems(act_type, details)
        errors.extend(problems)
        if "details" in cleaned:
            cleaned["details"] = cleaned_details
    for low, high in RANGES:
        lower = cleaned.get(low, getattr(current, low, None))
        upper = cleaned.get(high, getattr(current, high, None))
        if lower is not None and upper is not None and lower > upper:
            errors.append(FieldError(low, f"more than {high} ({lower} > {upper})"))
    if errors:
        raise InvalidInput(f"the {kind.name} record cannot be saved", errors)
    return cleaned


def _default(kind: RecordType, name: str) -> Any:
    column = kind.model.__table__.c[name]  # type: ignore[attr-defined]
    if column.nullable or column.default is None:
        return None
    return column.default.arg


def _ref_problem(session: Session, field: Field, record_id: str, project_id: str) -> str | None:
    model = RECORD_TYPES[field.target].model
    found = session.execute(
        select(model.project_id).where(model.id == record_id)
    ).scalar_one_or_none()
    if found is None or found != project_id:  # another project's record is no record here
        return f"no such {field.target} record in this project"
    return None


def _new_code(session: Session, project_id: str) -> str:
    while True:
        code = "P-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = session.execute(
            select(Person.id).where(Person.project_id == project_id, Person.code == code)
        ).first()
        if taken is None:
            return code


def create_record(
    session: Session,
    principal: Principal,
    type_name: str,
    project_id: str,
    values: Mapping[str, object],
) -> Managed:
    principal.require(Permission.RECORDS_WRITE)
    kind = record_type(type_name)
    project = visible_project(session, principal, project_id)
    cleaned = _clean(session, kind, project.id, values, None)
    model: Any = kind.model
    record: Managed = model(
        id=new_id(),
        project_id=project.id,
        entered_by=principal.actor,
        updated_by=principal.actor,
        **cleaned,
    )
    if isinstance(record, Person):
        record.code = _new_code(session, project.id)
    session.add(record)
    session.flush()
    index_record(session, kind.name, record)
    changes = {name: [None, value] for name, value in sorted(cleaned.items())}
    _changed(session, principal, kind, record, "created", changes)
    return record


def update_record(
    session: Session,
    principal: Principal,
    type_name: str,
    record_id: str,
    *,
    revision: int,
    values: Mapping[str, object],
) -> Managed:
    """Change the given fields (others stay); refused if the record changed since `revision`."""
    principal.require(Permission.RECORDS_WRITE)
    kind = record_type(type_name)
    record = get_record(session, principal, type_name, record_id)
    if revision != record.revision:
        raise Conflict(f"the {kind.name} record was changed by someone else; reload it")
    cleaned = _clean(session, kind, record.project_id, values, record)
    changes = {
        name: [getattr(record, name), value]
        for name, value in sorted(cleaned.items())
        if getattr(record, name) != value
    }
    if not changes:
        return record
    for name, (_, value) in changes.items():
        setattr(record, name, value)
    record.updated_by, record.updated_at = principal.actor, utcnow()
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"the {kind.name} record was changed by someone else; reload it") from None
    index_record(session, kind.name, record)
    _changed(session, principal, kind, record, "updated", changes)
    return record


def _changed(
    session: Session,
    principal: Principal,
    kind: RecordType,
    record: Managed,
    action: str,
    changes: dict[str, list[Any]],
) -> None:
    session.add(
        RecordChange(
            project_id=record.project_id,
            record_type=kind.name,
            record_id=record.id,
            revision=record.revision,
            action=action,
            changes=changes,
            actor=principal.actor,
        )
    )
    record_event(
        session,
        actor=principal.actor,
        action=f"documentation.{action}",
        object_type=kind.name,
        object_id=record.id,
        details={
            "project": record.project_id,
            "revision": record.revision,
            "fields": list(changes),
        },
    )


def get_record(session: Session, principal: Principal, type_name: str, record_id: str) -> Managed:
    """The record if the caller may see its project; otherwise "not found", as for a wrong id."""
    principal.require(Permission.RECORDS_READ)
    kind = record_type(type_name)
    model: Any = kind.model
    found = session.execute(
        select(model).where(model.id == record_id, project_filter(principal, model.project_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no such {kind.name} record")
    record: Managed = found
    return record


def list_records(
    session: Session,
    principal: Principal,
    type_name: str,
    *,
    project_id: str | None = None,
    where: Mapping[str, object] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Managed], int]:
    """A page of the records the caller may see, newest first, and how many there are."""
    principal.require(Permission.RECORDS_READ)
    kind = record_type(type_name)
    model: Any = kind.model
    clauses = [project_filter(principal, model.project_id)]
    if project_id is not None:
        clauses.append(model.project_id == project_id)
    for name, value in (where or {}).items():
        if kind.field(name) is None:
            raise InvalidInput("unknown filter", [FieldError(name, f"not a field of {kind.name}")])
        clauses.append(getattr(model, name) == value)
    total = session.execute(select(func.count()).select_from(model).where(*clauses)).scalar_one()
    rows = session.execute(
        select(model)
        .where(*clauses)
        .order_by(model.entered_at.desc(), model.id.desc())
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), LIST_MAX))
    ).scalars()
    return list(rows), total


def record_values(type_name: str, record: Managed) -> dict[str, Any]:
    """The record as plain data: its fields, its id, project, code and management fields."""
    kind = record_type(type_name)
    values: dict[str, Any] = {"id": record.id, "project_id": record.project_id}
    if isinstance(record, Person):
        values["code"] = record.code
    values.update({field.name: getattr(record, field.name) for field in kind.fields})
    values.update(
        {
            "revision": record.revision,
            "entered_by": record.entered_by,
            "entered_at": record.entered_at.isoformat(),
            "updated_by": record.updated_by,
            "updated_at": record.updated_at.isoformat(),
        }
    )
    return values


def history(
    session: Session, principal: Principal, type_name: str, record_id: str
) -> Sequence[RecordChange]:
    """Who changed what in a record, oldest first."""
    record = get_record(session, principal, type_name, record_id)
    return list(
        session.execute(
            select(RecordChange)
            .where(RecordChange.record_type == type_name, RecordChange.record_id == record.id)
            .order_by(RecordChange.revision, RecordChange.at)
        ).scalars()
    )


def perpetrators(
    session: Session, principal: Principal, project_id: str
) -> list[tuple[Person, int, int]]:
    """The alleged perpetrators of a project (persons involved in at least one act as such, or
    typed as a perpetrator), each with the number of acts and of events they are involved in."""
    principal.require(Permission.RECORDS_READ)
    project = visible_project(session, principal, project_id)
    involved = {
        person_id: (acts, events)
        for person_id, acts, events in session.execute(
            select(
                Involvement.perpetrator_id,
                func.count(func.distinct(Involvement.act_id)),
                func.count(func.distinct(Act.event_id)),
            )
            .join(Act, Act.id == Involvement.act_id)
            .where(Involvement.project_id == project.id)
            .group_by(Involvement.perpetrator_id)
        )
    }
    persons = session.execute(
        select(Person)
        .where(
            Person.project_id == project.id,
            Person.id.in_(
                select(Involvement.perpetrator_id).where(Involvement.project_id == project.id)
            )
            | Person.perpetrator_type.is_not(None),
        )
        .order_by(Person.code)
    ).scalars()
    return [(person, *involved.get(person.id, (0, 0))) for person in persons]
