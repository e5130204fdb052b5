"""What the four OFAC readers share: the target being built, its sanctions, documents, addresses
and names, and OFAC's date notation.

Every entity of one listed entry hangs off a `Target` keyed by OFAC's own number (`ent_num`,
`uid`, `FixedRef`: the same number in every OFAC format), so the ids agree between formats:
the target `ofac-<n>`, its Sanction per program `entity_id("ofac", n, "sanction", code)`, its
addresses by OFAC's address number, its documents by type and number.

`Target` is the shared `dignity.sources.build.Builder` (checked values, warnings, unmapped
fields) with OFAC's ways: `-0-` reads as empty, and the Sanction of each program is kept for the
entry-wide provisions `finish` adds to it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Self

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from followthemoney.types import registry
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources.build import Builder, clean_remembered
from dignity.sources.entities import emit
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary

PUBLISHER = "us-ofac"
PUBLISHER_NAME = "US Treasury OFAC"
AUTHORITY = "Office of Foreign Assets Control"
PREFIX = "ofac"
SLS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
# What OFAC writes where it knows no country.
NULL_COUNTRIES = {"", "undetermined", "unknown", "none identified", "not identified"}


def clean_text(value: object) -> str:
    """Trim and collapse inner whitespace; OFAC's empty marker `-0-` reads as empty."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return "" if text == "-0-" else text


@dataclass
class ReadState:
    """What one `read` call carries from entry to entry."""

    report: ImportReport
    dataset: Dataset
    source_url: str
    unknown_programs: set[str] = field(default_factory=set)
    prefix: ClassVar[str] = PREFIX

    def __post_init__(self) -> None:
        self.source_url = registry.url.clean(self.source_url) or self.source_url

    def warn_program(self, location: str, field_name: str, code: str) -> None:
        if code not in self.unknown_programs:
            self.unknown_programs.add(code)
            message = f"program {code!r} is not in the {PUBLISHER} vocabulary"
            self.report.warn(location, field_name, message)


@dataclass
class Target(Builder[ReadState]):
    """One listed entry while it is built: its entity and the entities that hang off it."""

    sanctions: dict[str, StatementEntity] = field(default_factory=dict)
    provisions: list[str] = field(default_factory=list)

    tidy = staticmethod(clean_text)
    remember = False  # OFAC seldom repeats a value: remembering would cost more than it saves
    refused = "left out"

    @classmethod
    def start(cls, state: ReadState, key: str, schema: str, location: str) -> Self:
        target = super().start(state, key, schema, location)
        target.entity.add("sourceUrl", state.source_url, cleaned=True)
        state.report.targets += 1
        return target

    @property
    def schema(self) -> str:
        return self.entity.schema.name

    def is_a(self, schema: str) -> bool:
        return self.entity.schema.is_a(schema)

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
        schema = "Passport" if passport and self.is_a("Person") else "Identification"
        document = self.add_document(schema, clean_text(number), field_name, label)
        if document is None:
            return None
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
        address = self.add_address(str(key), full, field_name)
        self.put("street", street, field_name, entity=address)
        self.put("street2", street2, field_name, entity=address)
        self.put("city", city, field_name, entity=address)
        self.put("state", state, field_name, entity=address)
        self.put("region", region, field_name, entity=address)
        self.put("postalCode", postal_code, field_name, entity=address)
        self.put("country", country, field_name, entity=address)
        self.put("remarks", remarks, field_name, entity=address)
        self.put("country", country, field_name, quiet=True)
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
        return [emit(self.state.report, e) for e in self.entities()]


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
    return clean_remembered("country", value) if value else None


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
