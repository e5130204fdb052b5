"""What each documentation record holds, field by field: one table drives validation, the API,
the forms and the CSV columns, so they cannot drift apart.

A field is text, a number, a partial date with its precision, one term or several terms of a
vocabulary, or a reference to another record of the same project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dignity.documentation.models import (
    Act,
    BiographicRelation,
    Event,
    EventCount,
    EventLink,
    Information,
    Intervention,
    Involvement,
    Managed,
    Person,
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, longtext, int, date, code, codes, ref, refs, country, choice, details
    required: bool = False
    vocabulary: str = ""  # for code and codes
    target: str = ""  # for ref and refs: the record type referred to
    choices: tuple[str, ...] = ()  # for choice
    max_length: int = 500


@dataclass(frozen=True)
class RecordType:
    name: str  # as in URLs and CSV files: events, acts ...
    model: type[Managed]
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _dates(prefix: str = "") -> tuple[Field, ...]:
    start, end = (f"{prefix}start", f"{prefix}end") if prefix else ("start", "end")
    return (
        Field(f"{start}_date", "date"),
        Field(f"{start}_precision", "code", vocabulary="date"),
        Field(f"{end}_date", "date"),
        Field(f"{end}_precision", "code", vocabulary="date"),
    )


MANAGEMENT = (
    Field("received_at", "date"),
    Field("monitoring_status", "code", vocabulary="monitoring"),
)

RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType(
            "events",
            Event,
            (
                Field("title", "text", required=True),
                Field("description", "longtext", max_length=100_000),
                *_dates(),
                Field("country", "country"),
                Field("place", "text"),
                Field("location_type", "code", vocabulary="location"),
                Field("violation_types", "codes", vocabulary="violation"),
                Field("rights_affected", "codes", vocabulary="right"),
                Field("status", "code", vocabulary="progress"),
                Field("impact", "longtext", max_length=20_000),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "event-links",
            EventLink,
            (
                Field("from_event_id", "ref", required=True, target="events"),
                Field("to_event_id", "ref", required=True, target="events"),
                Field("link_type", "code", required=True, vocabulary="link"),
                Field("remarks", "longtext", max_length=20_000),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "persons",
            Person,
            (
                Field("kind", "choice", required=True, choices=("individual", "group")),
                Field("sex", "code", vocabulary="sex"),
                Field("age_min", "int"),
                Field("age_max", "int"),
                Field("occupation", "code", vocabulary="occupation"),
                Field("perpetrator_type", "code", vocabulary="perpetrator"),
                Field("counting_unit", "code", vocabulary="unit"),
                Field("group_size_min", "int"),
                Field("group_size_max", "int"),
                Field("description", "longtext", max_length=20_000),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "acts",
            Act,
            (
                Field("event_id", "ref", required=True, target="events"),
                Field("victim_id", "ref", required=True, target="persons"),
                Field("act_type", "code", required=True, vocabulary="act"),
                Field("methods", "codes", vocabulary="method"),
                *_dates(),
                Field("place", "text"),
                Field("location_type", "code", vocabulary="location"),
                Field("stated_reason", "longtext", max_length=20_000),
                Field("consequences", "longtext", max_length=20_000),
                Field("victim_status_end", "code", vocabulary="outcome"),
                Field("details", "details"),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "involvements",
            Involvement,
            (
                Field("act_id", "ref", required=True, target="acts"),
                Field("perpetrator_id", "ref", required=True, target="persons"),
                Field("degree", "code", required=True, vocabulary="involvement"),
                Field("perpetrator_type", "code", vocabulary="perpetrator"),
                Field("latest_status", "code", vocabulary="legal"),
                Field("remarks", "longtext", max_length=20_000),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "information",
            Information,
            (
                Field("source_id", "ref", required=True, target="persons"),
                Field("event_id", "ref", target="events"),
                Field("person_id", "ref", target="persons"),
                Field("connection", "code", vocabulary="connection"),
                Field("material_type", "code", vocabulary="material"),
                Field("reliability", "code", vocabulary="reliability"),
                Field("date", "date"),
                Field("date_precision", "code", vocabulary="date"),
                Field("language", "text", max_length=16),
                Field("remarks", "longtext", max_length=20_000),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "interventions",
            Intervention,
            (
                Field("event_id", "ref", required=True, target="events"),
                Field("victim_id", "ref", target="persons"),
                Field("intervening_party_id", "ref", required=True, target="persons"),
                Field("intervention_type", "code", required=True, vocabulary="intervention"),
                Field("date", "date"),
                Field("date_precision", "code", vocabulary="date"),
                Field("status", "code", vocabulary="progress"),
                Field("response", "longtext", max_length=20_000),
                Field("impact", "longtext", max_length=20_000),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "relations",
            BiographicRelation,
            (
                Field("person_id", "ref", required=True, target="persons"),
                Field("related_id", "ref", required=True, target="persons"),
                Field("relation_type", "code", required=True, vocabulary="relation"),
                Field("rank", "text", max_length=200),
                *_dates(),
                *MANAGEMENT,
            ),
        ),
        RecordType(
            "counts",
            EventCount,
            (
                Field("event_id", "ref", required=True, target="events"),
                Field("what", "code", required=True, vocabulary="count"),
                Field("counting_unit", "code", required=True, vocabulary="unit"),
                Field("minimum", "int", required=True),
                Field("maximum", "int", required=True),
                Field("minimum_sources", "refs", target="information"),
                Field("maximum_sources", "refs", target="information"),
                *MANAGEMENT,
            ),
        ),
    )
}

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_COUNTRY = re.compile(r"^[a-z]{2}(?:-[a-z0-9]{1,3})?$")
# Pairs of fields that make a range: the first may not exceed the second.
RANGES = (
    ("age_min", "age_max"),
    ("group_size_min", "group_size_max"),
    ("minimum", "maximum"),
)


def partial_date_problem(value: str) -> str | None:
    """Why `value` is not a partial ISO date (YYYY, YYYY-MM or YYYY-MM-DD), or None."""
    found = _PARTIAL_DATE.match(value)
    if found is None:
        return "write YYYY, YYYY-MM or YYYY-MM-DD"
    year, month, day = found.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return "no such date"
    return None


def country_problem(value: str) -> str | None:
    return None if _COUNTRY.match(value) else "an ISO 3166 code in lower case (ua, sd, mm)"
