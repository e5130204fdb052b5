"""`uk-xml`: the FCDO UK Sanctions List, XML (`UK_Sanctions_List.xml`).

One `Designation` per listing, under a `Designations` root that opens with `DateGenerated`. The
element names were learnt from public parsers and published fragments; no real file could be
brought in, so the tests run on a hand-made fixture built to that schema.

Containers (`Names`, `IndividualDetails`, `ShipDetails` ...) are walked, not addressed by path, so
a renamed wrapper still reaches the fields it holds; each field is mapped by its own element name,
and a field with a value that no property receives is counted in `report.unmapped`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from followthemoney import StatementEntity, registry
from followthemoney.dataset import Dataset
from lxml import etree

from dignity.exc import FieldError, InvalidInput
from dignity.sources import xmlsafe
from dignity.sources.entities import emit
from dignity.sources.formats.eu_uk_common import (
    ReadState,
    Target,
    document_number,
    is_tag,
    line_of,
    refuse_doctype,
    scan_for_doctype,
    text_of,
    uk_date,
)
from dignity.sources.report import ImportReport
from dignity.sources.xmlsafe import local_name

FORMAT = "uk-xml"
PUBLISHER = "uk-fcdo"
DEFAULT_LIST = "uk_sanctions_list"
TITLE = "UK Sanctions List (FCDO), XML"
PUBLISHER_NAME = "Foreign, Commonwealth and Development Office (FCDO)"

SCHEMA_BY_TYPE = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
# Leaf elements and the property of the target each fills.
TARGET_FIELDS = {
    "OtherInformation": "notes",
    "PhoneNumber": "phone",
    "Website": "website",
    "Title": "title",
    "Nationality": "nationality",
    "Position": "position",
    "Gender": "gender",
    "TypeOfEntity": "classification",
    "BusinessRegistrationNumber": "registrationNumber",
    "IMONumber": "imoNumber",
    "CurrentBelievedFlagOfShip": "flag",
    "PreviousFlag": "pastFlags",
    "TypeOfShip": "type",
    "TonnageOfShip": "tonnage",
    "YearBuilt": "buildDate",
    "HIN": "registrationNumber",
    "CallSign": "callSign",
    "MMSI": "mmsi",
    "PreviousName": "previousName",
}
# Leaf elements whose value is written into the target's notes with a label.
NOTE_FIELDS = {
    "ParentCompany": "Parent company",
    "Subsidiary": "Subsidiary",
    "CurrentOwnerOperator": "Current owner/operator",
    "PreviousOwnerOperator": "Previous owner/operator",
}
# Read before the walk (they decide the schema, id and programme), so skipped by it.
HEAD_FIELDS = {"UniqueID", "IndividualEntityShip", "RegimeName"}


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    state = ReadState(path, report, dataset, PUBLISHER, "uk", PUBLISHER_NAME)
    scan_for_doctype(path)
    for element in xmlsafe.iterparse(path, {"Designation", "DateGenerated"}):
        refuse_doctype(state, element)
        if local_name(element.tag) == "DateGenerated":
            _date_generated(state, element)
            continue
        report.targets += 1
        target = _Designation(state, element).read()
        for entity in target.entities():
            yield emit(report, entity)
    if report.targets == 0:
        raise InvalidInput(
            "no UK Sanctions List designations in the file",
            [FieldError("Designation", "no <Designation> elements found", str(path))],
        )


def _date_generated(state: ReadState, element: etree._Element) -> None:
    value = text_of(element)
    date = uk_date(value)
    if date is None:
        state.report.warn(
            state.at_line(line_of(element)),
            "DateGenerated",
            f"{value!r} is not a date (dd/mm/yyyy)",
        )
    state.report.publisher_date = date


class _Designation:
    """Reads one `Designation` element into a target and its sanction."""

    def __init__(self, state: ReadState, element: etree._Element) -> None:
        self.state = state
        self.element = element
        fields = {local_name(child.tag): text_of(child) for child in _children(element)}
        unique_id = fields.get("UniqueID", "")
        kind = fields.get("IndividualEntityShip", "")
        schema = SCHEMA_BY_TYPE.get(kind.lower(), "LegalEntity")
        line = line_of(element)
        location = state.at_record(unique_id) if unique_id else state.at_line(line)
        self.target = Target.start(state, unique_id or f"line-{line}", schema, location)
        if not unique_id:
            self.target.warn("UniqueID", "no UniqueID; the designation is keyed by its line")
        if kind.lower() not in SCHEMA_BY_TYPE:
            self.target.warn("IndividualEntityShip", f"unknown type {kind!r}; read as {schema}")
        self.sanction = self.target.sanction(fields.get("RegimeName"), "RegimeName")
        self.target.put("authorityId", unique_id, "UniqueID", entity=self.sanction)
        self.imposed = fields.get("SanctionsImposed", "")
        self.leaves: dict[str, Callable[[str], None]] = {
            "LastUpdated": self.last_updated,
            "DateDesignated": self.date_designated,
            "OFSIGroupID": lambda v: self.on_sanction("authorityId", v, "OFSIGroupID"),
            "UNReferenceNumber": lambda v: self.on_sanction("unscId", v, "UNReferenceNumber"),
            "UKStatementofReasons": lambda v: self.on_sanction("reason", v, "UKStatementofReasons"),
            "SanctionsImposed": self.sanctions_imposed,
            "DesignationSource": self.designation_source,
            "EmailAddress": self.email,
            "DOB": self.dob,
        }
        self.compounds: dict[str, Callable[[etree._Element], None]] = {
            "Name": self.name,
            "NonLatinName": self.non_latin_name,
            "Address": self.address,
            "Passport": self.passport,
            "PassportDetail": self.passport,
            "NationalIdentifier": self.national_identifier,
            "NationalIdentifierDetail": self.national_identifier,
            "Location": self.birth_location,
            "SanctionsImposedIndicators": self.indicators,
        }

    def read(self) -> Target:
        for child in _children(self.element):
            if local_name(child.tag) not in HEAD_FIELDS:
                self.walk(child)
        return self.target

    def walk(self, element: etree._Element) -> None:
        name = local_name(element.tag)
        compound = self.compounds.get(name)
        if (
            compound is None
            and name == "NonLatinNames"
            and _has_child(element, "NameNonLatinScript")
        ):
            compound = self.non_latin_name  # a variant that leaves out the NonLatinName wrapper
        if compound is not None:
            compound(element)
        elif len(_children(element)):
            for child in _children(element):
                self.walk(child)
        else:
            self.leaf(name, text_of(element))

    def leaf(self, name: str, value: str) -> None:
        if not value:
            return
        handler = self.leaves.get(name)
        if handler is not None:
            handler(value)
        elif name in TARGET_FIELDS:
            self.target.put(TARGET_FIELDS[name], value, name)
        elif name in NOTE_FIELDS:
            self.target.put("notes", f"{NOTE_FIELDS[name]}: {value}", name)
        else:
            self.target.unmapped(name)

    def on_sanction(self, prop: str, value: str, field_name: str) -> None:
        self.target.put(prop, value, field_name, entity=self.sanction)

    def date(self, prop: str, value: str, field_name: str) -> str | None:
        date = uk_date(value)
        if date is None:
            self.target.warn(field_name, f"{value!r} is not a date (dd/mm/yyyy); value left out")
        else:
            self.on_sanction(prop, date, field_name)
        return date

    def date_designated(self, value: str) -> None:
        self.date("listingDate", value, "DateDesignated")

    def last_updated(self, value: str) -> None:
        date = self.date("modifiedAt", value, "LastUpdated")
        self.target.put("modifiedAt", date, "LastUpdated")

    def dob(self, value: str) -> None:
        date = uk_date(value)
        if date is None:
            self.target.warn("DOB", f"{value!r} is not a date (dd/mm/yyyy); value left out")
        else:
            self.target.put("birthDate", date, "DOB")

    def sanctions_imposed(self, value: str) -> None:
        for provision in value.split("|"):
            self.on_sanction("provisions", provision, "SanctionsImposed")

    def designation_source(self, value: str) -> None:
        self.on_sanction("summary", f"Designation source: {value}", "DesignationSource")
        if value.upper() == "UN":
            self.on_sanction("authority", "United Nations Security Council", "DesignationSource")

    def email(self, value: str) -> None:
        for email in re.split(r"[;,\s]+", value):
            self.target.put("email", email, "EmailAddress")

    def indicators(self, element: etree._Element) -> None:
        """Yes/no flags that repeat `SanctionsImposed`; read only when that text is missing."""
        if self.imposed:
            return
        for child in _children(element):
            if text_of(child).lower() == "true":
                words = re.sub(r"(?<!^)(?=[A-Z])", " ", local_name(child.tag)).capitalize()
                self.on_sanction("provisions", words, "SanctionsImposedIndicators")

    def name(self, element: etree._Element) -> None:
        target = self.target
        fields = _fields(element)
        parts = [fields.pop(f"Name{number}", "") for number in range(1, 7)]
        whole = fields.pop("Name", "")
        full = whole or " ".join(part for part in parts if part)
        name_type = fields.pop("NameType", "")
        strength = fields.pop("AliasStrength", "")
        kind = " ".join(name_type.lower().split())
        if kind == "primary name":
            prop = "name"
        elif kind == "primary name variation":
            prop = "alias"
        else:
            if kind != "alias":
                target.warn("NameType", f"unknown name type {name_type!r}; read as an alias")
            prop = "weakAlias" if "low" in strength.lower() else "alias"
        target.put(prop, full, "Name6")
        if target.entity.schema.is_a("Person") and any(parts[:5]):
            # Name6 is the family name only when the name is split into parts.
            target.put("firstName", parts[0], "Name1")
            target.put("lastName", parts[5], "Name6")
        self.rest(fields)

    def non_latin_name(self, element: etree._Element) -> None:
        target = self.target
        fields = _fields(element)
        original = fields.pop("NameNonLatinScript", "")
        language = fields.pop("NonLatinScriptLanguage", "")
        lang = registry.language.clean(language) if language else None
        if language and lang is None:
            target.warn("NonLatinScriptLanguage", f"unknown language {language!r}")
        target.put("alias", original, "NameNonLatinScript", lang=lang)
        self.rest(fields)

    def address(self, element: etree._Element) -> None:
        fields = _fields(element)
        lines = [fields.pop(f"AddressLine{number}", "") for number in range(1, 7)]
        self.target.address(
            "Address",
            lines=lines,
            postal_code=fields.pop("AddressPostalCode", ""),
            country=fields.pop("AddressCountry", ""),
        )
        self.rest(fields)

    def passport(self, element: etree._Element) -> None:
        fields = _fields(element)
        number = fields.pop("PassportNumber", "")
        info = fields.pop("PassportAdditionalInformation", "")
        self.document("Passport", number, info, "PassportNumber")
        self.rest(fields)

    def national_identifier(self, element: etree._Element) -> None:
        fields = _fields(element)
        number = fields.pop("NationalIdentifierNumber", "")
        info = fields.pop("NationalIdentifierAdditionalInformation", "")
        self.document("Identification", number, info, "NationalIdentifierNumber")
        self.rest(fields)

    def document(self, schema: str, number: str, info: str, field_name: str) -> None:
        number = number or document_number(info) or ""
        if not number:
            if info:
                self.target.warn(field_name, f"no document number in {info!r}; kept in notes")
                self.target.put("notes", f"{field_name}: {info}", field_name)
            return
        self.target.document(schema, number, field_name, summary=info)

    def birth_location(self, element: etree._Element) -> None:
        fields = _fields(element)
        town = fields.pop("TownOfBirth", "")
        country = fields.pop("CountryOfBirth", "")
        place = ", ".join(part for part in (town, country) if part)
        self.target.put("birthPlace", place, "TownOfBirth")
        self.target.put("birthCountry", country, "CountryOfBirth")
        self.rest(fields)

    def rest(self, fields: dict[str, str]) -> None:
        """Fields of a compound element that its handler did not take."""
        for name, value in fields.items():
            self.leaf(name, value)


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if is_tag(child)]


def _has_child(element: etree._Element, name: str) -> bool:
    return any(local_name(child.tag) == name for child in _children(element))


def _fields(element: etree._Element) -> dict[str, str]:
    """The leaf children of a compound element by name (repeated names joined with '; ')."""
    fields: dict[str, str] = {}
    for child in _children(element):
        name = local_name(child.tag)
        value = text_of(child)
        if value:
            fields[name] = f"{fields[name]}; {value}" if name in fields else value
    return fields
