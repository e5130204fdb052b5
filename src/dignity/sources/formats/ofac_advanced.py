"""`ofac-advanced`: OFAC's Advanced Sanctions List Standard XML (sdn_advanced.xml,
cons_advanced.xml).

One `DistinctParty` is one target (its `FixedRef` is OFAC's entry number, the `ent_num` of the
CSV and the `uid` of SDN.XML). Its Profile gives the type; each Identity its names (Aliases whose
DocumentedNames are built from name parts, in Latin and other scripts), its Features (birth date,
place of birth, nationality, vessel and aircraft details, directives... under the same labels as
the CSV remarks, see `ofac_features`) and its documents (IDRegDocuments, joined by IdentityID).
SanctionsEntries (one per list the party is on) give the programs, listing dates, legal basis
and measures; ProfileRelationships become Ownership, Directorship, Family... entities (a
"Linked To" relationship gets the id the CSV and SDN.XML readers give their `Linked To` remarks).

The parties are streamed; the other sections are read first (`ofac_advanced_refs.collect`). Tags
are matched by local name: the old `http://www.un.org/sanctions/1.0` namespace and the Sanctions
List Service one read alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney import StatementEntity, model
from followthemoney.dataset import Dataset
from lxml import etree

from dignity.sources import xmlsafe
from dignity.sources.entities import emit, entity_id, make_entity
from dignity.sources.formats.ofac_advanced_refs import (
    EXPIRATION_DATE,
    ISSUE_DATE,
    RECORD_TAGS,
    IdDocument,
    Joins,
    Relationship,
    child,
    children,
    collect,
    date_period,
    line_of,
    text_of,
)
from dignity.sources.formats.ofac_common import (
    NULL_COUNTRIES,
    PREFIX,
    SLS,
    ReadState,
    Target,
    country_code,
    fatal,
)
from dignity.sources.formats.ofac_common import PUBLISHER as PUBLISHER
from dignity.sources.formats.ofac_features import NATIONAL_ID, Fact, apply_feature, company_hint
from dignity.sources.formats.ofac_remarks import LINK_ROLE, apply_remarks, link_id, read_remarks
from dignity.sources.report import ImportReport

FORMAT = "ofac-advanced"
DEFAULT_LIST = "us_ofac_sdn_advanced"
TITLE = "US Treasury OFAC sanctions list in the Advanced XML schema (sdn_advanced.xml)"
ALIAS_PROPS = {"name": "name", "a.k.a.": "alias", "n.k.a.": "alias", "f.k.a.": "previousName"}
PERSON_PARTS = {
    "Last Name": "lastName",
    "First Name": "firstName",
    "Middle Name": "middleName",
    "Patronymic": "fatherName",
    "Matronymic": "motherName",
}
# A script that names one language; Cyrillic and Arabic, written for several, get none.
SCRIPT_LANGUAGES = {
    "Hans": "zho",
    "Hant": "zho",
    "Hani": "zho",
    "Chinese Simplified": "zho",
    "Chinese Traditional": "zho",
    "Hang": "kor",
    "Kore": "kor",
    "Korean": "kor",
    "Jpan": "jpn",
    "Japanese": "jpn",
    "Hebr": "heb",
    "Hebrew": "heb",
    "Grek": "ell",
    "Greek": "ell",
    "Geor": "kat",
    "Georgian": "kat",
    "Armn": "hye",
    "Armenian": "hye",
    "Thai": "tha",
}
# OFAC relation type -> (schema, property of the From profile, of the To profile, label property)
RELATIONS = {
    "Owned or Controlled By": ("Ownership", "asset", "owner", "role"),
    "Acting for or on behalf of": ("Representation", "agent", "client", "role"),
    "Leader or official of": ("Directorship", "director", "organization", "role"),
    "Principal Executive Officer": ("Directorship", "director", "organization", "role"),
    "Family member of": ("Family", "person", "relative", "relationship"),
    "Associate Of": ("Associate", "person", "associate", "relationship"),
}
UNKNOWN_LINK = ("UnknownLink", "subject", "object", "role")


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    name = path.name.lower()
    url = SLS + ("CONS_ADVANCED.XML" if name.startswith("cons") else "SDN_ADVANCED.XML")
    state = ReadState(report, dataset, url)
    joins = collect(path)
    report.publisher_date = joins.issued
    related: dict[str, tuple[str, str]] = {}  # profile id -> (schema, OFAC number), linked ones
    wanted = joins.related
    for element in xmlsafe.iterparse(path, RECORD_TAGS):
        if xmlsafe.local_name(element.tag) != "DistinctParty":
            continue
        party = _Party(state, path, joins, element)
        target = party.read()
        for profile_id in party.profile_ids & wanted:
            related[profile_id] = (target.schema, target.key)
        yield from target.finish()
    if report.targets == 0:
        raise fatal("no DistinctParty elements in the file", "DistinctParty", str(path))
    for relationship in joins.relationships:
        entity = _relationship(state, path, relationship, related)
        if entity is not None:
            yield emit(report, entity)
    _leftovers(path, report, joins)


@dataclass
class _Name:
    prop: str
    value: str
    lang: str | None
    parts: list[tuple[str, str]] = field(default_factory=list)  # (NamePartType, value)
    latin: bool = True


class _Party:
    """Reads one DistinctParty: first into names and facts, then onto a target."""

    def __init__(self, state: ReadState, path: Path, joins: Joins, element: etree._Element):
        self.state = state
        self.path = path
        self.joins = joins
        self.refs = joins.references
        self.element = element
        self.key = element.get("FixedRef", "")
        self.profile_ids: set[str] = set()
        self.names: list[_Name] = []
        self.facts: list[Fact] = []
        self.addresses: list[tuple[str, str]] = []  # (location id, field)
        self.identities: list[str] = []

    def read(self) -> Target:
        profiles = list(children(self.element, "Profile"))
        for profile in profiles:
            self.profile_ids.add(profile.get("ID", ""))
            for identity in children(profile, "Identity"):
                self._identity(identity)
            for feature in children(profile, "Feature"):
                self._feature(feature)
        schema, problem = self._schema(profiles[0] if profiles else None)
        location = f"{self.path} record {self.key}"
        key = self.key if self.key.isdigit() else f"line-{line_of(self.element)}"
        target = Target.start(self.state, key, schema, location)
        if problem:
            target.warn("PartySubTypeID", problem)
        if key != self.key:
            target.warn("FixedRef", "the party has no numeric FixedRef; keyed by its line")
        self._apply(target)
        return target

    def _schema(self, profile: etree._Element | None) -> tuple[str, str]:
        subtype_id = profile.get("PartySubTypeID") if profile is not None else None
        subtype = self.refs.text("PartySubType", subtype_id)
        party_type = self.refs.text(
            "PartyType", self.refs.attr("PartySubType", subtype_id, "PartyTypeID")
        )
        if party_type == "Individual":
            return "Person", ""
        if party_type == "Transport" and subtype in ("Vessel", "Aircraft"):
            return ("Vessel" if subtype == "Vessel" else "Airplane"), ""
        if party_type in ("Entity", "Other Entity"):
            company = self.profile_ids & self.joins.owned or any(
                company_hint(f.label, f.value) for f in self.facts
            )
            return ("Company" if company else "Organization"), ""
        return "LegalEntity", f"unknown party type {party_type!r}/{subtype!r}; read as LegalEntity"

    def _identity(self, identity: etree._Element) -> None:
        self.identities.append(identity.get("ID", ""))
        groups = {
            group.get("ID", ""): self.refs.text("NamePartType", group.get("NamePartTypeID"))
            for master in children(_or(child(identity, "NamePartGroups"), identity))
            for group in children(master, "NamePartGroup")
        }
        for alias in children(identity, "Alias"):
            kind = self.refs.text("AliasType", alias.get("AliasTypeID")).lower()
            prop = ALIAS_PROPS.get(kind, "alias")
            if alias.get("LowQuality", "").lower() == "true" and prop == "alias":
                prop = "weakAlias"
            for documented in children(alias, "DocumentedName"):
                self.names.append(self._documented_name(prop, groups, documented))

    def _documented_name(
        self, prop: str, groups: dict[str, str], documented: etree._Element
    ) -> _Name:
        parts: list[tuple[str, str]] = []
        scripts: set[str] = set()
        for part in children(documented, "DocumentedNamePart"):
            for part_value in children(part, "NamePartValue"):
                text = text_of(part_value)
                if text:
                    parts.append((groups.get(part_value.get("NamePartGroupID", ""), ""), text))
                    scripts.add(part_value.get("ScriptID", ""))
        last = [text for kind, text in parts if kind == "Last Name"]
        rest = [text for kind, text in parts if kind != "Last Name"]
        value = ", ".join(p for p in (" ".join(last), " ".join(rest)) if p)
        latin, lang = self._script(scripts)
        return _Name(prop, value, lang, parts, latin)

    def _script(self, script_ids: set[str]) -> tuple[bool, str | None]:
        """Whether a name is in Latin script, and its language where the script names one."""
        scripts = {
            (self.refs.attr("Script", id_, "ScriptCode"), self.refs.text("Script", id_))
            for id_ in script_ids
        }
        latin = all(
            code in ("Latn", "Latin", "") and name in ("Latin", "") for code, name in scripts
        )
        langs = {SCRIPT_LANGUAGES.get(code) or SCRIPT_LANGUAGES.get(name) for code, name in scripts}
        lang = next(iter(langs)) if len(langs) == 1 and not latin else None
        return latin, lang

    def _feature(self, feature: etree._Element) -> None:
        name = self.refs.text("FeatureType", feature.get("FeatureTypeID"))
        field_name = f"Feature:{name.rstrip(' :-')}"
        for version in children(feature, "FeatureVersion"):
            values: list[str] = []
            period = child(version, "DatePeriod")
            if period is not None:
                values.extend(date_period(period))
            country = False
            for detail in children(version, "VersionDetail"):
                kind = self.refs.text("DetailType", detail.get("DetailTypeID"))
                country = country or kind == "COUNTRY"
                reference = self.refs.text("DetailReference", detail.get("DetailReferenceID"))
                value = reference or text_of(detail)
                if value:
                    values.append(value)
            for version_location in children(version, "VersionLocation"):
                location_id = version_location.get("LocationID", "")
                location = self.joins.locations.get(location_id)
                if name == "Location":
                    self.addresses.append((location_id, field_name))
                elif location is not None:
                    # a country feature's location may hold the name as an untyped part
                    values.append((country and location.country) or location.full())
            for value in values:
                self.facts.append(Fact(name, value, field_name, text=f"{name} {value}"))
            comment = text_of(child(version, "Comment"))
            if comment:
                self.facts.append(Fact(f"{name} (comment)", comment, f"{field_name}:Comment"))

    def _apply(self, target: Target) -> None:
        comment = text_of(child(self.element, "Comment"))
        target.put("notes", comment, "Comment")
        apply_remarks(target, read_remarks(comment), "Comment")
        self._names(target)
        for fact in self.facts:
            apply_feature(target, fact)
        for location_id, field_name in self.addresses:
            self._address(target, location_id, field_name)
        for identity_id in self.identities:
            for document in self.joins.documents.pop(identity_id, []):
                self._document(target, document)
        for profile_id in sorted(self.profile_ids):
            self._sanctions(target, profile_id)

    def _names(self, target: Target) -> None:
        primary = [n for n in self.names if n.prop == "name" and n.latin][:1]
        for name in primary + [n for n in self.names if n not in primary]:
            target.name(name.prop, name.value, f"Alias:{name.prop}", lang=name.lang)
        if primary and target.is_a("Person"):
            for kind, text in primary[0].parts:
                prop = PERSON_PARTS.get(kind)
                if prop is not None:
                    target.put(prop, text, f"NamePart:{kind}")

    def _address(self, target: Target, location_id: str, field_name: str) -> None:
        location = self.joins.locations.get(location_id)
        if location is None:
            target.warn(field_name, f"location {location_id} is not in the file")
            target.unmapped(field_name)
            return
        parts = dict(location.parts)
        known = ("ADDRESS1", "ADDRESS2", "ADDRESS3", "CITY", "STATE/PROVINCE", "REGION")
        extra = [v for k, v in parts.items() if k not in (*known, "POSTAL CODE")]
        street2 = [parts.get("ADDRESS2", ""), parts.get("ADDRESS3", ""), *extra]
        country = location.country if location.country.lower() not in NULL_COUNTRIES else None
        target.address(
            location_id,
            field_name,
            street=parts.get("ADDRESS1"),
            street2=", ".join(p for p in street2 if p),
            city=parts.get("CITY"),
            state=parts.get("STATE/PROVINCE"),
            region=parts.get("REGION"),
            postal_code=parts.get("POSTAL CODE"),
            country=country,
        )

    def _document(self, target: Target, document: IdDocument) -> None:
        country = document.country if country_code(document.country) else None
        notes = [f"issued in {document.issued_in}" if document.issued_in else ""]
        notes += [document.validity if document.validity not in ("", "Valid") else ""]
        notes += [document.comment]
        fact = Fact(
            document.type,
            document.number,
            f"IDRegDocument:{document.type}",
            text=f"{document.type} {document.number}",
            country=country,
            issued=next(iter(document.dates.get(ISSUE_DATE, [])), None),
            expires=next(iter(document.dates.get(EXPIRATION_DATE, [])), None),
            authority=document.authority or None,
            note="; ".join(n for n in notes if n) or None,
        )
        apply_feature(target, fact, NATIONAL_ID)

    def _sanctions(self, target: Target, profile_id: str) -> None:
        for entry in self.joins.entries.pop(profile_id, []):
            if not entry.programs:
                target.warn("SanctionsEntry", f"entry {entry.id} names no program")
                target.unmapped("SanctionsEntry:no program")
            for code in entry.programs:
                sanction = target.sanction(code, "SanctionsMeasure")
                for date in entry.dates:
                    target.put("listingDate", date, "EntryEvent", entity=sanction)
                target.put("summary", entry.list_name, "List", entity=sanction)
                for basis in entry.legal_basis:
                    target.put("reason", basis, "LegalBasis", entity=sanction)
                for measure in entry.measures:
                    target.put("provisions", measure, "SanctionsMeasure", entity=sanction)


def _relationship(
    state: ReadState,
    path: Path,
    relationship: Relationship,
    related: dict[str, tuple[str, str]],
) -> StatementEntity | None:
    """A ProfileRelationship as an FtM link; UnknownLink where the parties do not fit."""
    report = state.report
    location = f"{path}:{relationship.line}"
    ends = [related.get(relationship.source), related.get(relationship.target)]
    if ends[0] is None or ends[1] is None:
        missing = relationship.source if ends[0] is None else relationship.target
        report.warn(location, "ProfileRelationship", f"profile {missing} is not in the file")
        report.unmapped["ProfileRelationship:unresolved"] += 1
        return None
    (source_schema, source_key), (target_schema, target_key) = ends[0], ends[1]
    schema, source_prop, target_prop, label_prop = RELATIONS.get(relationship.type, UNKNOWN_LINK)
    if not _fits(schema, source_prop, source_schema) or not _fits(
        schema, target_prop, target_schema
    ):
        schema, source_prop, target_prop, label_prop = UNKNOWN_LINK
    if relationship.type.casefold() == LINK_ROLE.casefold():
        id_ = link_id(source_key, target_key)
    else:
        id_ = entity_id(PREFIX, "relationship", relationship.id)
    entity = make_entity(state.dataset, schema, id_)
    entity.add(source_prop, entity_id(PREFIX, source_key))
    entity.add(target_prop, entity_id(PREFIX, target_key))
    entity.add(label_prop, relationship.type or "unknown relation")
    if relationship.former:
        entity.add("status", "former")
    entity.add("description", relationship.comment or None)
    entity.add("sourceUrl", state.source_url)
    return entity


def _fits(schema: str, prop: str, party_schema: str) -> bool:
    """Whether a party of `party_schema` may stand in `prop` of a `schema` link."""
    link = model.get(schema)
    party = model.get(party_schema)
    prop_obj = link.get(prop) if link is not None else None
    if prop_obj is None or prop_obj.range is None or party is None:
        return False
    return party.is_a(prop_obj.range)


def _leftovers(path: Path, report: ImportReport, joins: Joins) -> None:
    """Documents and sanctions entries whose identity or profile is not in the file."""
    for identity_id, documents in joins.documents.items():
        for document in documents:
            report.warn(
                f"{path} record {document.id}",
                "IDRegDocument",
                f"identity {identity_id} is not in the file; the document is not imported",
            )
            report.unmapped["IDRegDocument:unresolved"] += 1
    for profile_id, entries in joins.entries.items():
        for entry in entries:
            report.warn(
                f"{path}:{entry.line}",
                "SanctionsEntry",
                f"profile {profile_id} is not in the file; the entry is not imported",
            )
            report.unmapped["SanctionsEntry:unresolved"] += 1


def _or(element: etree._Element | None, default: etree._Element) -> etree._Element:
    return element if element is not None else default
