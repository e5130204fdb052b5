"""What the four OFAC readers share: the target being built, its sanctions, documents, addresses
and names, and OFAC's date notation.

Every entity of one listed entry hangs off a `Target` keyed by OFAC's own number (`ent_num`,
`uid`, `FixedRef`: the same number in every OFAC format), so the ids agree between formats:
the target `ofac-<n>`, its Sanction per program `entity_id("ofac", n, "sanction", code)`, its
addresses by OFAC's address number, its documents by type and number.

A value a property refuses (a country that is not a country, a date that is not a date) is never
dropped silently: it becomes a warning naming the file, the line or record, and the field. A field
the target's schema has no property for is counted in `report.unmapped`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from followthemoney.types import registry
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources.entities import emit, entity_id, make_entity
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary

PUBLISHER = "us-ofac"
PUBLISHER_NAME = "US Treasury OFAC"
AUTHORITY = "Office of Foreign Assets Control"
PREFIX = "ofac"
SLS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
# What OFAC writes where it knows no country.
NULL_COUNTRIES = {"", "undetermined", "unknown", "none identified", "not identified"}


@dataclass
class ReadState:
    """What one `read` call carries from entry to entry."""

    report: ImportReport
    dataset: Dataset
    source_url: str
    unknown_programs: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.source_url = registry.url.clean(self.source_url) or self.source_url

    def warn_program(self, location: str, field_name: str, code: str) -> None:
        if code not in self.unknown_programs:
            self.unknown_programs.add(code)
            message = f"program {code!r} is not in the {PUBLISHER} vocabulary"
            self.report.warn(location, field_name, message)


@dataclass
class Target:
    """One listed entry while it is built: its entity and the entities that hang off it."""

    state: ReadState
    key: str
    entity: StatementEntity
    location: str
    children: dict[str, StatementEntity] = field(default_factory=dict)
    sanctions: dict[str, StatementEntity] = field(default_factory=dict)
    provisions: list[str] = field(default_factory=list)
    warned: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def start(cls, state: ReadState, key: str, schema: str, location: str) -> Target:
        entity = make_entity(state.dataset, schema, entity_id(PREFIX, key))
        entity.add("topics", "sanction", cleaned=True)
        entity.add("sourceUrl", state.source_url, cleaned=True)
        state.report.targets += 1
        return cls(state, key, entity, location)

    @property
    def schema(self) -> str:
        return self.entity.schema.name

    def is_a(self, schema: str) -> bool:
        return self.entity.schema.is_a(schema)

    def warn(self, field_name: str, message: str) -> None:
        """Warn once per entry for the same field and message."""
        if (field_name, message) in self.warned:
            return
        self.warned.add((field_name, message))
        self.state.report.warn(self.location, field_name, message)

    def unmapped(self, field_name: str) -> None:
        self.state.report.unmapped[field_name] += 1

    def put(
        self,
        prop: str,
        value: str | None,
        field_name: str,
        *,
        entity: StatementEntity | None = None,
        lang: str | None = None,
        quiet: bool = False,
    ) -> bool:
        """Add `value` to `prop` of the target (or of `entity`) if the property takes it.

        Empty values are skipped; a schema without the property counts the field as unmapped; a
        value the property's type refuses becomes a warning (or, with `quiet`, is only reported
        back to the caller). Returns whether the value was added.
        """
        target = self.entity if entity is None else entity
        text = clean_text(value)
        if not text:
            return False
        prop_obj = target.schema.get(prop)
        if prop_obj is None:
            if not quiet:
                self.unmapped(field_name)
            return False
        if prop_obj.type.name in _CACHED_TYPES and prop_obj.format is None:
            cleaned = _clean_cached(prop_obj.type.name, text)
        else:
            cleaned = prop_obj.type.clean(text, proxy=target, format=prop_obj.format)
        if cleaned is None:
            if not quiet:
                self.warn(field_name, f"{text!r} is not a valid {prop_obj.type.name}; left out")
            return False
        original = text if cleaned != text else None
        target.unsafe_add(prop_obj, cleaned, cleaned=True, lang=lang, original_value=original)
        return True

    def child(self, schema: str, *parts: str | int) -> StatementEntity:
        """An entity that belongs to this target (address, document, link), made once."""
        id_ = entity_id(PREFIX, self.key, *parts)
        existing = self.children.get(id_)
        if existing is not None:
            return existing
        entity = make_entity(self.state.dataset, schema, id_)
        self.children[id_] = entity
        return entity

    def sanction(self, code: str, field_name: str) -> StatementEntity:
        """The Sanction entity for one program of this entry; counts the program once."""
        code = clean_text(code)
        existing = self.sanctions.get(code)
        if existing is not None:
            return existing
        state = self.state
        sanction = self.child("Sanction", "sanction", code)
        self.sanctions[code] = sanction
        sanction.add("entity", self.entity.id, cleaned=True)
        sanction.add("sourceUrl", state.source_url, cleaned=True)
        sanction.add("authority", AUTHORITY, cleaned=True)
        sanction.add("authorityId", self.key, cleaned=True)
        sanction.add("publisher", PUBLISHER_NAME, cleaned=True)
        sanction.add("programId", code, cleaned=True)
        state.report.programs[code] += 1
        program = vocabulary().get(PUBLISHER, code)
        if program is None:
            sanction.add("program", code, cleaned=True)
            state.warn_program(self.location, field_name, code)
        else:
            sanction.add("program", program.title, cleaned=True)
        return sanction

    def name(self, prop: str, value: str | None, field_name: str, lang: str | None = None) -> None:
        """A name of the target (`name`, `alias`, `weakAlias`, `previousName`)."""
        self.put(prop, value, field_name, lang=lang)

    def document(
        self,
        label: str,
        number: str | None,
        field_name: str,
        *,
        passport: bool = False,
        country: str | None = None,
        issued: str | None = None,
        expires: str | None = None,
        authority: str | None = None,
        note: str | None = None,
    ) -> StatementEntity | None:
        """A Passport or Identification held by the target (keyed by type and number)."""
        number = clean_text(number)
        if not number:
            return None
        if not self.is_a("LegalEntity"):
            self.unmapped(field_name)
            return None
        schema = "Passport" if passport and self.is_a("Person") else "Identification"
        document = self.child(schema, "document", label, number)
        document.add("holder", self.entity.id, cleaned=True)
        self.put("number", number, field_name, entity=document)
        self.put("type", label, field_name, entity=document)
        self.put("country", country, field_name, entity=document)
        self.put("authority", authority, field_name, entity=document)
        self.put_dates("startDate", issued, field_name, entity=document)
        self.put_dates("endDate", expires, field_name, entity=document)
        self.put("description", note, field_name, entity=document)
        return document

    def address(
        self,
        number: str | int | None,
        field_name: str,
        *,
        street: str | None = None,
        street2: str | None = None,
        city: str | None = None,
        state: str | None = None,
        region: str | None = None,
        postal_code: str | None = None,
        country: str | None = None,
        remarks: str | None = None,
    ) -> StatementEntity | None:
        """An Address entity for the target and its full text on the target's `address`."""
        parts = [street, street2, city, state, region, postal_code, country]
        full = ", ".join(text for text in (clean_text(p) for p in parts) if text)
        if not full:
            return None
        key = number if number not in (None, "") else full
        address = self.child("Address", "address", str(key))
        self.put("full", full, field_name, entity=address)
        self.put("street", street, field_name, entity=address)
        self.put("street2", street2, field_name, entity=address)
        self.put("city", city, field_name, entity=address)
        self.put("state", state, field_name, entity=address)
        self.put("region", region, field_name, entity=address)
        self.put("postalCode", postal_code, field_name, entity=address)
        self.put("country", country, field_name, entity=address)
        self.put("remarks", remarks, field_name, entity=address)
        self.put("address", full, field_name)
        self.put("country", country, field_name, quiet=True)
        self.entity.add("addressEntity", address.id, cleaned=True)
        return address

    def put_dates(
        self, prop: str, value: str | None, field_name: str, entity: StatementEntity | None = None
    ) -> bool:
        """Add OFAC's date notation (`10 Dec 1948`, `circa 1951`, `1951 to 1953`) to `prop`."""
        text = clean_text(value)
        if not text:
            return False
        dates = ofac_dates(text)
        if not dates:
            self.warn(field_name, f"{text!r} is not a date OFAC writes; left out")
            return False
        added = False
        for date in dates:
            added = self.put(prop, date, field_name, entity=entity) or added
        return added

    def finish(self) -> list[StatementEntity]:
        """The target and what hangs off it, with the entry-wide provisions on each sanction."""
        for sanction in self.sanctions.values():
            for text in self.provisions:
                sanction.add("provisions", text)
        return [emit(self.state.report, e) for e in (self.entity, *self.children.values())]


