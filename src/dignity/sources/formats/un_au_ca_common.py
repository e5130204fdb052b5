"""Helpers the UN, Australian and Canadian readers share: the target being built
(`dignity.sources.build`, with their way of tidying cell and element text) with its addresses and
documents, the free-text dates and lists, and the guards every file passes before it is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney import StatementEntity
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources.build import ListBuilder, ListState

# Excel writes a carriage return inside a cell as this escape; openpyxl leaves it in the text.
_EXCEL_CR = re.compile(r"_x000[dD]_")


def clean_text(value: object) -> str:
    """Text of a cell or element: trimmed, inner whitespace (including no-break space) collapsed."""
    if value is None:
        return ""
    text = _EXCEL_CR.sub(" ", str(value))
    return " ".join(text.split())


# What one `read` call carries from target to target.
ReadState = ListState


class Listing(ListBuilder[ListState]):
    """One listed target while it is built: its entity and the entities that hang off it."""

    tidy = staticmethod(clean_text)
    sanitise = False  # cell and element text goes to the type check as the file has it

    def note(self, label: str, value: object, field_name: str) -> None:
        """Keep a text no property can hold in the target's `notes`, labelled."""
        text = clean_text(value)
        if text:
            self.put("notes", f"{label}: {text}" if label else text, field_name)

    def address(self, full: str, field_name: str, **parts: str) -> StatementEntity | None:
        """An Address entity for the target; its full text also on the target's `address`.

        `parts` are Address properties (`street`, `city`, `region`, `postalCode`, `country`,
        `remarks`); `country` is also added to the target.
        """
        full = clean_text(full)
        if not full:
            return None
        address = self.add_address(full.lower(), full, field_name)
        for prop, value in parts.items():
            self.put(prop, value, f"{field_name}/{prop}", entity=address)
        if parts.get("country"):
            self.put("country", parts["country"], f"{field_name}/country")
        return address

    def document(
        self,
        passport: bool,
        number: str,
        field_name: str,
        *,
        kinds: Iterable[str] = (),
        countries: Iterable[str] = (),
        issued: str | None = None,
        summary: Iterable[str] = (),
    ) -> StatementEntity | None:
        """A Passport or Identification held by the target, and its number on the target."""
        number = clean_text(number)
        schema = "Passport" if passport else "Identification"
        document = self.add_document(schema, number, field_name)
        if document is None:
            return None
        self.put("passportNumber" if passport else "idNumber", number, field_name)
        for kind in kinds:
            self.put("type", kind, f"{field_name}/type", entity=document)
        for country in countries:
            self.put("country", country, f"{field_name}/country", entity=document)
        self.put("startDate", issued, f"{field_name}/issued", entity=document)
        for text in summary:
            self.put("summary", text, f"{field_name}/note", entity=document)
        return document


# --- free-text lists and dates ---------------------------------------------------------------

# "a) x b) y", "(1) x (2) y": a marker in brackets may follow anything; a bare one must start the
# text or follow a space.
_ENUM_MARKER = re.compile(r"\((?:[a-h]|\d{1,2})\)|(?:(?<=\s)|^)(?:[a-h]|\d{1,2})\)", re.IGNORECASE)


def split_enumerated(value: object) -> list[str]:
    """Split `a) Kabul b) Kandahar` into its items; text without markers is one item."""
    text = clean_text(value)
    if not text:
        return []
    pieces = _ENUM_MARKER.split(text)
    items = [piece.strip(" ,;.") for piece in pieces]
    return [item for item in items if item]


MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_APPROX = re.compile(r"^(?:approximately|approx\.?|circa|ca\.|c\.|about|around)\s+", re.IGNORECASE)
_BETWEEN = re.compile(r"between\s+(\d{4})\s+and\s+(\d{4})", re.IGNORECASE)
_MONTH = r"([A-Za-z]{3,9})\.?"
_DATE_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?"), "ymd"),
    (re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})"), "dmy"),
    (re.compile(r"(\d{1,2})/(\d{4})"), "my"),
    (re.compile(r"(\d{4})-(\d{2})"), "ym"),
    (re.compile(r"(\d{4})"), "y"),
    (re.compile(r"(\d{1,2})\s+" + _MONTH + r",?\s+(\d{4})"), "dMy"),
    (re.compile(_MONTH + r"\s+(\d{1,2}),?\s+(\d{4})"), "Mdy"),
    (re.compile(_MONTH + r",?\s+(\d{4})"), "My"),
)
# Spans of birth years wider than this keep only their ends (a wider span is not a date).
MAX_YEAR_SPAN = 10


