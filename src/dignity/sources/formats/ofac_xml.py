"""`ofac-xml`: OFAC's `SDN.XML` schema (`sdnList` / `sdnEntry`), used for both SDN.XML and the
Consolidated (non-SDN) list's consolidated.xml.

One `sdnEntry` is one target. Its `idList` carries identity documents and, under the same
`idType` labels as the legacy CSV's Remarks, every other fact OFAC records (gender, website,
secondary-sanctions text, directive dates...): both go through `ofac_features`. Elements are
matched by local name, so the old `http://tempuri.org/sdnList.xsd` namespace and the current
Sanctions List Service one read alike. The file is streamed entry by entry through `xmlsafe`;
`(Linked To: NAME)` remarks become UnknownLink entities after the last entry
(`ofac_remarks.Links`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from lxml import etree

from dignity.sources import xmlsafe
from dignity.sources.formats.ofac_common import (
    PUBLISHER as PUBLISHER,
)
from dignity.sources.formats.ofac_common import (
    SLS,
    ReadState,
    Target,
    clean_text,
    fatal,
    ofac_dates,
    refuse_doctype,
)
from dignity.sources.formats.ofac_features import NATIONAL_ID, Fact, apply_feature, company_hint
from dignity.sources.formats.ofac_remarks import Links, apply_remarks, read_remarks
from dignity.sources.report import ImportReport

FORMAT = "ofac-xml"
DEFAULT_LIST = "us_ofac_sdn_xml"
TITLE = "US Treasury OFAC sanctions list in the SDN.XML schema (SDN.XML or consolidated.xml)"
SCHEMA_BY_TYPE = {
    "individual": "Person",
    "entity": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
}
ALIAS_PROPS = {"a.k.a.": "alias", "n.k.a.": "alias", "f.k.a.": "previousName"}
VESSEL_LABELS = {
    "callSign": "Vessel call sign",
    "vesselType": "Vessel type",
    "vesselFlag": "Vessel flag",
    "vesselOwner": "Vessel owner",
    "tonnage": "Vessel tonnage",
    "grossRegisteredTonnage": "Vessel gross registered tonnage",
}
HEAD = {"uid", "firstName", "lastName", "sdnType", "title", "remarks"}
ItemReader = Callable[[etree._Element], None]


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    name = path.name.lower()
    url = SLS + ("CONSOLIDATED.XML" if name.startswith("cons") else "SDN.XML")
    state = ReadState(report, dataset, url)
    links = Links()
    declared: int | None = None
    checked = False
    for element in xmlsafe.iterparse(path, {"sdnEntry", "publshInformation"}):
        if not checked:
            refuse_doctype(path, element)
            checked = True
        if xmlsafe.local_name(element.tag) == "publshInformation":
            declared = _publish_information(path, report, element)
            continue
        yield from _Entry(state, path, element, links).read().finish()
    yield from links.resolve(state)
    if report.targets == 0:
        raise fatal("no sdnEntry elements in the file", "sdnEntry", str(path))
    if declared is not None and declared != report.targets:
        report.warn(
            str(path),
            "Record_Count",
            f"the file says {declared:,} entries and holds {report.targets:,} "
            "(an excerpt, or a file cut short)",
        )


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _fields(element: etree._Element) -> dict[str, str]:
    return {xmlsafe.local_name(c.tag): clean_text(c.text) for c in _children(element)}


def _line(element: etree._Element) -> str:
    line: object = getattr(element, "sourceline", None)
    return str(line) if isinstance(line, int) else "?"


def _publish_information(path: Path, report: ImportReport, element: etree._Element) -> int | None:
    fields = _fields(element)
    published = fields.get("Publish_Date", "")
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", published)
    if match:
        month, day, year = (int(part) for part in match.groups())
        dates = ofac_dates(f"{year:04d}-{month:02d}-{day:02d}")
        report.publisher_date = dates[0] if dates else None
    if report.publisher_date is None and published:
        location = f"{path}:{_line(element)}"
        report.warn(location, "Publish_Date", f"{published!r} is not a date (MM/DD/YYYY)")
    count = fields.get("Record_Count", "")
    return int(count) if count.isdigit() else None


class _Entry:
    """Reads one `sdnEntry` into a target."""

    def __init__(self, state: ReadState, path: Path, element: etree._Element, links: Links) -> None:
        self.element = element
        self.links = links
        self.fields = _fields(element)
        uid = self.fields.get("uid", "")
        key = uid if uid.isdigit() else f"line-{_line(element)}"
        kind = self.fields.get("sdnType", "").lower()
        schema = SCHEMA_BY_TYPE.get(kind, "LegalEntity")
        if schema == "Organization" and self._says_company():
            schema = "Company"
        location = f"{path} record {uid}" if uid else f"{path}:{_line(element)}"
        self.target = Target.start(state, key, schema, location)
        if key != uid:
            self.target.warn("uid", "the entry has no numeric uid; keyed by its line")
        if kind not in SCHEMA_BY_TYPE:
            self.target.warn("sdnType", f"unknown type {kind!r}; read as LegalEntity")

    def _says_company(self) -> bool:
        for item in self._items("idList"):
            fields = _fields(item)
            if company_hint(fields.get("idType", ""), fields.get("idNumber", "")):
                return True
        return False

    def _items(self, list_name: str) -> Iterator[etree._Element]:
        for child in _children(self.element):
            if xmlsafe.local_name(child.tag) == list_name:
                yield from _children(child)

    def read(self) -> Target:
        target = self.target
        self._name()
        title = self.fields.get("title", "")
        if title:
            if target.is_a("Person"):
                target.put("position", title, "title")
            else:
                target.unmapped("title")
        remarks = self.fields.get("remarks", "")
        target.put("notes", remarks, "remarks")
        apply_remarks(target, read_remarks(remarks), "remarks", title, self.links)
        readers = {
            "programList": self._program,
            "idList": self._id,
            "akaList": self._aka,
            "addressList": self._address,
            "nationalityList": self._country("nationality"),
            "citizenshipList": self._country("citizenship"),
            "dateOfBirthList": self._birth("dateOfBirth", "dob"),
            "placeOfBirthList": self._birth("placeOfBirth", "pob"),
        }
        for child in _children(self.element):
            name = xmlsafe.local_name(child.tag)
            if name in HEAD:
                continue
            if name == "vesselInfo":
                self._vessel(child)
            elif name in readers:
                for item in _children(child):
                    readers[name](item)
            else:
                target.unmapped(f"sdnEntry/{name}")
        return target

    def _name(self) -> None:
        first = self.fields.get("firstName", "")
        last = self.fields.get("lastName", "")
        name = ", ".join(part for part in (last, first) if part)
        if not name:
            self.target.warn("lastName", "the entry has no name")
            return
        self.target.put("name", name, "lastName")
        self.links.entry(self.target.key, name)
        if self.target.is_a("Person"):
            self.target.put("firstName", first, "firstName")
            self.target.put("lastName", last, "lastName")

    def _program(self, item: etree._Element) -> None:
        code = clean_text(item.text)
        if code:
            self.target.sanction(code, "program")

    def _id(self, item: etree._Element) -> None:
        fields = _fields(item)
        label = fields.get("idType", "")
        value = fields.get("idNumber", "")
        fact = Fact(
            label,
            value,
            f"idList:{label.rstrip(' :-')}",
            text=f"{label} {value}".strip(),
            country=fields.get("idCountry") or None,
            issued=fields.get("issueDate") or None,
            expires=fields.get("expirationDate") or None,
        )
        apply_feature(self.target, fact, NATIONAL_ID)
        self._unread(
            item, {"uid", "idType", "idNumber", "idCountry", "issueDate", "expirationDate"}
        )

    def _aka(self, item: etree._Element) -> None:
        fields = _fields(item)
        name = ", ".join(p for p in (fields.get("lastName"), fields.get("firstName")) if p)
        kind = fields.get("type", "").lower()
        prop = ALIAS_PROPS.get(kind, "alias")
        if kind not in ALIAS_PROPS:
            self.target.warn("aka/type", f"unknown alias type {kind!r}; read as a.k.a.")
        if fields.get("category", "").lower() == "weak" and prop == "alias":
            prop = "weakAlias"
        self.target.name(prop, name, "aka")
        self._unread(item, {"uid", "type", "category", "lastName", "firstName"})

    def _address(self, item: etree._Element) -> None:
        fields = _fields(item)
        rest = [fields.get("address2", ""), fields.get("address3", "")]
        self.target.address(
            fields.get("uid"),
            "address",
            street=fields.get("address1"),
            street2=", ".join(part for part in rest if part),
            city=fields.get("city"),
            state=fields.get("stateOrProvince"),
            postal_code=fields.get("postalCode"),
            country=fields.get("country"),
        )
        known = {"uid", "address1", "address2", "address3", "city", "stateOrProvince"}
        self._unread(item, known | {"postalCode", "country"})

    def _country(self, label: str) -> ItemReader:
        def read(item: etree._Element) -> None:
            country = _fields(item).get("country", "")
            apply_feature(self.target, Fact(label, country, f"{label}List"))

        return read

    def _birth(self, field_name: str, label: str) -> ItemReader:
        def read(item: etree._Element) -> None:
            value = _fields(item).get(field_name, "")
            apply_feature(self.target, Fact(label, value, field_name))

        return read

    def _vessel(self, element: etree._Element) -> None:
        for name, value in _fields(element).items():
            label = VESSEL_LABELS.get(name)
            if label is None or (value and not self.target.is_a("Vessel")):
                self.target.unmapped(f"vesselInfo/{name}")
            elif value:
                apply_feature(self.target, Fact(label, value, f"vesselInfo/{name}"))

    def _unread(self, item: etree._Element, known: set[str]) -> None:
        parent = xmlsafe.local_name(item.tag)
        for name, value in _fields(item).items():
            if value and name not in known:
                self.target.unmapped(f"{parent}/{name}")