# Types whose cleaning does not depend on the entity, and is slow enough to remember.
_CACHED_TYPES = {"country", "url", "gender", "date", "email"}


@lru_cache(maxsize=8192)
def _clean_cached(type_name: str, text: str) -> str | None:
    return registry.get(type_name).clean(text)


def clean_text(value: str | None) -> str:
    """Trim and collapse inner whitespace; OFAC's empty marker `-0-` reads as empty."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return "" if text == "-0-" else text


_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})")
_MONTH_YEAR = re.compile(r"([A-Za-z]{3})[a-z]* (\d{4})")
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_YEAR_RANGE = re.compile(r"(\d{4}) ?- ?(\d{4})")
MAX_YEARS = 10  # a range of whole years up to this long is expanded year by year


def one_date(text: str) -> tuple[int, int, int] | None:
    """`10 Dec 1948` -> (1948, 12, 10); `Dec 1948` -> (1948, 12, 0); `1948` -> (1948, 0, 0)."""
    text = text.strip()
    match = _DAY_MONTH_YEAR.fullmatch(text)
    if match:
        day, month_name, year = match.groups()
        month = _MONTHS.get(month_name.lower())
        return _checked(int(year), month or -1, int(day))
    match = _MONTH_YEAR.fullmatch(text)
    if match:
        month = _MONTHS.get(match.group(1).lower())
        return _checked(int(match.group(2)), month or -1, 0)
    match = _ISO.fullmatch(text)
    if match:
        year, month_text, day_text = match.groups()
        return _checked(int(year), int(month_text or 0), int(day_text or 0))
    return None


def _checked(year: int, month: int, day: int) -> tuple[int, int, int] | None:
    if not 1000 <= year <= 2999 or not 0 <= month <= 12:
        return None
    if day and (not month or day > calendar.monthrange(year, month)[1]):
        return None
    return year, month, day


def format_date(date: tuple[int, int, int]) -> str:
    year, month, day = date
    if not month:
        return f"{year:04d}"
    if not day:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def date_range(start: tuple[int, int, int], end: tuple[int, int, int]) -> list[str]:
    """A range as FtM dates: whole years year by year (`01 Jan 1961 to 31 Dec 1962` -> 1961,
    1962), a single whole year or month as its prefix, anything else as its two ends."""
    (y1, m1, d1), (y2, m2, d2) = start, end
    if (y1, m1, d1) == (y2, m2, d2):
        return [format_date(start)]
    whole_start = m1 in (0, 1) and d1 in (0, 1)
    whole_end = m2 in (0, 12) and d2 in (0, 31)
    if whole_start and whole_end and 0 <= y2 - y1 < MAX_YEARS:
        return [f"{year:04d}" for year in range(y1, y2 + 1)]
    if y1 == y2 and m1 == m2 and m1 and d1 in (0, 1) and d2 in (0, calendar.monthrange(y2, m2)[1]):
        return [format_date((y1, m1, 0))]
    return [format_date(start), format_date(end)]


def ofac_dates(text: str) -> list[str]:
    """OFAC's date notation as FtM date prefixes; an empty list if it is not a date.

    `circa` keeps only the year: an approximate date claims no month or day.
    """
    text = clean_text(text)
    circa = text.lower().startswith("circa ")
    if circa:
        text = text[6:].strip()
    match = _YEAR_RANGE.fullmatch(text)
    if match:
        parts = [match.group(1), match.group(2)]
    else:
        parts = [part.strip() for part in re.split(r"\s+to\s+", text)]
    if len(parts) > 2:
        return []
    dates = [one_date(part) for part in parts]
    if any(date is None for date in dates):
        return []
    found = [date for date in dates if date is not None]
    if circa:
        found = [(year, 0, 0) for year, _m, _d in found]
    if len(found) == 2:
        return date_range(found[0], found[1])
    return [format_date(found[0])]


def country_code(text: str | None) -> str | None:
    """FtM's code for an OFAC country name (`Korea, North` -> `kp`), or None."""
    value = clean_text(text)
    return _clean_cached("country", value) if value else None


def refuse_doctype(path: Path, element: etree._Element) -> None:
    """Refuse a parsed document that declares a DOCTYPE, whatever its encoding.

    `xmlsafe` refuses one by scanning the bytes; this second check sees what lxml saw (a UTF-16
    file, say). lxml neither loads nor expands it, but no OFAC file carries one.
    """
    docinfo = element.getroottree().docinfo
    doctype: object = getattr(docinfo, "doctype", "")
    if doctype or docinfo.internalDTD is not None:
        raise fatal("XML with a DOCTYPE or entity declarations is refused", "DOCTYPE", str(path))


def fatal(message: str, field_name: str, location: str) -> InvalidInput:
    """The error for a file that cannot be imported: `str()` names the file, line and field."""
    return InvalidInput("invalid OFAC file", [FieldError(field_name, message, location)])


def find_file(folder: Path, name: str) -> Path | None:
    """`name` in `folder`, matched without regard to case (OFAC serves `SDN.CSV`)."""
    wanted = name.lower()
    for candidate in sorted(folder.iterdir()):
        if candidate.is_file() and candidate.name.lower() == wanted:
            return candidate
    return None
