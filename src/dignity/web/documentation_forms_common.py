"""What the documentation forms share: reading a posted form into a record's values, the
service's errors onto the form's fields, and the choices each field offers.

Every input is named after its field (`title`, `start_date`), with a prefix for nested parts
(`victim.sex`, `perpetrators.1.degree`); an act's sub-form fields are `details.<sub-form>.<field>`
so the sub-forms of every act type can share a page when scripts are off. A page keeps two
dictionaries keyed by those names: `values` (what the user typed, as typed) and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, get_args

from fastapi import Depends, Request
from followthemoney.types import registry
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from dignity.documentation import services as docs
from dignity.documentation.fields import RECORD_TYPES, Field, RecordType, country_problem
from dignity.documentation.models import Act, Event, Information, Managed, Person
from dignity.documentation.subforms import SUBFORMS, subform_for
from dignity.exc import FieldError, InvalidInput
from dignity.security.authz import Principal
from dignity.vocab.thesauri import all_thesauri
from dignity.web.documentation_shared import term_label

PERSONS = RECORD_TYPES["persons"]
REF_OPTIONS_MAX = docs.LIST_MAX  # records offered by a reference field (the newest)

# Labels of the fields whose name does not read well as it is.
LABELS = {
    "start_date": "Start date",
    "start_precision": "Start date precision",
    "end_date": "End date",
    "end_precision": "End date precision",
    "date_precision": "Date precision",
    "country": "Country (ISO code)",
    "location_type": "Type of location",
    "violation_types": "Violation types",
    "status": "Status",
    "received_at": "Received on",
    "monitoring_status": "Monitoring status",
    "kind": "Individual or group",
    "existing": "Recorded person or group",
    "act_type": "Act type",
    "victim_status_end": "Victim's status at the end of the act",
    "details": "Details for this act type",
    "degree": "Degree of involvement",
    "latest_status": "Latest legal status",
    "perpetrator_type": "Type of perpetrator",
    "counting_unit": "Counting unit",
    "group_size_min": "Group size, at least",
    "group_size_max": "Group size, at most",
    "age_min": "Age, at least",
    "age_max": "Age, at most",
    "material_type": "Type of material",
    "source_id": "Source",
    "intervening_party_id": "Intervening party",
    "intervention_type": "Type of intervention",
    "from_event_id": "From event",
    "to_event_id": "To event",
    "related_id": "Related person",
    "relation_type": "Type of relation",
    "minimum_sources": "Sources of the minimum",
    "maximum_sources": "Sources of the maximum",
}
HINTS = {
    "date": "YYYY, YYYY-MM or YYYY-MM-DD.",
    "country": "Two letters (ua, sd, mm), or a subdivision (gb-sct).",
    "language": "A language tag: ar, en, fr, my ...",
    "persons.description": "Without a name or anything that identifies them: "
    "'a trader of the market', 'a unit of the 3rd brigade'.",
}
TYPE_TITLES = {
    "events": "event",
    "event-links": "link between events",
    "persons": "person or group",
    "acts": "act",
    "involvements": "involvement",
    "information": "source of information",
    "interventions": "intervention",
    "relations": "biographic relation",
    "counts": "count",
}


def label_of(name: str) -> str:
    """The label of a field named `name` (the last part of an input name)."""
    last = name.rsplit(".", 1)[-1]
    if last in LABELS:
        return LABELS[last]
    return last.removesuffix("_id").replace("_", " ").capitalize()


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


def text(form: FormData, name: str) -> str:
    found = form.get(name, "")
    return found if isinstance(found, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    return [item for item in form.getlist(name) if isinstance(item, str) and item]


# --- record values --------------------------------------------------------------------------


def shown_values(kind: RecordType, form: FormData, prefix: str = "") -> dict[str, Any]:
    """What the fields of `kind` hold in the posted form, as typed, keyed by input name."""
    shown: dict[str, Any] = {}
    for field in kind.fields:
        name = prefix + field.name
        if field.kind in ("codes", "refs"):
            shown[name] = texts(form, name)
        elif field.kind == "details":
            for key, subform in subform_fields().items():
                for sub in subform:
                    sub_name = f"{prefix}details.{key}.{sub.name}"
                    shown[sub_name] = text(form, sub_name)
        else:
            shown[name] = text(form, name)
    return shown


def record_shown(kind: RecordType, record: Managed) -> dict[str, Any]:
    """What the fields of `kind` show for a stored record."""
    shown: dict[str, Any] = {}
    for field in kind.fields:
        value = getattr(record, field.name)
        if field.kind in ("codes", "refs"):
            shown[field.name] = list(value or [])
        elif field.kind == "details":
            key = subform_key(getattr(record, "act_type", "") or "")
            for sub_name, sub_value in (value or {}).items():
                shown[f"details.{key}.{sub_name}"] = _sub_text(sub_value)
        else:
            shown[field.name] = "" if value is None else str(value)
    return shown


def _sub_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _empty(kind: RecordType, field: Field) -> object:
    """What to send for a field left empty: on creation nothing (the column's default), on an
    edit a value that clears it. The service reads "" as "no value" (NULL), which a column that
    cannot be NULL refuses: such a column is reset to its default instead; for text, whose
    default is the empty string, a blank (" ") is what the service stores as ""."""
    if field.kind in ("codes", "refs"):
        return []
    if field.kind == "details":
        return {}
    column = kind.model.__table__.c[field.name]  # type: ignore[attr-defined]
    if column.nullable or field.required:
        return None
    default = column.default.arg if column.default is not None else None
    return " " if default == "" else default


def service_values(
    kind: RecordType,
    shown: Mapping[str, Any],
    prefix: str = "",
    *,
    creating: bool = True,
    skip: Iterable[str] = (),
) -> dict[str, Any]:
    """The values to give the service for the posted fields of `kind`."""
    values: dict[str, Any] = {}
    for field in kind.fields:
        if field.name in skip:
            continue
        name = prefix + field.name
        if field.kind == "details":
            raw: Any = details_value(shown, prefix, shown.get(prefix + "act_type", ""))
        else:
            raw = shown.get(name, "")
            raw = raw.strip() if isinstance(raw, str) else raw
        if raw in ("", [], {}):
            if creating and not field.required:
                continue
            raw = _empty(kind, field) if not creating else raw
        values[field.name] = raw
    return values


def has_values(shown: Mapping[str, Any], names: Iterable[str]) -> bool:
    return any(shown.get(name) not in (None, "", []) for name in names)


# --- act sub-forms --------------------------------------------------------------------------


@dataclass(frozen=True)
class SubField:
    name: str
    kind: str  # text, longtext, date, bool, int
    max_length: int | None


def subform_key(act_type: str) -> str:
    found = subform_for(act_type)
    return found.__name__.lower() if found is not None else ""


@lru_cache(maxsize=1)
def subform_fields() -> dict[str, tuple[SubField, ...]]:
    """Each sub-form's fields, by sub-form key (`detention`, `killing` ...)."""
    found: dict[str, tuple[SubField, ...]] = {}
    for subform in dict.fromkeys(SUBFORMS.values()):
        items: list[SubField] = []
        for name, info in subform.model_fields.items():
            types = set(get_args(info.annotation)) - {type(None)}
            max_length = next(
                (m.max_length for m in info.metadata if getattr(m, "max_length", None)), None
            )
            if bool in types:
                kind = "bool"
            elif int in types:
                kind = "int"
            elif name.endswith("_on"):  # arrested_on, released_on: partial dates
                kind = "date"
            else:
                kind = "longtext" if (max_length or 0) > 500 else "text"
            items.append(SubField(name, kind, max_length))
        found[subform.__name__.lower()] = tuple(items)
    return found


def subform_act_types(lang: str) -> dict[str, list[tuple[str, str]]]:
    """(code, label) of the act types each sub-form serves (with their narrower terms), by
    sub-form key."""
    found: dict[str, list[tuple[str, str]]] = {}
    for act_type, subform in SUBFORMS.items():
        found.setdefault(subform.__name__.lower(), []).append(
            (act_type, term_label(act_type, lang))
        )
    return found


def details_value(shown: Mapping[str, Any], prefix: str, act_type: str) -> dict[str, Any]:
    """The sub-form of `act_type` from the form (those of other act types are left out)."""
    key = subform_key(act_type)
    details: dict[str, Any] = {}
    for sub in subform_fields().get(key, ()):
        raw = shown.get(f"{prefix}details.{key}.{sub.name}", "")
        if raw == "":
            continue
        if sub.kind == "bool":
            details[sub.name] = {"yes": True, "no": False}.get(raw, raw)
        elif sub.kind == "int":
            details[sub.name] = int(raw) if raw.isdigit() else raw
        else:
            details[sub.name] = raw
    return details


# --- errors ---------------------------------------------------------------------------------


def field_errors(
    error: InvalidInput, prefix: str = "", act_type: str = "", drop: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The service's errors keyed by input name (`details.x` of an act: its sub-form's input)."""
    found: dict[str, list[str]] = {}
    for item in error.errors:
        if item.field in drop:
            continue
        name = item.field
        if name.startswith("details.") and act_type:
            name = f"details.{subform_key(act_type)}.{name.removeprefix('details.')}"
        found.setdefault(prefix + name, []).append(item.message)
    return found


def add_error(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def as_invalid(errors: Mapping[str, list[str]]) -> InvalidInput:
    return InvalidInput(
        "not saved",
        [FieldError(name, message) for name, messages in errors.items() for message in messages],
    )


# --- choices --------------------------------------------------------------------------------


def code_options(vocabulary: str, lang: str) -> list[tuple[str, str, int]]:
    """(code, label, depth) of every term of a vocabulary, broader terms first."""
    found = all_thesauri().get(vocabulary)
    if found is None:
        return []
    options: list[tuple[str, str, int]] = []
    for top in found.top():
        for term in (top, *found.descendants(top.code)):
            options.append((term.code, found.label(term.code, lang), term.depth))
    return options


@lru_cache(maxsize=1)
def countries() -> list[tuple[str, str]]:
    return sorted(
        (code, name)
        for code, name in registry.country.names.items()
        if country_problem(code) is None
    )


def record_caption(record: Managed, lang: str) -> str:
    """How a record is named in a choice: a person by its code, never by who they are."""
    if isinstance(record, Person):
        what = term_label(record.perpetrator_type or record.occupation or "", lang)
        kind = "group" if record.kind == "group" else "individual"
        extra = f" — {record.description[:60]}" if record.description else ""
        return f"{record.code} ({kind}{', ' + what if what else ''}){extra}"
    if isinstance(record, Event):
        return f"{record.title[:80]} ({record.start_date or 'no date'})"
    if isinstance(record, Act):
        return f"{term_label(record.act_type, lang)} ({record.start_date or 'no date'})"
    if isinstance(record, Information):
        return f"{term_label(record.material_type or 'information', lang)} ({record.id[:8]})"
    return record.id


def ref_options(
    session: Session, principal: Principal, project_id: str, target: str, lang: str
) -> list[tuple[str, str]]:
    """(id, caption) of the project's records of type `target`, persons sorted by code."""
    records, _ = docs.list_records(
        session, principal, target, project_id=project_id, limit=REF_OPTIONS_MAX
    )
    options = [(record.id, record_caption(record, lang)) for record in records]
    return sorted(options, key=lambda option: option[1]) if target == "persons" else options


def choices_for(
    session: Session,
    principal: Principal,
    project_id: str,
    kinds: Iterable[RecordType],
    lang: str,
    targets: Iterable[str] | None = None,
) -> dict[str, Any]:
    """What the fields of `kinds` offer: vocabulary terms and the project's records (of the
    record types `targets` only, when given: those the page has a choice of)."""
    wanted = set(targets) if targets is not None else None
    vocabularies: dict[str, list[tuple[str, str, int]]] = {}
    refs: dict[str, list[tuple[str, str]]] = {}
    for kind in kinds:
        for field in kind.fields:
            if field.vocabulary and field.vocabulary not in vocabularies:
                vocabularies[field.vocabulary] = code_options(field.vocabulary, lang)
            if (
                field.target
                and field.target not in refs
                and (wanted is None or field.target in wanted)
            ):
                refs[field.target] = ref_options(session, principal, project_id, field.target, lang)
    return {
        "vocabularies": vocabularies,
        "refs": refs,
        "countries": countries(),
        "subforms": subform_fields(),
        "subform_types": subform_act_types(lang),
        "label_of": label_of,
        "hints": HINTS,
    }


# --- a person chosen or described -----------------------------------------------------------


def person_part(form: FormData, prefix: str, names: Iterable[str]) -> dict[str, Any]:
    """A victim, source, party or perpetrator as posted: `mode` (existing or new), the person
    chosen (`existing`) and the fields describing a new one."""
    shown: dict[str, Any] = {
        f"{prefix}mode": "existing" if text(form, f"{prefix}mode") == "existing" else "new",
        f"{prefix}existing": text(form, f"{prefix}existing"),
    }
    shown.update({prefix + name: text(form, prefix + name) for name in names})
    return shown


def save_person_part(
    session: Session,
    principal: Principal,
    project_id: str,
    shown: Mapping[str, Any],
    prefix: str,
    names: Iterable[str],
    errors: dict[str, list[str]],
    *,
    missing: str,
) -> str | None:
    """The id of the person chosen, or of the new person described (created here); None with the
    problems added to `errors` (keyed by input name) when there is neither."""
    if shown[f"{prefix}mode"] == "existing":
        if not shown[f"{prefix}existing"]:
            add_error(errors, f"{prefix}existing", missing)
            return None
        chosen: str = shown[f"{prefix}existing"]
        return chosen
    values = {name: shown[prefix + name] for name in names if shown[prefix + name] != ""}
    try:
        person = docs.create_record(session, principal, "persons", project_id, values)
    except InvalidInput as problem:
        errors.update(field_errors(problem, prefix))
        return None
    return person.id


def move_ref_error(errors: dict[str, list[str]], name: str, to: str, given: str | None) -> None:
    """The service's error on a reference (`victim_id`) shown on the input that chose it; dropped
    when nothing was given, since the reason is already shown where the person was described."""
    found = errors.pop(name, None)
    if found and given:
        errors.setdefault(to, []).extend(found)


def keyed(problem: InvalidInput) -> dict[str, list[str]]:
    """The problems of `problem` by field, as `as_invalid` gathered them."""
    found: dict[str, list[str]] = {}
    for item in problem.errors:
        found.setdefault(item.field, []).append(item.message)
    return found


def defaults(kind: RecordType, prefix: str = "") -> dict[str, str]:
    """What a new record's form starts from: the stored defaults of the fields that have one
    (a date's precision "unknown", monitoring "open")."""
    found: dict[str, str] = {}
    for field in kind.fields:
        if field.kind not in ("code", "choice"):
            continue
        column = kind.model.__table__.c[field.name]  # type: ignore[attr-defined]
        default = column.default.arg if column.default is not None else None
        if isinstance(default, str) and default:
            found[prefix + field.name] = default
    return found
