"""`un-xml`: the UN Security Council Consolidated List (`consolidated.xml`).

One `INDIVIDUAL` or `ENTITY` per listing under a `CONSOLIDATED_LIST` root whose `dateGenerated`
dates the file. Values sit in child elements; repeated groups (`*_ALIAS`, `*_ADDRESS`,
`INDIVIDUAL_DATE_OF_BIRTH`, `INDIVIDUAL_PLACE_OF_BIRTH`, `INDIVIDUAL_DOCUMENT`) and `VALUE` lists
(`TITLE`, `DESIGNATION`, `NATIONALITY`, `LAST_DAY_UPDATED`). Every child with a value that no
property receives is counted in `report.unmapped` as `ELEMENT` or `GROUP/ELEMENT`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources import xmlsafe
from dignity.sources.entities import emit
from dignity.sources.formats.un_au_ca_common import (
    Listing,
    ReadState,
    check_xml_file,
    clean_text,
    is_tag,
    line_of,
    parse_date,
    root_name,
    year_span,
)
from dignity.sources.report import ImportReport
from dignity.sources.xmlsafe import local_name

FORMAT = "un-xml"
PUBLISHER = "un-sc"
DEFAULT_LIST = "un_sc_consolidated"
TITLE = "United Nations Security Council Consolidated List"
PUBLISHER_NAME = "United Nations Security Council"
SOURCE_URL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
ROOT = "CONSOLIDATED_LIST"

# ALIAS QUALITY -> property. "Low" quality aliases are weak; f.k.a. are former names.
ALIAS_PROPERTY = {"good": "alias", "a.k.a.": "alias", "low": "weakAlias", "f.k.a.": "previousName"}
# An alias NOTE that gives the alias in its original script: "original script: <name>".
_SCRIPT_NOTE = re.compile(
    r"(?:original script|in [a-z]+ script|in [a-z]+)\s*:\s*(?P<name>[^\x00-\x7f].*)$",
    re.IGNORECASE,
)
_IMO = re.compile(r"\bIMO\)?\s*(?:number|no\.?)?\s*:?\s*(\d{7})\b", re.IGNORECASE)
# Elements read as a whole elsewhere, or record-keeping with no value to carry.
_HANDLED = {
    "DATAID",
    "FIRST_NAME",
    "SECOND_NAME",
    "THIRD_NAME",
    "FOURTH_NAME",
    "UN_LIST_TYPE",
    "REFERENCE_NUMBER",
    "LISTED_ON",
    "GENDER",
    "COMMENTS1",
    "NAME_ORIGINAL_SCRIPT",
    "TITLE",
    "DESIGNATION",
    "NATIONALITY",
    "LAST_DAY_UPDATED",
    "LIST_TYPE",
}


_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ADDRESS_FIELDS = {
    "street": "STREET",
    "city": "CITY",
    "region": "STATE_PROVINCE",
    "postalCode": "ZIP_CODE",
    "country": "COUNTRY",
}
_ALIAS_FIELDS = {
    "ALIAS_NAME",
    "QUALITY",
    "NOTE",
    "DATE_OF_BIRTH",
    "CITY_OF_BIRTH",
    "COUNTRY_OF_BIRTH",
}
_DOCUMENT_FIELDS = {
    "TYPE_OF_DOCUMENT",
    "TYPE_OF_DOCUMENT2",
    "NUMBER",
    "NOTE",
    "CITY_OF_ISSUE",
    "ISSUING_COUNTRY",
    "COUNTRY_OF_ISSUE",
    "DATE_OF_ISSUE",
}


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    state = ReadState(path, report, dataset, PUBLISHER, "un", PUBLISHER_NAME, SOURCE_URL)
    check_xml_file(path)
    root = root_name(path)
    if root != ROOT:
        raise InvalidInput(
            "not a UN Security Council consolidated list",
            [
                FieldError(
                    "root", f"root element is {root or 'missing'}, expected {ROOT}", str(path)
                )
            ],
        )
    first = True
    for element in xmlsafe.iterparse(path, {"INDIVIDUAL", "ENTITY"}):
        if first:
            first = False
            _generation_date(state, element.getroottree().getroot())
        report.targets += 1
        for entity in _Entry(state, element).read():
            yield emit(report, entity)
    if report.targets == 0:
        raise InvalidInput(
            "no UN sanctions entries in the file",
            [FieldError("INDIVIDUAL", "no <INDIVIDUAL> or <ENTITY> elements found", str(path))],
        )


def _generation_date(state: ReadState, root: etree._Element) -> None:
    value = clean_text(root.get("dateGenerated"))
    date = parse_date(value[:10]) if value else None
    if value and date is None:
        state.report.warn(state.at_line(line_of(root)), "dateGenerated", f"{value!r} is not a date")
    state.report.publisher_date = date


Index = dict[str, list[etree._Element]]


def _index(element: etree._Element) -> Index:
    """The element children of `element` by local name, in document order."""
    index: Index = {}
    for child in element:
        if is_tag(child):
            index.setdefault(local_name(child.tag), []).append(child)
    return index


def _text(index: Index, name: str) -> str:
    return " ".join(clean_text(child.text) for child in index.get(name, ())).strip()


def _values(index: Index, name: str) -> list[str]:
    """The `VALUE` children of every `name` child: `<TITLE><VALUE>Mullah</VALUE></TITLE>`."""
    return [
        clean_text(value.text)
        for group in index.get(name, ())
        for value in group
        if is_tag(value) and local_name(value.tag) == "VALUE" and clean_text(value.text)
    ]


class _Entry:
    """Reads one `INDIVIDUAL` or `ENTITY` element into a target and its Sanction."""

    def __init__(self, state: ReadState, element: etree._Element) -> None:
        self.state = state
        self.element = element
        self.fields = _index(element)
        self.person = local_name(element.tag) == "INDIVIDUAL"
        self.reference = _text(self.fields, "REFERENCE_NUMBER")
        data_id = _text(self.fields, "DATAID")
        line = line_of(element)
        key = self.reference or (f"dataid-{data_id}" if data_id else f"line-{line}")
        location = state.at_record(self.reference) if self.reference else state.at_line(line)
        schema = "Person" if self.person else "Organization"
        self.target = Listing.start(state, key, schema, location)
        if not self.reference:
            self.target.warn("REFERENCE_NUMBER", "no UN reference number; keyed by DATAID")

    def read(self) -> list[StatementEntity]:
        fields, target = self.fields, self.target
        self.sanction()
        self.names()
        comments = _text(fields, "COMMENTS1")
        target.put("notes", comments, "COMMENTS1")
        if not self.person:
            for number in _IMO.findall(comments):
                target.put("imoNumber", number, "COMMENTS1")
        target.put("gender", _text(fields, "GENDER"), "GENDER")
        target.put_all("title", _values(fields, "TITLE"), "TITLE")
        target.put_all("position", _values(fields, "DESIGNATION"), "DESIGNATION")
        target.put_all("nationality", _values(fields, "NATIONALITY"), "NATIONALITY")
        handlers = {
            "INDIVIDUAL_ALIAS": self.alias,
            "ENTITY_ALIAS": self.alias,
            "INDIVIDUAL_ADDRESS": self.address,
            "ENTITY_ADDRESS": self.address,
            "INDIVIDUAL_DATE_OF_BIRTH": self.birth_date,
            "INDIVIDUAL_PLACE_OF_BIRTH": self.birth_place,
            "INDIVIDUAL_DOCUMENT": self.document,
        }
        for name, children in fields.items():
            handler = handlers.get(name)
            for child in children:
                if handler is not None:
                    handler(child)
                elif name not in _HANDLED and (clean_text(child.text) or len(child)):
                    target.unmapped(name)
        return target.entities()

    def sanction(self) -> None:
        fields, target = self.fields, self.target
        sanction = target.sanction(_text(fields, "UN_LIST_TYPE"), "UN_LIST_TYPE")
        target.put("authorityId", self.reference, "REFERENCE_NUMBER", entity=sanction)
        target.put("unscId", self.reference, "REFERENCE_NUMBER", entity=sanction)
        target.put("recordId", _text(fields, "DATAID"), "DATAID", entity=sanction)
        listed = parse_date(_text(fields, "LISTED_ON"))
        target.put("listingDate", listed, "LISTED_ON", entity=sanction)
        for value in _values(fields, "LAST_DAY_UPDATED"):
            date = parse_date(value[:10])
            if date is None:
                target.warn("LAST_DAY_UPDATED", f"{value!r} is not a date; value left out")
            target.put("modifiedAt", date, "LAST_DAY_UPDATED", entity=sanction)
        for _value in _values(fields, "LIST_TYPE"):
            target.unmapped("LIST_TYPE")  # "UN List" on every entry: which list, not the target

    def names(self) -> None:
        fields, target = self.fields, self.target
        parts = [_text(fields, name) for name in _NAME_PARTS]
        whole = " ".join(part for part in parts if part)
        if not whole:
            target.warn("FIRST_NAME", "no name given for this listing")
        target.put("name", whole, "FIRST_NAME")
        if self.person:
            target.put("firstName", parts[0], "FIRST_NAME")
            target.put("secondName", parts[1], "SECOND_NAME")
            target.put("middleName", parts[2], "THIRD_NAME")
            target.put("middleName", parts[3], "FOURTH_NAME")
        # The name in its original script is the same name, kept as written.
        for script_name in fields.get("NAME_ORIGINAL_SCRIPT", ()):
            target.put("alias", script_name.text, "NAME_ORIGINAL_SCRIPT")

    def alias(self, alias: etree._Element) -> None:
        target = self.target
        group = local_name(alias.tag)
        fields = _index(alias)
        name = _text(fields, "ALIAS_NAME")
        quality = _text(fields, "QUALITY")
        note = _text(fields, "NOTE")
        if name:
            prop = ALIAS_PROPERTY.get(quality.lower())
            if prop is None:
                target.warn(f"{group}/QUALITY", f"unknown alias quality {quality!r}; read as alias")
                prop = "alias"
            target.put(prop, name, f"{group}/ALIAS_NAME")
        elif note or quality:
            target.warn(f"{group}/ALIAS_NAME", "an alias with a quality or note but no name")
        if note:
            script = _SCRIPT_NOTE.search(note)
            if script is not None:
                weak = quality.lower() == "low"
                target.put("weakAlias" if weak else "alias", script.group("name"), f"{group}/NOTE")
            target.note(f"Alias {name}" if name else "Alias", note, f"{group}/NOTE")
        # A date or place of birth given with an alias belongs to the same person.
        dates = self.dates(fields, "DATE_OF_BIRTH")
        target.put_all("birthDate", dates, f"{group}/DATE_OF_BIRTH")
        target.put("birthPlace", _text(fields, "CITY_OF_BIRTH"), f"{group}/CITY_OF_BIRTH")
        country = _text(fields, "COUNTRY_OF_BIRTH")
        target.put("birthCountry", country, f"{group}/COUNTRY_OF_BIRTH")
        self.finish(group, fields, _ALIAS_FIELDS)

    def dates(self, fields: Index, name: str) -> list[str]:
        found = []
        for value in (clean_text(child.text) for child in fields.get(name, ())):
            date = parse_date(value) if value else None
            if value and date is None:
                self.target.warn(name, f"{value!r} is not a date; value left out")
            if date:
                found.append(date)
        return found

    def address(self, element: etree._Element) -> None:
        group = local_name(element.tag)
        fields = _index(element)
        parts = {prop: _text(fields, name) for prop, name in _ADDRESS_FIELDS.items()}
        full = ", ".join(value for value in parts.values() if value)
        note = _text(fields, "NOTE")
        if full:
            kept = {prop: value for prop, value in parts.items() if value}
            self.target.address(full, group, **kept, remarks=note)
        else:
            self.target.note("Address", note, f"{group}/NOTE")
        self.finish(group, fields, {*_ADDRESS_FIELDS.values(), "NOTE"})

    def birth_date(self, element: etree._Element) -> None:
        target = self.target
        group = "INDIVIDUAL_DATE_OF_BIRTH"
        fields = _index(element)
        kind = _text(fields, "TYPE_OF_DATE").upper()
        dates = self.dates(fields, "DATE") + self.dates(fields, "YEAR")
        low, high = _text(fields, "FROM_YEAR"), _text(fields, "TO_YEAR")
        if low.isdigit() and high.isdigit():
            dates += year_span(low, high)
            target.note("Date of birth", f"between {low} and {high}", f"{group}/FROM_YEAR")
        elif low or high:
            target.warn(f"{group}/FROM_YEAR", f"incomplete year range {low!r} to {high!r}")
            dates += [year for year in (low, high) if year.isdigit()]
        target.put_all("birthDate", dates, f"{group}/DATE")
        if kind == "APPROXIMATELY":
            for date in dates:
                target.note("Date of birth", f"approximately {date}", f"{group}/TYPE_OF_DATE")
        elif kind not in {"", "EXACT", "BETWEEN"}:
            target.warn(f"{group}/TYPE_OF_DATE", f"unknown type of date {kind!r}")
        target.note("Date of birth", _text(fields, "NOTE"), f"{group}/NOTE")
        self.finish(group, fields, {"TYPE_OF_DATE", "DATE", "YEAR", "FROM_YEAR", "TO_YEAR", "NOTE"})

    def birth_place(self, element: etree._Element) -> None:
        target = self.target
        group = "INDIVIDUAL_PLACE_OF_BIRTH"
        fields = _index(element)
        country = _text(fields, "COUNTRY")
        place = [_text(fields, name) for name in ("STREET", "CITY", "STATE_PROVINCE")]
        place_text = ", ".join(part for part in [*place, country] if part)
        note = _text(fields, "NOTE")
        if place_text and note:
            place_text = f"{place_text} ({note})"
        elif note:
            target.note("Place of birth", note, f"{group}/NOTE")
        target.put("birthPlace", place_text, f"{group}/CITY")
        target.put("birthCountry", country, f"{group}/COUNTRY")
        self.finish(group, fields, {"STREET", "CITY", "STATE_PROVINCE", "COUNTRY", "NOTE"})

    def document(self, element: etree._Element) -> None:
        target = self.target
        group = "INDIVIDUAL_DOCUMENT"
        fields = _index(element)
        kinds = [_text(fields, "TYPE_OF_DOCUMENT"), _text(fields, "TYPE_OF_DOCUMENT2")]
        kinds = [kind for kind in kinds if kind]
        note = _text(fields, "NOTE")
        city = _text(fields, "CITY_OF_ISSUE")
        countries = [_text(fields, "ISSUING_COUNTRY"), _text(fields, "COUNTRY_OF_ISSUE")]
        countries = [country for country in countries if country]
        issued = self.dates(fields, "DATE_OF_ISSUE")
        summary = [text for text in (f"issued in {city}" if city else "", note) if text]
        held = target.document(
            any("pass" in kind.lower() for kind in kinds),
            _text(fields, "NUMBER"),
            f"{group}/NUMBER",
            kinds=kinds,
            countries=countries,
            issued=issued[0] if issued else None,
            summary=summary,
        )
        if held is None and (kinds or summary):
            # A document with no number: keep what the file says about it.
            described = "; ".join([*kinds, *summary, *countries])
            target.note("Identity document", described, f"{group}/NOTE")
        self.finish(group, fields, _DOCUMENT_FIELDS)

    def finish(self, group: str, fields: Index, handled: set[str]) -> None:
        """Count the children of a group that carry a value no property receives."""
        for name, children in fields.items():
            if name not in handled and any(clean_text(child.text) for child in children):
                self.target.unmapped(f"{group}/{name}")
