"""The first pass over an OFAC advanced XML file: everything a DistinctParty refers to.

The file's sections come in this order: ReferenceValueSets (the code lists), Locations,
IDRegDocuments, DistinctParties, ProfileRelationships, SanctionsEntries. A party refers to
locations, documents and sanctions entries by id, and the last two sections come after the
parties, so the reader passes over the file twice: this module reads every section except the
parties into small dicts (the parties are skipped and cleared as they stream past), and
`ofac_advanced` then streams the parties and joins them to these.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from dignity.sources import xmlsafe
from dignity.sources.formats.ofac_common import (
    clean_text,
    date_range,
    format_date,
    refuse_doctype,
)

RECORD_TAGS = {
    "DateOfIssue",
    "ReferenceValueSets",
    "Location",
    "IDRegDocument",
    "DistinctParty",
    "ProfileRelationship",
    "SanctionsEntry",
}
ISSUE_DATE = "Issue Date"
EXPIRATION_DATE = "Expiration Date"


def children(element: etree._Element, name: str | None = None) -> Iterator[etree._Element]:
    """Child elements (not comments), optionally only those with local name `name`."""
    for child in element:
        if isinstance(child.tag, str) and (name is None or xmlsafe.local_name(child.tag) == name):
            yield child


def child(element: etree._Element, name: str) -> etree._Element | None:
    return next(children(element, name), None)


def text_of(element: etree._Element | None) -> str:
    return clean_text(element.text) if element is not None else ""


def line_of(element: etree._Element) -> str:
    line: object = getattr(element, "sourceline", None)
    return str(line) if isinstance(line, int) else "?"


@dataclass
class Value:
    """One value of a reference value set: its text and attributes."""

    text: str
    attrs: dict[str, str]


@dataclass
class References:
    """The ReferenceValueSets: set name (`FeatureType`) -> id -> value."""

    sets: dict[str, dict[str, Value]] = field(default_factory=dict)

    def text(self, name: str, id_: str | None) -> str:
        value = self.sets.get(name, {}).get(id_ or "")
        return value.text if value is not None else ""

    def attr(self, name: str, id_: str | None, attr: str) -> str:
        value = self.sets.get(name, {}).get(id_ or "")
        return value.attrs.get(attr, "") if value is not None else ""


@dataclass
class Location:
    country: str = ""
    parts: dict[str, str] = field(default_factory=dict)  # LocPartType -> value

    def full(self) -> str:
        order = ("ADDRESS1", "ADDRESS2", "ADDRESS3", "CITY", "STATE/PROVINCE", "POSTAL CODE")
        known = [self.parts[k] for k in order if self.parts.get(k)]
        others = [v for k, v in self.parts.items() if k not in order and v]
        return ", ".join([*known, *others, *([self.country] if self.country else [])])


@dataclass
class IdDocument:
    id: str
    type: str
    number: str
    country: str
    issued_in: str
    authority: str
    validity: str
    comment: str
    dates: dict[str, list[str]]


@dataclass
class SanctionsEntry:
    id: str
    list_name: str
    dates: list[str]
    legal_basis: list[str]
    programs: list[str]
    measures: list[str]  # non-program measures, with their comment
    line: str


@dataclass
class Relationship:
    id: str
    source: str  # From-ProfileID
    target: str  # To-ProfileID
    type: str
    former: bool
    comment: str
    line: str


@dataclass
class Joins:
    """What pass one found; `documents` and `entries` shrink as pass two takes them."""

    references: References = field(default_factory=References)
    issued: str | None = None
    locations: dict[str, Location] = field(default_factory=dict)
    documents: dict[str, list[IdDocument]] = field(default_factory=dict)  # by IdentityID
    entries: dict[str, list[SanctionsEntry]] = field(default_factory=dict)  # by ProfileID
    relationships: list[Relationship] = field(default_factory=list)

    @property
    def related(self) -> set[str]:
        return {p for r in self.relationships for p in (r.source, r.target)}

    @property
    def owned(self) -> set[str]:
        return {r.source for r in self.relationships if r.type == "Owned or Controlled By"}


def collect(path: Path) -> Joins:
    """Pass one: read every section but the parties."""
    joins = Joins()
    checked = False
    for element in xmlsafe.iterparse(path, RECORD_TAGS):
        if not checked:
            refuse_doctype(path, element)
            checked = True
        name = xmlsafe.local_name(element.tag)
        if name == "ReferenceValueSets":
            _references(joins.references, element)
        elif name == "DateOfIssue":
            found = ymd(element)
            joins.issued = format_date(found) if found else None
        elif name == "Location":
            joins.locations[element.get("ID", "")] = _location(joins.references, element)
        elif name == "IDRegDocument":
            document = _document(joins, element)
            joins.documents.setdefault(element.get("IdentityID", ""), []).append(document)
        elif name == "SanctionsEntry":
            entry = _entry(joins.references, element)
            joins.entries.setdefault(element.get("ProfileID", ""), []).append(entry)
        elif name == "ProfileRelationship":
            joins.relationships.append(_relationship(joins.references, element))
    return joins


def _references(references: References, element: etree._Element) -> None:
    for value_set in children(element):
        for value in children(value_set):
            attrs = {str(k): str(v) for k, v in value.attrib.items()}
            set_name = xmlsafe.local_name(value.tag)
            values = references.sets.setdefault(set_name, {})
            values[attrs.get("ID", "")] = Value(clean_text(value.text), attrs)


def _location(references: References, element: etree._Element) -> Location:
    location = Location()
    country = child(element, "LocationCountry")
    if country is not None:
        location.country = references.text("Country", country.get("CountryID"))
    else:
        area = child(element, "LocationAreaCode")
        if area is not None:
            location.country = references.attr("AreaCode", area.get("AreaCodeID"), "Description")
    for part in children(element, "LocationPart"):
        kind = references.text("LocPartType", part.get("LocPartTypeID")) or "Unknown"
        values = [text_of(child(v, "Value")) for v in children(part, "LocationPartValue")]
        value = ", ".join(v for v in values if v)
        if value:
            location.parts[kind] = value
    return location


def _document(joins: Joins, element: etree._Element) -> IdDocument:
    refs = joins.references
    issued_in = joins.locations.get(element.get("IssuedIn-LocationID", ""))
    dates: dict[str, list[str]] = {}
    for document_date in children(element, "DocumentDate"):
        kind = refs.text("IDRegDocDateType", document_date.get("IDRegDocDateTypeID"))
        period = child(document_date, "DatePeriod")
        if period is not None:
            dates.setdefault(kind, []).extend(date_period(period))
    return IdDocument(
        id=element.get("ID", ""),
        type=refs.text("IDRegDocType", element.get("IDRegDocTypeID")),
        number=text_of(child(element, "IDRegistrationNo")),
        country=refs.text("Country", element.get("IssuedBy-CountryID")),
        issued_in=issued_in.full() if issued_in is not None else "",
        authority=text_of(child(element, "IssuingAuthority")),
        validity=refs.text("Validity", element.get("ValidityID")),
        comment=text_of(child(element, "Comment")),
        dates=dates,
    )


def _entry(references: References, element: etree._Element) -> SanctionsEntry:
    dates: list[str] = []
    bases: list[str] = []
    for event in children(element, "EntryEvent"):
        found = ymd(child(event, "Date"))
        if found:
            dates.append(format_date(found))
        basis = references.text("LegalBasis", event.get("LegalBasisID"))
        if basis and basis != "Unknown" and basis not in bases:
            bases.append(basis)
    programs: list[str] = []
    measures: list[str] = []
    for measure in children(element, "SanctionsMeasure"):
        kind = references.text("SanctionsType", measure.get("SanctionsTypeID"))
        comment = text_of(child(measure, "Comment"))
        if kind == "Program":
            if comment:
                programs.append(comment)
        elif kind:
            measures.append(f"{kind}: {comment}" if comment else kind)
    return SanctionsEntry(
        id=element.get("ID", ""),
        list_name=references.text("List", element.get("ListID")),
        dates=dates,
        legal_basis=bases,
        programs=programs,
        measures=measures,
        line=line_of(element),
    )


def _relationship(references: References, element: etree._Element) -> Relationship:
    return Relationship(
        id=element.get("ID", ""),
        source=element.get("From-ProfileID", ""),
        target=element.get("To-ProfileID", ""),
        type=references.text("RelationType", element.get("RelationTypeID")),
        former=element.get("Former", "").lower() == "true",
        comment=text_of(child(element, "Comment")),
        line=line_of(element),
    )


def ymd(element: etree._Element | None) -> tuple[int, int, int] | None:
    """`<Year>1962</Year><Month>11</Month><Day>23</Day>` -> (1962, 11, 23)."""
    if element is None:
        return None
    parts = [text_of(child(element, name)) for name in ("Year", "Month", "Day")]
    if not parts[0].isdigit():
        return None
    year = int(parts[0])
    month = int(parts[1]) if parts[1].isdigit() else 0
    day = int(parts[2]) if parts[2].isdigit() and month else 0
    if not 1 <= month <= 12:
        month = day = 0
    if day and day > calendar.monthrange(year, month)[1]:
        day = 0
    return year, month, day


def date_period(period: etree._Element) -> list[str]:
    """A DatePeriod as FtM dates: `1962-01-01 .. 1962-12-31` -> `1962`; an exact day as itself;
    an approximate date as its year only."""
    start = child(period, "Start")
    end = child(period, "End")
    first = ymd(child(start, "From")) if start is not None else None
    last = ymd(child(end, "To")) if end is not None else None
    first = first or last
    last = last or first
    if first is None or last is None:
        return []
    approximate = any(
        part is not None and part.get("Approximate", "").lower() == "true" for part in (start, end)
    )
    if approximate:
        first, last = (first[0], 0, 0), (last[0], 0, 0)
    return date_range(first, last)
