"""Helpers the EU and UK readers share: the target being built (`dignity.sources.build`, with
the EU and UK ways of tidying text and reading identifiers) with its documents and addresses, and
the small parsers for dates, enumerations and document numbers that the publishers' free text
needs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from followthemoney import StatementEntity
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources.build import ListBuilder, ListState


def clean_text(value: object) -> str:
    """Trim, collapse inner whitespace, and undo doubled quotes left by a double CSV export."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    while '""' in text:
        text = text.replace('""', '"')
    return text


@dataclass
class ReadState(ListState):
    """What one `read` call carries from record to record."""

    doctype_checked: bool = False


class Target(ListBuilder[ReadState]):
    """One listed target while it is built: its entity and the entities that hang off it."""

    tidy = staticmethod(clean_text)
    formats = False  # IMO and SWIFT numbers stay as the EU and UK publish them

    def document(
        self,
        schema: str,
        number: str | None,
        field_name: str,
        *,
        summary: str | None = None,
        country: str | None = None,
        authority: str | None = None,
        kind: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> StatementEntity | None:
        """A Passport or Identification held by the target, and its number on the target."""
        number = clean_text(number)
        document = self.add_document(schema, number, field_name)
        if document is None:
            return None
        prop = "passportNumber" if schema == "Passport" else "idNumber"
        if self.entity.schema.get(prop) is not None:
            self.put(prop, number, field_name)
        if summary and clean_text(summary) != number:
            self.put("summary", summary, field_name, entity=document)
        self.put("country", country, field_name, entity=document)
        self.put("authority", authority, field_name, entity=document)
        self.put("type", kind, field_name, entity=document)
        self.put("startDate", start, field_name, entity=document)
        self.put("endDate", end, field_name, entity=document)
        return document

    def address(
        self,
        field_name: str,
        *,
        lines: Iterable[str] = (),
        city: str | None = None,
        region: str | None = None,
        postal_code: str | None = None,
        po_box: str | None = None,
        country: str | None = None,
        country_name: str | None = None,
    ) -> StatementEntity | None:
        """An Address entity for the target, its full text on the target's `address`.

        `country` is what the country property receives (a code or a name); `country_name` is
        the name to print in the full text when the file gives both.
        """
        street = [clean_text(line) for line in lines]
        street = [line for line in street if line]
        shown_country = clean_text(country_name) or clean_text(country)
        parts = [*street, clean_text(po_box), clean_text(city), clean_text(region)]
        parts += [clean_text(postal_code), shown_country]
        full = ", ".join(part for part in parts if part)
        if not full:
            return None
        address = self.add_address(full, full, field_name)
        if street:
            self.put("street", street[0], field_name, entity=address)
            self.put("street2", street[1] if len(street) > 1 else None, field_name, entity=address)
        self.put("city", city, field_name, entity=address)
        self.put("region", region, field_name, entity=address)
        self.put("postalCode", postal_code, field_name, entity=address)
        self.put("postOfficeBox", po_box, field_name, entity=address)
        self.put("country", country, field_name, entity=address)
        self.put("country", country, field_name)
        return address


_UK_DATE = re.compile(r"(\d{1,2}|dd|DD)/(\d{1,2}|mm|MM)/(\d{4})")


def uk_date(value: str | None) -> str | None:
    """`14/05/1970` -> `1970-05-14`; unknown parts (`00` or `dd`/`mm`) shorten the date to its
    known prefix (`00/00/1978` -> `1978`, `dd/05/1978` -> `1978-05`). None if not a date."""
    text = clean_text(value)
    if re.fullmatch(r"\d{4}", text):
        return text if text != "0000" else None
    match = _UK_DATE.fullmatch(text)
    if match is None:
        return None
    day_text, month_text, year_text = match.groups()
    day = int(day_text) if day_text.isdigit() else 0
    month = int(month_text) if month_text.isdigit() else 0
    year = int(year_text)
    if year == 0:
        return None
    if month == 0:
        return None if day else year_text
    if not 1 <= month <= 12:
        return None
    if day == 0:
        return f"{year:04d}-{month:02d}"
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def iso_date(value: str | None) -> str | None:
    """The date part of an ISO date or timestamp (`2025-03-14T10:15:30+01:00` -> `2025-03-14`)."""
    text = clean_text(value)
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


# "(1) x (2) y", "(a) x (b) y", "a) x b) y": a marker in brackets may follow anything; a bare
# marker must start the text or follow a space.
_ENUM_MARKER = re.compile(r"\((?:[a-h]|\d{1,2})\)|(?:(?<=\s)|^)(?:[a-h]|\d{1,2})\)", re.IGNORECASE)


def split_enumerated(value: str | None) -> list[str]:
    """Split the publishers' lettered or numbered lists into their items.

    `a) Central African Republic b) South Sudan` -> both countries. Text before the first marker
    is kept as an item only if it carries a digit (a number), not if it is a label
    (`Passport No: (a) ...`).
    """
    text = clean_text(value)
    if not text:
        return []
    pieces = _ENUM_MARKER.split(text)
    if len(pieces) == 1:
        return [text]
    head, items = pieces[0], pieces[1:]
    result = [item.strip(" ,;.") for item in items]
    if re.search(r"\d", head):
        result.insert(0, head.strip(" ,;."))
    return [item for item in result if item]


_TOKEN = re.compile(r"[A-Za-z0-9]+")


def document_number(text: str) -> str | None:
    """The first token of `text` that looks like a document number: letters and digits with at
    least four digits, not a four-digit year. `Passport no: D00002264, issued` -> `D00002264`."""
    tokens: list[str] = _TOKEN.findall(text)
    for token in tokens:
        digits = sum(char.isdigit() for char in token)
        if digits < 4:
            continue
        if token.isdigit() and len(token) == 4 and token[:2] in {"19", "20"}:
            continue
        return token
    return None


_DECLARATIONS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)


