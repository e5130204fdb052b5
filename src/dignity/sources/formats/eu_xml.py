"""`eu-xml`: the EU consolidated list of persons, groups and entities subject to financial
sanctions, FSF XML 1.1 (`xmlFullSanctionsList_1_1`).

One `sanctionEntity` per listing under an `export` root whose `generationDate` dates the file; the
values sit in attributes. The element and attribute names were learnt from published extracts and
public parsers; no real file could be brought in, so the tests run on a hand-made fixture built to
that schema. Each attribute or child element with a value that no property receives is counted in
`report.unmapped` as `element@attribute` or `element/child`.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    clean_text,
    is_tag,
    iso_date,
    line_of,
    refuse_doctype,
    scan_for_doctype,
    split_enumerated,
    text_of,
)
from dignity.sources.report import ImportReport
from dignity.sources.xmlsafe import local_name

FORMAT = "eu-xml"
PUBLISHER = "eu"
DEFAULT_LIST = "eu_fsf"
TITLE = "EU consolidated list of persons, groups and entities subject to financial sanctions, XML"
PUBLISHER_NAME = "European Commission, Financial Sanctions Files (FSF)"

SCHEMA_BY_SUBJECT = {"person": "Person", "enterprise": "Organization"}
SCHEMA_BY_CLASSIFICATION = {"P": "Person", "E": "Organization"}
# identificationTypeCode values whose number is a property of the target, not a document.
ID_PROPERTIES = {
    "regnumber": "registrationNumber",
    "fiscalcode": "taxNumber",
    "swiftbic": "swiftBic",
    "imo": "imoNumber",
}
CONTACT_PROPERTIES = {"PHONE": "phone", "FAX": "phone", "EMAIL": "email", "WEB": "website"}
DOCUMENT_FLAGS = {
    "diplomatic": "diplomatic document",
    "knownExpired": "known to be expired",
    "knownFalse": "known to be false",
    "reportedLost": "reported lost",
    "revokedByIssuer": "revoked by the issuer",
}
# Record-keeping attributes, not information about the target.
TECHNICAL = {"logicalId", "regulationLanguage"}
UNKNOWN_COUNTRY = {"", "00", "UNKNOWN"}


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    state = ReadState(path, report, dataset, PUBLISHER, "eu", PUBLISHER_NAME)
    scan_for_doctype(path)
    for element in xmlsafe.iterparse(path, {"sanctionEntity", "export"}):
        refuse_doctype(state, element)
        if local_name(element.tag) == "export":
            _generation_date(state, element)
            continue
        report.targets += 1
        target = _Entry(state, element).read()
        for entity in target.entities():
            yield emit(report, entity)
    if report.targets == 0:
        raise InvalidInput(
            "no EU sanctions entries in the file",
            [FieldError("sanctionEntity", "no <sanctionEntity> elements found", str(path))],
        )


def _generation_date(state: ReadState, element: etree._Element) -> None:
    value = clean_text(element.get("generationDate"))
    date = iso_date(value)
    if value and date is None:
        state.report.warn(
            state.at_line(line_of(element)), "generationDate", f"{value!r} is not a date"
        )
    state.report.publisher_date = date


class _Entry:
    """Reads one `sanctionEntity` element into a target and one Sanction per programme."""

    def __init__(self, state: ReadState, element: etree._Element) -> None:
        self.state = state
        self.element = element
        self.used: dict[etree._Element, set[str]] = {}
        reference = self.attr(element, "euReferenceNumber")
        logical_id = self.attr(element, "logicalId")
        line = line_of(element)
        record = reference or (f"logicalId {logical_id}" if logical_id else "")
        location = state.at_record(record) if record else state.at_line(line)
        key = reference or (f"logical-{logical_id}" if logical_id else f"line-{line}")
        self.target = Target.start(state, key, self.schema(), location)
        if not reference:
            self.target.warn("euReferenceNumber", "no EU reference number; keyed by logicalId")

    def attr(self, element: etree._Element, name: str) -> str:
        """An attribute's value, marked as used so it is not counted as unmapped."""
        self.used.setdefault(element, set()).add(name)
        return clean_text(element.get(name))

    def schema(self) -> str:
        for child in self.children("subjectType"):
            code = self.attr(child, "code").lower()
            classification = self.attr(child, "classificationCode").upper()
            schema = SCHEMA_BY_SUBJECT.get(code) or SCHEMA_BY_CLASSIFICATION.get(classification)
            if schema is not None:
                return schema
        self.state.report.warn(
            self.state.at_line(line_of(self.element)),
            "subjectType",
            "no known subject type (person / enterprise); read as LegalEntity",
        )
        return "LegalEntity"

    def children(self, name: str) -> list[etree._Element]:
        return [child for child in self.element if is_tag(child) and local_name(child.tag) == name]

    def read(self) -> Target:
        self.attr(self.element, "logicalId")
        self.sanctions()
        self.names()
        handlers = {
            "remark": lambda el: self.target.put("notes", text_of(el), "remark"),
            "citizenship": self.citizenship,
            "birthdate": self.birthdate,
            "identification": self.identification,
            "address": self.address,
        }
        for child in self.element:
            if not is_tag(child):
                continue
            name = local_name(child.tag)
            if name in handlers:
                handlers[name](child)
            elif name not in {"regulation", "nameAlias", "subjectType"}:
                self.unmapped_element(child, "sanctionEntity")
        self.count_unmapped(self.element)
        return self.target

    def sanctions(self) -> None:
        """One Sanction per programme, carrying every regulation that lists the target."""
        entry, target = self.element, self.target
        by_programme: dict[str, list[etree._Element]] = {}
        for regulation in self.children("regulation"):
            by_programme.setdefault(self.attr(regulation, "programme"), []).append(regulation)
        reference = self.attr(entry, "euReferenceNumber")
        designated = iso_date(self.attr(entry, "designationDate"))
        for code, regulations in (by_programme or {"": []}).items():
            sanction = target.sanction(code, "regulation@programme")
            target.put("authorityId", reference, "euReferenceNumber", entity=sanction)
            target.put("recordId", self.attr(entry, "logicalId"), "logicalId", entity=sanction)
            target.put(
                "unscId", self.attr(entry, "unitedNationId"), "unitedNationId", entity=sanction
            )
            target.put(
                "reason",
                self.attr(entry, "designationDetails"),
                "designationDetails",
                entity=sanction,
            )
            published = [iso_date(self.attr(r, "publicationDate")) for r in regulations]
            in_force = [iso_date(self.attr(r, "entryIntoForceDate")) for r in regulations]
            published_dates = sorted(date for date in published if date)
            in_force_dates = sorted(date for date in in_force if date)
            listing = designated or (published_dates[0] if published_dates else None)
            target.put("listingDate", listing, "designationDate", entity=sanction)
            if in_force_dates:
                target.put("startDate", in_force_dates[0], "entryIntoForceDate", entity=sanction)
            if published_dates:
                target.put("modifiedAt", published_dates[-1], "publicationDate", entity=sanction)
            for regulation in regulations:
                self.regulation(sanction, regulation)

    def regulation(self, sanction: StatementEntity, regulation: etree._Element) -> None:
        title = self.attr(regulation, "numberTitle")
        kind = ", ".join(
            value
            for value in (
                self.attr(regulation, "regulationType"),
                self.attr(regulation, "organisationType"),
            )
            if value
        )
        text = f"{title} ({kind})" if title and kind else title
        self.target.put("description", text, "regulation@numberTitle", entity=sanction)
        for child in regulation:
            if is_tag(child) and local_name(child.tag) == "publicationUrl":
                self.target.put("sourceUrl", text_of(child), "publicationUrl", entity=sanction)
            elif is_tag(child):
                self.unmapped_element(child, "regulation")
        self.count_unmapped(regulation)

    def names(self) -> None:
        target = self.target
        aliases = self.children("nameAlias")
        primary = _primary_alias(aliases)
        is_person = target.entity.schema.is_a("Person")
        for alias in aliases:
            whole = self.attr(alias, "wholeName")
            parts = [self.attr(alias, name) for name in ("firstName", "middleName", "lastName")]
            whole = whole or " ".join(part for part in parts if part)
            language = self.attr(alias, "nameLanguage")
            lang = registry.language.clean(language) if language else None
            if language and lang is None:
                target.warn("nameAlias@nameLanguage", f"unknown language {language!r}")
            weak = self.attr(alias, "strong").lower() == "false"
            for remark in _children_named(alias, "remark"):
                note = text_of(remark)
                if "low quality" in note.lower():
                    weak = True
                elif "quality" not in note.lower():
                    target.put("notes", f"{whole}: {note}", "nameAlias/remark")
            prop = "weakAlias" if weak else ("name" if alias is primary else "alias")
            target.put(prop, whole, "nameAlias@wholeName", lang=lang)
            if is_person:
                for prop_name, part in zip(
                    ("firstName", "middleName", "lastName"), parts, strict=True
                ):
                    target.put(prop_name, part, f"nameAlias@{prop_name}", lang=lang)
            function = self.attr(alias, "function")
            if is_person:
                target.put_all("position", split_enumerated(function), "nameAlias@function")
            else:
                target.put(
                    "notes", f"Function: {function}" if function else None, "nameAlias@function"
                )
            for title in split_enumerated(self.attr(alias, "title")):
                target.put("title", title, "nameAlias@title")
            target.put("gender", self.attr(alias, "gender"), "nameAlias@gender")
            for child in alias:
                if is_tag(child) and local_name(child.tag) != "remark":
                    self.unmapped_element(child, "nameAlias")
            self.count_unmapped(alias)

    def country(self, element: etree._Element) -> tuple[str, str]:
        """(value for a country property, name to print) of an element, '' when unknown."""
        code = self.attr(element, "countryIso2Code")
        name = self.attr(element, "countryDescription")
        if code.upper() == "CS":  # Serbia and Montenegro, dissolved in 2006; kept as named
            return name, name
        value = code if code.upper() not in UNKNOWN_COUNTRY else name
        shown = name if name.upper() not in UNKNOWN_COUNTRY else ""
        return ("" if value.upper() in UNKNOWN_COUNTRY else value), shown

    def citizenship(self, element: etree._Element) -> None:
        country, _name = self.country(element)
        prop = "citizenship" if self.target.entity.schema.is_a("Person") else "country"
        self.target.put(prop, country, "citizenship@countryIso2Code")
        self.finish(element, "citizenship")

    def birthdate(self, element: etree._Element) -> None:
        target = self.target
        parts = _date_from_parts(
            self.attr(element, "year"),
            self.attr(element, "monthOfYear") or self.attr(element, "month"),
            self.attr(element, "dayOfMonth") or self.attr(element, "day"),
        )
        full = self.attr(element, "birthdate")
        date = iso_date(full) or parts
        if full and iso_date(full) is None:
            target.warn("birthdate@birthdate", f"{full!r} is not a date; value left out")
        self.attr(element, "calendarType")
        target.put("birthDate", date, "birthdate@birthdate")
        low, high = self.attr(element, "yearRangeFrom"), self.attr(element, "yearRangeTo")
        if low or high:
            target.put_all(
                "birthDate", [year for year in (low, high) if year], "birthdate@yearRange"
            )
            target.put(
                "notes", f"Born between {low or '?'} and {high or '?'}", "birthdate@yearRange"
            )
        if self.attr(element, "circa").lower() == "true" and date:
            target.put("notes", f"Date of birth {date} is approximate", "birthdate@circa")
        country, name = self.country(element)
        place = [self.attr(element, key) for key in ("city", "place", "region", "zipCode")]
        place_text = ", ".join(part for part in [*place, name] if part)
        target.put("birthPlace", place_text, "birthdate@city")
        target.put("birthCountry", country, "birthdate@countryIso2Code")
        for remark in _children_named(element, "remark"):
            target.put("notes", f"Birth: {text_of(remark)}", "birthdate/remark")
        self.finish(element, "birthdate")

    def identification(self, element: etree._Element) -> None:
        target = self.target
        code = self.attr(element, "identificationTypeCode").lower()
        number = self.attr(element, "number")
        latin = self.attr(element, "latinNumber")
        description = self.attr(element, "identificationTypeDescription")
        country, _name = self.country(element)
        if code in ID_PROPERTIES:
            target.put(ID_PROPERTIES[code], number or latin, f"identification[{code}]")
        else:
            notes = [text_of(remark) for remark in _children_named(element, "remark")]
            if latin and number and latin != number:
                notes.append(f"number in Latin script: {latin}")
            holder = self.attr(element, "nameOnDocument")
            if holder:
                notes.append(f"name on document: {holder}")
            notes += [
                text
                for flag, text in DOCUMENT_FLAGS.items()
                if self.attr(element, flag).lower() == "true"
            ]
            schema = "Passport" if code == "passport" else "Identification"
            target.document(
                schema,
                number or latin,
                "identification@number",
                summary="; ".join(note for note in notes if note) or None,
                country=country,
                authority=self.attr(element, "issuedBy"),
                kind=description or code,
                start=iso_date(self.attr(element, "validFrom") or self.attr(element, "issueDate")),
                end=iso_date(self.attr(element, "validTo") or self.attr(element, "expiryDate")),
            )
        for flag in DOCUMENT_FLAGS:
            self.attr(element, flag)
        self.finish(element, "identification")

    def address(self, element: etree._Element) -> None:
        target = self.target
        country, name = self.country(element)
        address = target.address(
            "address",
            lines=[self.attr(element, "street"), self.attr(element, "place")],
            city=self.attr(element, "city"),
            region=self.attr(element, "region"),
            postal_code=self.attr(element, "zipCode"),
            po_box=self.attr(element, "poBox"),
            country=country,
            country_name=name,
        )
        remarks = [text_of(remark) for remark in _children_named(element, "remark")]
        if self.attr(element, "asAtListingTime").lower() == "true":
            remarks.append("address as at the time of listing")
        for remark in remarks:
            if address is not None:
                target.put("remarks", remark, "address/remark", entity=address)
            else:
                target.put("notes", f"Address: {remark}", "address/remark")
        for contact in _children_named(element, "contactInfo"):
            key = self.attr(contact, "key").upper()
            value = self.attr(contact, "value")
            prop = CONTACT_PROPERTIES.get(key)
            if prop is None:
                target.warn("contactInfo@key", f"unknown contact type {key!r}")
                target.unmapped(f"contactInfo[{key}]")
                continue
            for item in value.replace(";", ",").split(","):
                target.put(prop, item, f"contactInfo[{key}]")
            self.count_unmapped(contact)
        self.finish(element, "address", skip=frozenset({"remark", "contactInfo"}))

    def finish(
        self, element: etree._Element, name: str, skip: frozenset[str] = frozenset({"remark"})
    ) -> None:
        for child in element:
            if is_tag(child) and local_name(child.tag) not in skip:
                self.unmapped_element(child, name)
        self.count_unmapped(element)

    def unmapped_element(self, element: etree._Element, parent: str) -> None:
        self.target.unmapped(f"{parent}/{local_name(element.tag)}")

    def count_unmapped(self, element: etree._Element) -> None:
        used = self.used.get(element, set())
        name = local_name(element.tag)
        for attribute, value in element.attrib.items():
            attribute = str(attribute)
            if attribute in used or attribute in TECHNICAL or not clean_text(str(value)):
                continue
            self.target.unmapped(f"{name}@{attribute}")


def _children_named(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if is_tag(child) and local_name(child.tag) == name]


def _primary_alias(aliases: list[etree._Element]) -> etree._Element | None:
    """The name shown as the target's name: the first strong alias in no language or English."""
    strong = [alias for alias in aliases if clean_text(alias.get("strong")).lower() != "false"]
    for alias in strong:
        if clean_text(alias.get("nameLanguage")).upper() in {"", "EN"}:
            return alias
    return strong[0] if strong else None


def _date_from_parts(year: str, month: str, day: str) -> str | None:
    """`1970`, `5`, `14` -> `1970-05-14`; missing or zero month or day shorten the date."""
    if not year.isdigit() or int(year) == 0:
        return None
    if not month.isdigit() or int(month) == 0:
        return f"{int(year):04d}"
    if not 1 <= int(month) <= 12:
        return None
    if not day.isdigit() or int(day) == 0:
        return f"{int(year):04d}-{int(month):02d}"
    return iso_date(f"{int(year):04d}-{int(month):02d}-{int(day):02d}")
