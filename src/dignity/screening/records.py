"""The matchable view of an entity: prepared names, dates, countries, gender and identifiers.

A `Record` is built once per listed entity when the index is built, and once per query, so that
comparing the two is nothing but lookups and string distances. Queries and listed entities are
both FollowTheMoney-shaped (a schema and property values), as yente's API takes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from followthemoney import model
from followthemoney.schema import Schema

from dignity.exc import FieldError, InvalidInput
from dignity.screening import caches
from dignity.screening.text import NAME_KINDS, PreparedName, kind_of_thing, prepare_name

MATCHABLE = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")
DATE_PROPS = ("birthDate", "incorporationDate", "buildDate")
COUNTRY_PROPS = ("nationality", "citizenship", "country", "jurisdiction", "mainCountry", "flag")
# Identifier properties that name one thing (the sanction program id names a program, not it).
IDENTIFIER_PROPS = (
    "passportNumber",
    "idNumber",
    "taxNumber",
    "registrationNumber",
    "innCode",
    "ogrnCode",
    "leiCode",
    "swiftBic",
    "vatCode",
    "imoNumber",
    "mmsi",
    "callSign",
    "icaoCode",
    "serialNumber",
    "socialSecurityNumber",
)
# Kinds that must agree when both sides have one: a vessel has one IMO number for life.
UNIQUE_IDENTIFIERS = frozenset({"imoNumber", "mmsi", "icaoCode", "serialNumber", "leiCode"})
_ID_JUNK = re.compile(r"[^0-9A-Z]")


def normalize_identifier(prop: str, value: str) -> str:
    """Upper case, separators gone, `IMO 9123456` and `9123456` the same."""
    text = _ID_JUNK.sub("", value.upper())
    if prop == "imoNumber" and text.startswith("IMO"):
        text = text[3:]
    return text


@dataclass(slots=True)
class Record:
    """An entity as the matcher sees it."""

    id: str
    schema: str
    caption: str
    names: list[PreparedName]
    dates: set[str] = field(default_factory=set)  # YYYY, YYYY-MM or YYYY-MM-DD
    countries: set[str] = field(default_factory=set)  # ISO codes, lower case
    genders: set[str] = field(default_factory=set)
    identifiers: dict[str, set[str]] = field(default_factory=dict)  # property -> values
    datasets: tuple[str, ...] = ()
    programs: frozenset[str] = frozenset()
    properties: Mapping[str, Sequence[str]] = field(default_factory=dict)  # as listed, for display

    @property
    def schema_obj(self) -> Schema:
        return model.schemata[self.schema]


def compatible(query_schema: Schema, candidate_schema: Schema) -> bool:
    """Whether a candidate can be what the query describes (a Person is never a Company)."""
    return candidate_schema.is_a(query_schema) or query_schema.is_a(candidate_schema)


def _names(schema: str, values: Mapping[str, Sequence[str]]) -> list[PreparedName]:
    """The names to match, strongest kind first, each kind's in sorted order: the order a store
    gives a list's values in is its reader's, which differs from one import to the next, and the
    first of names alike is the one kept (and the first name the caption)."""
    how = kind_of_thing(schema)
    names: list[PreparedName] = []
    seen: set[tuple[str, ...]] = set()
    for kind in NAME_KINDS:
        for value in sorted(values.get(kind, ())):
            prepared = prepare_name(value, kind, how)
            if prepared is None:
                continue
            key = tuple(t.text for t in prepared.tokens)
            if key in seen:  # the same tokens under a weaker kind add nothing
                continue
            seen.add(key)
            names.append(prepared)
    return names


def make_record(
    entity_id: str,
    schema: str,
    values: Mapping[str, Sequence[str]],
    *,
    caption: str = "",
    datasets: Iterable[str] = (),
    extra_identifiers: Iterable[tuple[str, str]] = (),
    programs: Iterable[str] = (),
) -> Record:
    """A record from property values (already cleaned by FtM: ISO dates, country codes)."""
    names = _names(schema, values)
    identifiers: dict[str, set[str]] = {}
    for prop in IDENTIFIER_PROPS:
        for value in values.get(prop, ()):
            normalized = normalize_identifier(prop, value)
            if len(normalized) >= 4:
                identifiers.setdefault(prop, set()).add(normalized)
    for prop, value in extra_identifiers:
        normalized = normalize_identifier(prop, value)
        if len(normalized) >= 4:
            identifiers.setdefault(prop, set()).add(normalized)
    return Record(
        id=entity_id,
        schema=schema,
        caption=caption or (names[0].original if names else entity_id),
        names=names,
        dates={v[:10] for p in DATE_PROPS for v in values.get(p, ()) if v[:4].isdigit()},
        countries={v.lower() for p in COUNTRY_PROPS for v in values.get(p, ())},
        genders={v.lower() for v in values.get("gender", ()) if v.lower() in ("male", "female")},
        identifiers=identifiers,
        datasets=tuple(datasets),
        programs=frozenset(programs),
        properties=values,
    )


def clean_properties(
    schema: str, properties: Mapping[str, object], key: str = "query"
) -> tuple[str, dict[str, list[str]]]:
    """The schema's name and the values cleaned by FollowTheMoney's types (dates, countries).

    Bad input (an unknown or unmatchable schema, a property the schema lacks, a value that is not
    a string, nothing to match on) is refused with the field named, as yente does.
    """
    schema_obj = model.get(schema)
    if schema_obj is None or not schema_obj.matchable:
        raise InvalidInput(
            "query cannot be matched",
            [FieldError(f"{key}.schema", f"{schema!r} is not a matchable schema")],
        )
    cleaned: dict[str, list[str]] = {}
    errors: list[FieldError] = []
    for prop_name, raw in properties.items():
        prop = schema_obj.get(prop_name)
        if prop is None:
            errors.append(FieldError(f"{key}.properties.{prop_name}", "not a property of schema"))
            continue
        items = raw if isinstance(raw, list) else [raw]
        for item in items:
            if not isinstance(item, str):
                errors.append(FieldError(f"{key}.properties.{prop_name}", "values are strings"))
                continue
            value = prop.type.clean(item, proxy=None) if prop.type.name != "name" else item.strip()
            if value and value not in cleaned.get(prop_name, ()):
                cleaned.setdefault(prop_name, []).append(value)
    if errors:
        raise InvalidInput("query cannot be matched", errors)
    return schema_obj.name, cleaned


def query_record(schema: str, properties: Mapping[str, object], key: str = "query") -> Record:
    """A record for a screening query; values are cleaned by FollowTheMoney's types.

    Refused as `clean_properties` says, and when neither a name nor an identifier is left.
    """
    caches.tick()  # the caches of name preparation kept bounded
    schema_name, cleaned = clean_properties(schema, properties, key)
    record = make_record(key, schema_name, cleaned)
    if not record.names and not record.identifiers:
        raise InvalidInput(
            "query cannot be matched",
            [FieldError(f"{key}.properties.name", "a name or an identifier is needed")],
        )
    return record
