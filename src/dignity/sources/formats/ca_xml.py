"""`ca-xml`: the Consolidated Canadian Autonomous Sanctions List (Global Affairs Canada,
`sema-lmes.xml`): listings under the Special Economic Measures Act and the Justice for Victims of
Corrupt Foreign Officials Act.

A flat `<data-set>` of `<record>` elements, one per listing (a person listed under two regimes
has two records). Three schemas are read, by the English part of each element's name:

- 2020: `Country`, `LastName`, `GivenName`, `Entity`, `Title`, `DateOfBirth`, `Aliases`,
  `Schedule`, `Item` (the real file in ../shared/data/canada);
- about 2021-2024: `EntityOrShip`, `TitleOrShip`, `DateOfBirthOrShipBuildDate`, `ShipIMONumber`,
  `DateOfListing` added;
- 2025: the same names with their French halves, `Country-Pays`, `EntityOrShip-EntiteOuNavire`,
  `TitleOrShipType-TitreOuTypeDeNavire`, `DateOfListing-DateDinscription`, ...

No real file in the two current schemas was available: their element names were learnt from
public parsers of the real file (see docs/sources.md), and the tests use a hand-made fixture.
`Country` names the regime, not a nationality. The file states no publication date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from followthemoney import StatementEntity, registry
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
    parse_date_list,
    root_name,
)
from dignity.sources.report import ImportReport
from dignity.sources.xmlsafe import local_name

FORMAT = "ca-xml"
PUBLISHER = "ca-gac"
DEFAULT_LIST = "ca_sema"
TITLE = "Consolidated Canadian Autonomous Sanctions List (SEMA and JVCFOA)"
PUBLISHER_NAME = "Government of Canada, Global Affairs Canada"
SOURCE_URL = (
    "https://www.international.gc.ca/world-monde/assets/office_docs/"
    "international_relations-relations_internationales/sanctions/sema-lmes.xml"
)
ROOT = "data-set"

# Element names of all three schemas, by their English part.
NAME_FIELDS = {"EntityOrShip", "Entity", "LastName", "GivenName"}
TITLE_FIELDS = {"Title", "TitleOrShip", "TitleOrShipType"}
DATE_FIELDS = {"DateOfBirth", "DateOfBirthOrShipBuildDate"}
KNOWN = NAME_FIELDS | TITLE_FIELDS | DATE_FIELDS
KNOWN |= {"Country", "Aliases", "Schedule", "Item", "DateOfListing", "ShipIMONumber"}
# Labels in front of an alias: "Russian: ...", "a.k.a. ...".
_ALIAS_LABEL = re.compile(
    r"^(?:(?:a\.k\.a\.|also known as)\s*:?\s*|[A-Za-z]+\s*:\s*)", re.IGNORECASE
)
_ALIAS_SEPARATORS = re.compile(r";|,\s+")
_ACRONYM = re.compile(r"\(([A-Z]{3,})\)\s*$")
_SHIP_WORDS = re.compile(r"\b(?:ship|vessel|tanker|cargo|carrier|bulk)\b", re.IGNORECASE)
_NOT_GIVEN = {"", "n/a", "na", "none", "-"}


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    state = ReadState(path, report, dataset, PUBLISHER, "ca", PUBLISHER_NAME, SOURCE_URL)
    check_xml_file(path)
    root = root_name(path)
    if root != ROOT:
        raise InvalidInput(
            "not the Canadian autonomous sanctions list",
            [
                FieldError(
                    "root", f"root element is {root or 'missing'}, expected {ROOT}", str(path)
                )
            ],
        )
    for element in xmlsafe.iterparse(path, {"record"}):
        report.targets += 1
        for entity in _Record(state, element).read():
            yield emit(report, entity)
    if report.targets == 0:
        raise InvalidInput(
            "no records in the Canadian sanctions list",
            [FieldError("record", "no <record> elements found", str(path))],
        )


def english(tag: object) -> str:
    """The English part of a bilingual element name: `Item-NumeroDarticle` -> `Item`."""
    return local_name(tag).split("-", 1)[0]


def regime_code(country: str) -> str:
    """The regime of a `Country` value: its acronym if it has one, else its English part.

    `Syria / Syrie` -> `Syria`; `Justice for Victims of Corrupt Foreign Officials Regulations
    (JVCFOR) / Règlement ... (RJVDEC)` -> `JVCFOR`.
    """
    english_part = clean_text(country).split(" / ", 1)[0].strip()
    acronym = _ACRONYM.search(english_part)
    return acronym.group(1) if acronym else english_part


def split_aliases(text: str) -> list[str]:
    aliases = []
    for piece in _ALIAS_SEPARATORS.split(clean_text(text)):
        alias = _ALIAS_LABEL.sub("", piece.strip(" ,;")).strip(" ,;")
        if alias:
            aliases.append(alias)
    return aliases


def bilingual_names(text: str) -> list[str]:
    """`Islamic Revolutionary Guard Corps/Corps des Gardiens de la Révolution islamique`: the
    English and the French name. Split only at a slash outside brackets with words on both sides
    (not `MEC Steel Mills (Hmaw Bi/Pyi/Ywama)`, not `.../GRI`)."""
    text = clean_text(text)
    parts, depth, start = [], 0, 0
    for at, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "/" and depth == 0:
            parts.append(text[start:at])
            start = at + 1
    parts.append(text[start:])
    parts = [part.strip() for part in parts]
    if len(parts) > 1 and all(len(part.split()) >= 2 for part in parts):
        return parts
    return [text] if text else []


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "none"


class _Record:
    """Reads one `<record>` into a target and its Sanction."""

    def __init__(self, state: ReadState, element: etree._Element) -> None:
        self.state = state
        self.fields: dict[str, str] = {}
        for child in element:
            if not is_tag(child):
                continue
            name = english(child.tag)
            text = clean_text(child.text)
            if name not in KNOWN:
                if text or len(child):
                    state.report.unmapped[local_name(child.tag)] += 1
                continue
            if name in self.fields and text and text != self.fields[name]:
                self.fields[name] = f"{self.fields[name]}; {text}"
            elif text:
                self.fields[name] = text
        self.country = self.fields.get("Country", "")
        self.code = regime_code(self.country)
        schedule = self.fields.get("Schedule", "")
        self.schedule = "" if schedule.lower() in _NOT_GIVEN else schedule
        self.item = self.fields.get("Item", "")
        key = "-".join(_slug(part) for part in (self.code, self.schedule, self.item))
        location = state.at_line(line_of(element))
        self.target = Listing.start(state, key, self.schema(location), location)
        if not self.item:
            self.target.warn("Item", "no item number; the record is keyed by its regime only")

    def schema(self, location: str) -> str:
        fields = self.fields
        entity = fields.get("EntityOrShip") or fields.get("Entity")
        if fields.get("LastName") or fields.get("GivenName"):
            if entity:
                self.state.report.warn(location, "EntityOrShip", "a person's name and an entity")
            return "Person"
        if entity:
            kind = fields.get("TitleOrShipType") or fields.get("TitleOrShip") or ""
            if fields.get("ShipIMONumber") or _SHIP_WORDS.search(kind):
                return "Vessel"
            return "Organization"
        self.state.report.warn(location, "LastName", "no name in this record; read as LegalEntity")
        return "LegalEntity"

    def read(self) -> list[StatementEntity]:
        self.names()
        self.details()
        self.sanction()
        return self.target.entities()

    def names(self) -> None:
        target, fields = self.target, self.fields
        person = target.entity.schema.is_a("Person")
        if person:
            given, last = fields.get("GivenName", ""), fields.get("LastName", "")
            target.put("name", " ".join(part for part in (given, last) if part), "LastName")
            target.put("firstName", given, "GivenName")
            target.put("lastName", last, "LastName")
        names = bilingual_names(fields.get("EntityOrShip") or fields.get("Entity") or "")
        # The English name first, then its French form as an alias.
        target.put_all("name" if not person else "alias", names[:1], "EntityOrShip")
        target.put_all("alias", names[1:], "EntityOrShip")
        aliases = [
            name
            for piece in split_aliases(fields.get("Aliases", ""))
            for name in bilingual_names(piece)
        ]
        for alias in aliases:
            # A one-word alias of a person is a variant of one part of the name ("Andrei" for
            # "Andrey Igorevich"): too little to match on alone, so a weak alias.
            weak = person and len(alias.split()) == 1
            target.put("weakAlias" if weak else "alias", alias, "Aliases")

    def details(self) -> None:
        target, fields = self.target, self.fields
        schema = target.entity.schema
        for name in DATE_FIELDS:
            text = fields.get(name, "")
            if not text:
                continue
            dates = parse_date_list(text)
            prop = "buildDate" if schema.is_a("Vessel") else "birthDate"
            target.put_all(prop, dates.dates, name)
            if dates.unread:
                target.warn(name, f"could not read {dates.unread} in {text!r}")
                target.note("Date", text, name)
        for name in TITLE_FIELDS:
            text = fields.get(name, "")
            if not text:
                continue
            if schema.is_a("Vessel"):
                target.put("type", text.split(" | ", 1)[0].split(" / ", 1)[0], name)
            else:
                # "Major General/major-général": the English and the French title.
                target.put_all("title", (part.strip() for part in text.split("/")), name)
        imo = fields.get("ShipIMONumber", "")
        if imo and not target.put("imoNumber", imo, "ShipIMONumber"):
            target.note("IMO number", imo, "ShipIMONumber")

    def sanction(self) -> None:
        target, fields = self.target, self.fields
        sanction = target.sanction(self.code, "Country")
        place = ", ".join(
            part
            for part in (
                f"Schedule {self.schedule}" if self.schedule else "",
                f"item {self.item}" if self.item else "",
            )
            if part
        )
        target.put("authorityId", place, "Item", entity=sanction)
        target.put(
            "description",
            f"{self.country}: {place}" if place else self.country,
            "Country",
            entity=sanction,
        )
        country = registry.country.clean_text(self.code)
        if country is not None:
            target.put("country", country, "Country", entity=sanction)
        listed = parse_date_list(fields.get("DateOfListing", ""))
        for date in listed.dates:
            target.put("listingDate", date, "DateOfListing", entity=sanction)
        if listed.unread:
            target.warn("DateOfListing", f"could not read {listed.unread}")
