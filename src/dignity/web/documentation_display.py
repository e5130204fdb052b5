"""What the documentation pages share in their display: record type and field names, a record in
a few words, the records a page refers to (one query per record type, never one per row), and who
an actor is. Codes are shown by their label in the page language (`term_label`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.documentation.fields import RECORD_TYPES, Field, RecordType
from dignity.documentation.models import Managed
from dignity.security.authz import Principal, project_filter
from dignity.security.models import Project, User
from dignity.web.documentation_shared import record_url, term_label

EN_DASH = "\u2013"  # between the bounds of a range: 20\u201340

TYPE_LABELS = {
    "events": "Event",
    "event-links": "Event link",
    "persons": "Person",
    "acts": "Act",
    "involvements": "Involvement",
    "information": "Information",
    "interventions": "Intervention",
    "relations": "Biographic relation",
    "counts": "Count",
}
TYPE_TITLES = {
    "events": "Events",
    "event-links": "Event links",
    "persons": "Persons",
    "acts": "Acts",
    "involvements": "Involvements",
    "information": "Information",
    "interventions": "Interventions",
    "relations": "Biographic relations",
    "counts": "Counts",
}
# The date fields of a record and the field that holds each one's precision.
PRECISION = {"start_date": "start_precision", "end_date": "end_precision", "date": "date_precision"}
FIELD_LABELS = {
    "event_id": "Event",
    "from_event_id": "From event",
    "to_event_id": "To event",
    "victim_id": "Victim",
    "act_id": "Act",
    "perpetrator_id": "Alleged perpetrator",
    "source_id": "Source",
    "person_id": "Person",
    "related_id": "Related to",
    "intervening_party_id": "Intervening party",
    "victim_status_end": "Victim's status at the end",
    "latest_status": "Latest status",
    "received_at": "Received",
    "rights_affected": "Rights affected",
    "country": "Country (ISO 3166)",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def page_language(request: Request) -> str:
    language: str = request.app.state.settings.language
    return language


def common(request: Request) -> dict[str, Any]:
    """What every documentation page's templates use besides the globals."""
    return {
        "field_label": field_label,
        "type_labels": TYPE_LABELS,
        "type_titles": TYPE_TITLES,
        "precision": PRECISION,
        "lang": page_language(request),
    }


def visible_projects(session: Session, principal: Principal) -> list[Project]:
    return list(
        session.execute(
            select(Project).where(project_filter(principal, Project.id)).order_by(Project.name)
        ).scalars()
    )


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """actor -> the username to show, for the staff among `actors` (others show as they are)."""
    ids = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
    return {f"user:{user_id}": username for user_id, username in rows}


def short_text(type_name: str, record: Managed, language: str) -> str:
    """A record in a few words: an event's title, a person's code, an act's type ..."""
    if type_name == "events":
        return str(getattr(record, "title", ""))
    if type_name == "persons":
        return str(getattr(record, "code", ""))
    if type_name == "counts":
        low, high = getattr(record, "minimum", None), getattr(record, "maximum", None)
        numbers = str(low) if low == high else f"{low}{EN_DASH}{high}"
        return f"{term_label(getattr(record, 'what', None), language)}: {numbers}"
    code_field = {
        "acts": "act_type",
        "involvements": "degree",
        "information": "material_type",
        "interventions": "intervention_type",
        "relations": "relation_type",
        "event-links": "link_type",
    }[type_name]
    return term_label(getattr(record, code_field, None), language) or TYPE_LABELS[type_name]


def load_records(
    session: Session, principal: Principal, wanted: Mapping[str, Iterable[str]]
) -> dict[str, Managed]:
    """id -> record, for the ids of each type (one query per type), in the caller's projects."""
    found: dict[str, Managed] = {}
    for type_name, ids in wanted.items():
        unique = {i for i in ids if i}
        if not unique:
            continue
        model: Any = RECORD_TYPES[type_name].model
        rows = session.execute(
            select(model).where(model.id.in_(unique), project_filter(principal, model.project_id))
        ).scalars()
        found.update({row.id: row for row in rows})
    return found


def ref_labels(
    session: Session,
    principal: Principal,
    kind: RecordType,
    records: Sequence[Managed],
    language: str,
    names: Iterable[str] | None = None,
) -> dict[str, str]:
    """id -> short text of every record the `ref`/`refs` fields of `records` name."""
    wanted: dict[str, set[str]] = {}
    chosen = set(names) if names is not None else None
    for ref in kind.fields:
        if ref.kind not in ("ref", "refs") or (chosen is not None and ref.name not in chosen):
            continue
        for record in records:
            value = getattr(record, ref.name)
            wanted.setdefault(ref.target, set()).update(
                value if isinstance(value, list) else [value]
            )
    targets = {i: t for t, ids in wanted.items() for i in ids}
    return {
        record_id: short_text(targets[record_id], record, language)
        for record_id, record in load_records(session, principal, wanted).items()
    }


def project_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    rows = session.execute(select(Project.id, Project.name).where(Project.id.in_(set(ids))))
    return {str(project_id): str(name) for project_id, name in rows}


@dataclass(frozen=True)
class Part:
    """One piece of a value as a page shows it: a label, a link, a date, a paragraph ..."""

    text: str
    href: str | None = None
    kind: str = "text"  # text, long (a paragraph), time, precision (of the date before it)


def _detail(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def parts(field: Field, value: Any, language: str, labels: Mapping[str, str]) -> list[Part]:
    """`value` of `field` as shown: terms by their label, references as links named by `labels`
    (id -> short text), a sub-form as one part per detail; nothing for an empty value."""
    if value is None or value == "" or value == [] or value == {}:
        return []
    if field.kind == "code":
        return [Part(term_label(value, language))]
    if field.kind == "codes":
        return [Part(term_label(code, language)) for code in value]
    if field.kind in ("ref", "refs"):
        ids = value if isinstance(value, list) else [value]
        return [Part(labels.get(i, i), record_url(field.target, i)) for i in ids]
    if field.kind == "details" and isinstance(value, dict):
        return [Part(f"{field_label(k)}: {_detail(v)}") for k, v in value.items()]
    if field.kind == "date":
        return [Part(str(value), kind="time")]
    if field.kind == "country":
        return [Part(str(value).upper())]
    if field.kind == "longtext":
        return [Part(str(value), kind="long")]
    return [Part(_detail(value))]


def field_parts(
    record: Managed, field: Field, language: str, labels: Mapping[str, str]
) -> list[Part]:
    """A field of `record` as shown; a date with its precision."""
    found = parts(field, getattr(record, field.name), language, labels)
    precision = PRECISION.get(field.name)
    if found and precision:
        found.append(Part(term_label(getattr(record, precision), language), kind="precision"))
    return found
