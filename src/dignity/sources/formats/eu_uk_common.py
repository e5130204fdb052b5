"""Helpers the EU and UK readers share: building one listed target with checked property values,
the Sanction entity of each regime, and the small parsers for dates, enumerations and document
numbers that the publishers' free text needs.

A value a property refuses (a country that is not a country, a date that is not a date) is never
dropped silently: it becomes a warning naming the file, the line or record, and the field. A field
the target's schema has no property for is counted in `report.unmapped`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources.entities import entity_id, make_entity
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary


@dataclass
class ReadState:
    """What one `read` call carries from record to record."""

    path: Path
    report: ImportReport
    dataset: Dataset
    publisher: str
    prefix: str
    publisher_name: str
    unknown_programs: set[str] = field(default_factory=set)
    doctype_checked: bool = False

    def at_line(self, line: int | str) -> str:
        return f"{self.path}:{line}"

    def at_record(self, record: str) -> str:
        return f"{self.path} record {record}"


@dataclass
class Target:
    """One listed target while it is built: its entity and the entities that hang off it."""

    state: ReadState
    key: str
    entity: StatementEntity
    location: str
    children: dict[str, StatementEntity] = field(default_factory=dict)
    warned: set[tuple[str, str]] = field(default_factory=set)
    added: set[tuple[str | None, str, str, str | None]] = field(default_factory=set)

    @classmethod
    def start(cls, state: ReadState, key: str, schema: str, location: str) -> Target:
        entity = make_entity(state.dataset, schema, entity_id(state.prefix, key))
        entity.add("topics", "sanction")
        return cls(state, key, entity, location)

    def warn(self, field_name: str, message: str) -> None:
        """Warn once per target for the same field and message (rows of one target repeat)."""
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
        lang: str | None = None,
        entity: StatementEntity | None = None,
    ) -> bool:
        """Add `value` to `prop` of the target (or of `entity`) if the property takes it.

        Empty values are skipped; a schema without the property counts the field as unmapped; a
        value the property's type refuses becomes a warning. Returns whether the value was added.
        """
        target = self.entity if entity is None else entity
        text = clean_text(value)
        if not text:
            return False
        prop_obj = target.schema.get(prop)
        if prop_obj is None:
            self.unmapped(field_name)
            return False
        key = (target.id, prop, text, lang)
        if key in self.added:  # the rows of one target repeat most values
            return True
        cleaned = prop_obj.type.clean(text, proxy=target)
        if cleaned is None:
            self.warn(field_name, f"{text!r} is not a valid {prop_obj.type.name}; value left out")
            return False
        original = text if cleaned != text else None
        target.add(prop_obj, cleaned, cleaned=True, lang=lang, original_value=original)
        self.added.add(key)
        return True

    def put_all(self, prop: str, values: Iterable[str], field_name: str) -> None:
        for value in values:
            self.put(prop, value, field_name)

    def child(self, schema: str, *parts: str | int) -> StatementEntity:
        """An entity that belongs to this target (address, document, sanction), made once."""
        id_ = entity_id(self.state.prefix, self.key, *parts)
        existing = self.children.get(id_)
        if existing is not None:
            return existing
        entity = make_entity(self.state.dataset, schema, id_)
        self.children[id_] = entity
        return entity

    def sanction(self, code: str | None, field_name: str) -> StatementEntity:
        """The Sanction entity for one regime of this target; counts the programme once."""
        code = clean_text(code)
        sanction = self.child("Sanction", "sanction", code or "unknown")
        if sanction.has("entity"):
            return sanction
        state = self.state
        sanction.add("entity", self.entity.id)
        sanction.add("publisher", state.publisher_name)
        vocab = vocabulary()
        sanction.add("authority", vocab.authority(state.publisher))
        if not code:
            self.warn(field_name, "no programme or regime given for this listing")
            return sanction
        state.report.programs[code] += 1
        sanction.add("programId", code)
        program = vocab.get(state.publisher, code)
        if program is None:
            sanction.add("program", code)
            if code not in state.unknown_programs:
                state.unknown_programs.add(code)
                self.warn(
                    field_name, f"programme {code!r} is not in the {state.publisher} vocabulary"
                )
        else:
            sanction.add("program", program.title)
        return sanction

    def entities(self) -> list[StatementEntity]:
        return [self.entity, *self.children.values()]

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
        if not number:
            return None
        if not self.entity.schema.is_a("LegalEntity"):
            self.unmapped(field_name)
            return None
        prop = "passportNumber" if schema == "Passport" else "idNumber"
        if self.entity.schema.get(prop) is not None:
            self.put(prop, number, field_name)
        document = self.child(schema, "document", number)
        document.add("holder", self.entity.id)
        self.put("number", number, field_name, entity=document)
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
        address = self.child("Address", "address", full)
        self.put("full", full, field_name, entity=address)
        if street:
            self.put("street", street[0], field_name, entity=address)
            self.put("street2", street[1] if len(street) > 1 else None, field_name, entity=address)
        self.put("city", city, field_name, entity=address)
        self.put("region", region, field_name, entity=address)
        self.put("postalCode", postal_code, field_name, entity=address)
        self.put("postOfficeBox", po_box, field_name, entity=address)
        self.put("country", country, field_name, entity=address)
        self.put("address", full, field_name)
        self.put("country", country, field_name)
        if self.entity.schema.get("addressEntity") is not None:
            self.entity.add("addressEntity", address.id)
        return address


def clean_text(value: str | None) -> str:
    """Trim, collapse inner whitespace, and undo doubled quotes left by a double CSV export."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    while '""' in text:
        text = text.replace('""', '"')
    return text


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