def scan_for_doctype(path: Path, chunk_size: int = 1 << 20) -> None:
    """Refuse a file that declares a DOCTYPE or an entity anywhere, before parsing starts.

    `xmlsafe` looks at the first 64 KiB only, and a comment can push a DOCTYPE further; this
    reads the whole file once (in chunks, so memory stays flat) and names the line.
    """
    overlap = max(len(marker) for marker in _DECLARATIONS) - 1
    tail = b""
    lines_before = 0
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            window = (tail + chunk).upper()
            found = [window.find(marker) for marker in _DECLARATIONS]
            hits = [at for at in found if at >= 0]
            if hits:
                line = lines_before - tail.count(b"\n") + window[: min(hits)].count(b"\n") + 1
                raise InvalidInput(
                    "refused XML file",
                    [
                        FieldError(
                            "DOCTYPE", "XML with a DOCTYPE or entity is refused", f"{path}:{line}"
                        )
                    ],
                )
            lines_before += chunk.count(b"\n")
            tail = (tail + chunk)[-overlap:]


def refuse_doctype(state: ReadState, element: etree._Element) -> None:
    """A second line of defence after `scan_for_doctype`: refuse a parsed document whose tree
    reports a DOCTYPE (an encoding the byte scan does not know, say). lxml neither loads nor
    expands it, but no official list carries one, so it is refused."""
    if state.doctype_checked:
        return
    state.doctype_checked = True
    docinfo = element.getroottree().docinfo
    doctype: object = getattr(docinfo, "doctype", "")
    if doctype or docinfo.internalDTD is not None:
        raise InvalidInput(
            "refused XML file",
            [FieldError("DOCTYPE", "XML with a DOCTYPE or entity is refused", str(state.path))],
        )


def text_of(element: etree._Element) -> str:
    return clean_text(element.text)


def is_tag(node: etree._Element) -> bool:
    """Whether a child node is an element (comments and processing instructions are not)."""
    tag: object = node.tag
    return isinstance(tag, str)


def line_of(element: etree._Element) -> str:
    """The source line of an element, or '?' when lxml does not know it."""
    line: object = getattr(element, "sourceline", None)
    return str(line) if isinstance(line, int) else "?"