def _date(year: int, month: int = 0, day: int = 0) -> str | None:
    """An ISO date cut to the precision known: `1970`, `1970-05` or `1970-05-14`."""
    if not 1000 <= year <= 2999 or not 0 <= month <= 12:
        return None
    if month == 0:
        return f"{year:04d}"
    if day == 0:
        return f"{year:04d}-{month:02d}"
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= day <= days[month - 1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(text: str) -> str | None:
    """One date in any of the forms the lists use, at the precision given; None if not a date."""
    text = clean_text(text).strip(" ,;.")
    for pattern, form in _DATE_FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groups()
        if form == "ymd":
            return _date(int(parts[0]), int(parts[1]), int(parts[2]))
        if form == "dmy":
            return _date(int(parts[2]), int(parts[1]), int(parts[0]))
        if form == "my":
            return _date(int(parts[1]), int(parts[0]))
        if form == "ym":
            return _date(int(parts[0]), int(parts[1]))
        if form == "y":
            return _date(int(parts[0]))
        if form == "dMy":
            month = MONTHS.get(parts[1].lower())
            return _date(int(parts[2]), month, int(parts[0])) if month else None
        if form == "Mdy":
            month = MONTHS.get(parts[0].lower())
            return _date(int(parts[2]), month, int(parts[1])) if month else None
        month = MONTHS.get(parts[0].lower())
        return _date(int(parts[1]), month) if month else None
    return None


def year_span(low: str, high: str) -> list[str]:
    """Every year from `low` to `high` (both four-digit years); only the ends if it is wide."""
    start, end = int(low), int(high)
    if end < start:
        start, end = end, start
    if end - start > MAX_YEAR_SPAN:
        return [str(start), str(end)]
    return [str(year) for year in range(start, end + 1)]


@dataclass
class DateList:
    """The dates found in a free-text date field, and what could not be read."""

    dates: list[str] = field(default_factory=list)
    approximate: list[str] = field(default_factory=list)
    ranges: list[tuple[str, str]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


_RUN_TOGETHER = re.compile(r"\s+|(?<=\d{4})\.(?=\d{4}\b)")
_DATE_SEPARATORS = re.compile(r"[,;\n]|\s+or\s+|\s+and\s+", re.IGNORECASE)


def parse_date_list(value: object) -> DateList:
    """`1958, 1/01/1967`, `Approximately 1960, 1966`, `Between 1963 and 1968`, `a) 11 Apr. 1963
    b) 1960`, `1972-08-10 or 1972-08-11`: every date at its own precision."""
    found = DateList()
    text = clean_text(value)
    for low, high in _BETWEEN.findall(text):
        found.ranges.append((low, high))
        found.dates.extend(year_span(low, high))
    text = _BETWEEN.sub(",", text)
    for item in split_enumerated(text):
        for piece in _DATE_SEPARATORS.split(item):
            piece = piece.strip(" ,;.")
            if not piece:
                continue
            approximate = _APPROX.match(piece) is not None
            piece = _APPROX.sub("", piece)
            date = parse_date(piece)
            # Dates typed without a separator: "27/05/1973 01/01/1975", "1980.1981".
            words = _RUN_TOGETHER.split(piece) if date is None else [piece]
            dates = [parse_date(word) for word in words]
            if date is None and (len(words) < 2 or None in dates):
                found.unread.append(piece)
                continue
            for each in dates:
                if each is not None:
                    found.dates.append(each)
                    if approximate:
                        found.approximate.append(each)
    return found


# --- file guards -------------------------------------------------------------------------------

_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
CHUNK = 1 << 20


def refuse(path: Path, location: str, field_name: str, message: str, problem: str) -> InvalidInput:
    return InvalidInput(problem, [FieldError(field_name, message, location or str(path))])


def check_xml_file(path: Path) -> None:
    """Refuse, before parsing, an XML file that is not UTF-8 or that declares a DOCTYPE or entity
    anywhere (xmlsafe looks at the first 64 KiB only). Reads the whole file once, in chunks."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise refuse(path, str(path), "file", str(error), "cannot read the file") from error
    with handle:
        head = handle.read(4)
        if head.startswith(_UTF16_32_BOMS) or b"\x00" in head:
            raise refuse(
                path,
                f"{path}:1",
                "encoding",
                "the file is UTF-16 or UTF-32; the publishers' files are UTF-8",
                "wrong encoding",
            )
        handle.seek(0)
        tail = b""
        lines_before = 0
        overlap = max(len(marker) for marker in _DECLARATIONS) - 1
        while chunk := handle.read(CHUNK):
            window = (tail + chunk).upper()
            hits = [at for at in (window.find(marker) for marker in _DECLARATIONS) if at >= 0]
            if hits:
                line = lines_before - tail.count(b"\n") + window[: min(hits)].count(b"\n") + 1
                raise refuse(
                    path,
                    f"{path}:{line}",
                    "DOCTYPE",
                    "XML with a DOCTYPE or entity declaration is refused",
                    "refused XML file",
                )
            lines_before += chunk.count(b"\n")
            tail = (tail + chunk)[-overlap:]


_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_SKIPPED = re.compile(rb"<\?.*?\?>|<!--.*?-->", re.DOTALL)


def root_name(path: Path) -> str:
    """The local name of the root element, read from the head of the file ('' if none found)."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    match = _FIRST_TAG.search(_SKIPPED.sub(b"", head))
    if match is None:
        return ""
    return match.group(1).decode("ascii", "replace").rsplit(":", 1)[-1]


def is_tag(node: etree._Element) -> bool:
    """Whether a child node is an element (comments and processing instructions are not)."""
    tag: object = node.tag
    return isinstance(tag, str)


def line_of(element: etree._Element) -> str:
    line: object = getattr(element, "sourceline", None)
    return str(line) if isinstance(line, int) else "?"
