"""The columns of the OFSI consolidated list CSV and what each row of a group becomes.

Columns are mapped by header name, so the pre-2022 layout (29 columns, verified on a real 2018
excerpt) and the 2022 layout (36 columns, learnt from public parsers) share this code.
"""

from __future__ import annotations

import re

from followthemoney import registry

from dignity.sources.formats.eu_uk_common import (
    ReadState,
    Target,
    clean_text,
    document_number,
    split_enumerated,
    uk_date,
)

# Header of the pre-2022 file (sanctionsconlist.csv), in order.
COLUMNS_2018 = [
    "Name 6", "Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Title", "DOB", "Town of Birth",
    "Country of Birth", "Nationality", "Passport Details", "NI Number", "Position", "Address 1",
    "Address 2", "Address 3", "Address 4", "Address 5", "Address 6", "Post/Zip Code", "Country",
    "Other Information", "Group Type", "Alias Type", "Regime", "Listed On", "Last Updated",
    "Group ID",
]  # fmt: skip
# Header of the 2022 file (ConList.csv), in order.
COLUMNS_2022 = [
    "Name 6", "Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Title", "Name Non-Latin Script",
    "Non-Latin Script Type", "Non-Latin Script Language", "DOB", "Town of Birth",
    "Country of Birth", "Nationality", "Passport Number", "Passport Details",
    "National Identification Number", "National Identification Details", "Position",
    "Address 1", "Address 2", "Address 3", "Address 4", "Address 5", "Address 6",
    "Post/Zip Code", "Country", "Other Information", "Group Type", "Alias Type", "Alias Quality",
    "Regime", "Listed On", "UK Sanctions List Date Designated", "Last Updated", "Group ID",
]  # fmt: skip
REQUIRED = {"Name 6", "Group Type", "Alias Type", "Regime", "Group ID"}

SCHEMA_BY_GROUP_TYPE = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
_UN_REF = re.compile(
    r"UN Ref(?:erence)?(?: No\.?| Number)?\s*:?\s*([A-Za-z]{2,4}\.[A-Za-z0-9.]*\d)", re.IGNORECASE
)
_UKSL_REF = re.compile(r"\(UK Sanctions List Ref\)\s*:\s*([A-Z]{3}\d{4})")
_IMO = re.compile(r"\bIMO(?: number| No\.?)?\s*:?\s*(\d{7})\b", re.IGNORECASE)
_ID_CARD = re.compile(r"identity card|\bID card|identification card", re.IGNORECASE)

Row = dict[str, str]


def build_target(state: ReadState, group_id: str, rows: list[tuple[int, Row]]) -> Target:
    """One target from all rows of its Group ID (each row is one of its names)."""
    first_line = rows[0][0]
    types = {clean_text(row.get("Group Type")) for _line, row in rows} - {""}
    group_type = sorted(types)[0] if types else ""
    schema = SCHEMA_BY_GROUP_TYPE.get(group_type.lower(), "LegalEntity")
    target = Target.start(state, f"ofsi-{group_id}", schema, state.at_line(first_line))
    if len(types) > 1:
        target.warn("Group Type", f"rows disagree ({', '.join(sorted(types))}); read as {schema}")
    elif group_type.lower() not in SCHEMA_BY_GROUP_TYPE:
        target.warn("Group Type", f"unknown group type {group_type!r}; read as {schema}")
    for line, row in rows:
        target.location = state.at_line(line)
        _RowReader(target, group_id, row).read()
    return target


class _RowReader:
    def __init__(self, target: Target, group_id: str, row: Row) -> None:
        self.target = target
        self.group_id = group_id
        self.row = row
        self.used: set[str] = {"Group Type", "Group ID"}

    def take(self, column: str) -> str:
        self.used.add(column)
        return clean_text(self.row.get(column))

    def read(self) -> None:
        self.names()
        self.person()
        self.documents()
        self.address()
        self.listing()
        for column, value in self.row.items():
            if column not in self.used and clean_text(value):
                self.target.unmapped(column)

    def names(self) -> None:
        target = self.target
        parts = [self.take(f"Name {number}") for number in range(1, 6)]
        last = self.take("Name 6")
        full = " ".join(part for part in [*parts, last] if part)
        prop = self.name_prop(self.take("Alias Type"), self.take("Alias Quality"))
        target.put(prop, full, "Name 6")
        if target.entity.schema.is_a("Person") and prop != "previousName" and any(parts):
            # Name 6 is the family name only when the name is split into parts.
            target.put("firstName", parts[0], "Name 1")
            target.put("lastName", last, "Name 6")
        for title in split_enumerated(self.take("Title")):
            target.put("title", title, "Title")
        original = self.take("Name Non-Latin Script")
        language = self.take("Non-Latin Script Language")
        lang = registry.language.clean(language) if language else None
        if language and lang is None:
            target.warn("Non-Latin Script Language", f"unknown language {language!r}")
        target.put("alias", original, "Name Non-Latin Script", lang=lang)
        if self.take("Non-Latin Script Type"):
            target.unmapped("Non-Latin Script Type")

    def name_prop(self, alias_type: str, quality: str) -> str:
        kind = alias_type.lower()
        if kind in {"prime alias", "primary name"}:
            return "name"
        if kind == "primary name variation":
            return "alias"
        if kind == "fka":
            return "previousName"
        if kind not in {"aka", "alias"}:
            message = f"unknown alias type {alias_type!r}; name read as an alias"
            self.target.warn("Alias Type", message if alias_type else "no alias type given")
        return "weakAlias" if "low" in quality.lower() else "alias"

    def person(self) -> None:
        target = self.target
        dob = self.take("DOB")
        if dob:
            date = uk_date(dob)
            if date is None:
                target.warn("DOB", f"{dob!r} is not a date (dd/mm/yyyy); value left out")
            else:
                target.put("birthDate", date, "DOB")
        towns = split_enumerated(self.take("Town of Birth"))
        countries = split_enumerated(self.take("Country of Birth"))
        country = countries[0] if len(countries) == 1 else ""
        for town in towns:
            target.put("birthPlace", f"{town}, {country}" if country else town, "Town of Birth")
        if not towns:
            target.put_all("birthPlace", countries, "Country of Birth")
        target.put_all("birthCountry", countries, "Country of Birth")
        target.put_all("nationality", split_enumerated(self.take("Nationality")), "Nationality")
        target.put_all("position", split_enumerated(self.take("Position")), "Position")

    def documents(self) -> None:
        number = self.take("Passport Number")
        details = self.take("Passport Details")
        if number:
            self.document("Passport", number, details, "Passport Number")
        else:
            self.free_text_documents(details, "Passport Details", "Passport")
        number = self.take("National Identification Number")
        details = self.take("National Identification Details")
        if number:
            self.document("Identification", number, details, "National Identification Number")
        else:
            self.free_text_documents(details, "National Identification Details", "Identification")
        self.free_text_documents(self.take("NI Number"), "NI Number", "Identification")

    def free_text_documents(self, text: str, column: str, schema: str) -> None:
        """Documents from the free text of the older file: `(1) 428720 (2) 215215`, `Passport
        no: D00002264, issued on ...`. The whole text stays on the document as its summary."""
        for part in split_enumerated(text):
            number = document_number(part)
            if number is None:
                self.target.warn(column, f"no document number found in {part!r}; kept in notes")
                self.target.put("notes", f"{column}: {part}", column)
                continue
            kind = "Identification" if _ID_CARD.search(part) else schema
            self.document(kind, number, part, column)

    def document(self, schema: str, number: str, summary: str, column: str) -> None:
        self.target.document(schema, number, column, summary=summary)

    def address(self) -> None:
        lines = [self.take(f"Address {number}") for number in range(1, 7)]
        self.target.address(
            "Address 1",
            lines=lines,
            postal_code=self.take("Post/Zip Code"),
            country=self.take("Country"),
        )

    def listing(self) -> None:
        target = self.target
        other = self.take("Other Information")
        target.put("notes", other, "Other Information")
        if target.entity.schema.is_a("Vessel"):
            target.put_all("imoNumber", _IMO.findall(other), "Other Information")
        sanction = target.sanction(self.take("Regime"), "Regime")
        target.put("authorityId", self.group_id, "Group ID", entity=sanction)
        for reference in _UKSL_REF.findall(other):
            target.put("authorityId", reference, "Other Information", entity=sanction)
        for reference in _UN_REF.findall(other):
            target.put("unscId", reference, "Other Information", entity=sanction)
        for column, prop in (
            ("Listed On", "listingDate"),
            ("UK Sanctions List Date Designated", "startDate"),
            ("Last Updated", "modifiedAt"),
        ):
            value = self.take(column)
            if not value:
                continue
            date = uk_date(value)
            if date is None:
                target.warn(column, f"{value!r} is not a date (dd/mm/yyyy); value left out")
                continue
            target.put(prop, date, column, entity=sanction)
            if prop == "modifiedAt":
                target.put("modifiedAt", date, column)
