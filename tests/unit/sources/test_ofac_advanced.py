"""`ofac-advanced`: OFAC's Advanced Sanctions List Standard XML.

Real data: the verbatim excerpt of cons_advanced.xml (2020-03-17; 27 DistinctParty with every
location, document, relationship and sanctions entry they refer to) in
../shared/data/excerpts/ofac-advanced-xml; expected values are recounted from the excerpt. The
excerpt has only Latin-script names, so the test of original-script names builds a small party in
tmp_path and says so; hostile inputs are written into tmp_path too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from followthemoney import StatementEntity
from lxml import etree

from dignity.sources import xmlsafe
from factories.sources import EXCERPTS, Read, read_by_id, refusal

EXCERPT = EXCERPTS / "ofac-advanced-xml/cons_advanced_excerpt.xml"
NS = "{http://www.un.org/sanctions/1.0}"


def read(path: Path) -> Read:
    return read_by_id("ofac-advanced", path)


@pytest.fixture(scope="module")
def excerpt() -> Read:
    return read(EXCERPT)


@pytest.fixture(scope="module")
def root() -> etree._Element:
    return xmlsafe.parse(EXCERPT)


def elements(root: etree._Element, name: str) -> list[etree._Element]:
    return list(root.iter(f"{NS}{name}"))


def of(entities: dict[str, StatementEntity], schema: str) -> list[StatementEntity]:
    return [e for e in entities.values() if e.schema.name == schema]


def feature_holders(root: etree._Element, feature_type: str) -> set[str]:
    """FixedRefs of the parties that have a Feature of this FeatureType name."""
    type_ids = {e.get("ID") for e in elements(root, "FeatureType") if e.text == feature_type}
    return {
        party.get("FixedRef", "")
        for party in elements(root, "DistinctParty")
        for feature in party.iter(f"{NS}Feature")
        if feature.get("FeatureTypeID") in type_ids
    }


def test_parties_and_their_types(excerpt: Read, root: etree._Element) -> None:
    report, entities = excerpt
    parties = elements(root, "DistinctParty")
    assert len(parties) == 27
    assert report.targets == 27
    assert report.publisher_date == "2020-03-17"
    subtypes = Counter(p.find(f"{NS}Profile").get("PartySubTypeID") for p in parties)
    assert subtypes == {"4": 9, "3": 18}
    assert len(of(entities, "Person")) == 9
    assert len(of(entities, "Organization")) + len(of(entities, "Company")) == 18


def test_every_documented_name_with_its_alias_type(excerpt: Read, root: etree._Element) -> None:
    _report, entities = excerpt
    prop_by_type = {"1400": "alias", "1401": "previousName", "1403": "name"}
    count = 0
    for party in elements(root, "DistinctParty"):
        target = entities[f"ofac-{party.get('FixedRef')}"]
        for alias in party.iter(f"{NS}Alias"):
            prop = prop_by_type[alias.get("AliasTypeID", "")]
            if alias.get("LowQuality") == "true":
                prop = "weakAlias"
            for name in alias.iter(f"{NS}DocumentedName"):
                count += 1
                parts = [v.text or "" for v in name.iter(f"{NS}NamePartValue")]
                assert any(all(p in value for p in parts) for value in target.get(prop)), parts
    assert count == 85
    assert entities["ofac-9639"].get("name") == ["HANIYA, Ismail Abdul Salah"]
    assert entities["ofac-9639"].get("lastName") == ["HANIYA"]
    assert entities["ofac-17015"].get("weakAlias") == ["VEB"]


@pytest.mark.parametrize(
    ("feature", "prop", "count"),
    [
        ("Birthdate", "birthDate", 7),
        ("Place of Birth", "birthPlace", 3),
        ("Citizenship Country", "citizenship", 2),
        ("SWIFT/BIC", "swiftBic", 8),
        ("Website", "website", 13),
        ("Email Address", "email", 6),
        ("Gender", "gender", 1),
        ("BIK (RU)", "bikCode", 1),
        ("Nationality of Registration", "jurisdiction", 1),
        ("Location", "addressEntity", 33),
    ],
)
def test_features_are_mapped(
    excerpt: Read, root: etree._Element, feature: str, prop: str, count: int
) -> None:
    _report, entities = excerpt
    type_ids = {e.get("ID") for e in elements(root, "FeatureType") if e.text == feature}
    assert sum(1 for f in elements(root, "Feature") if f.get("FeatureTypeID") in type_ids) == count
    for fixed_ref in feature_holders(root, feature):
        target = entities[f"ofac-{fixed_ref}"]
        if prop == "addressEntity" and target.get("address") == []:
            continue  # a location that holds only `undetermined` is no address
        assert target.get(prop), (fixed_ref, feature)


def test_feature_values(excerpt: Read) -> None:
    _report, entities = excerpt
    kayakiran = entities["ofac-26182"]
    assert kayakiran.get("birthDate") == ["1980-02-08"]
    assert kayakiran.get("gender") == ["male"]
    assert kayakiran.get("citizenship") == ["tr"]
    haniya = entities["ofac-9639"]
    assert (haniya.get("birthDate"), haniya.get("birthPlace")) == (["1962"], ["Shati"])
    assert entities["ofac-17015"].get("swiftBic") == ["BFEARUMM"]
    provisions = entities["ofac-17015-sanction-ukraine-eo13662"].get("provisions")
    assert "Executive Order 13662 Directive Determination - Subject to Directive 1" in provisions
    assert "13662 Sectoral Directive 1" in provisions


def test_documents(excerpt: Read, root: etree._Element) -> None:
    _report, entities = excerpt
    assert len(elements(root, "IDRegDocument")) == 26
    documents = of(entities, "Identification") + of(entities, "Passport")
    assert len(documents) == 26
    passport = entities["ofac-26182-document-passport-u00242309"]
    assert passport.schema.name == "Passport"
    assert passport.get("country") == ["tr"]
    assert entities["ofac-26182"].get("passportNumber") == ["U00242309"]


def test_sanctions_entries_give_programs_lists_and_dates(
    excerpt: Read, root: etree._Element
) -> None:
    report, entities = excerpt
    entries = elements(root, "SanctionsEntry")
    assert len(entries) == 62
    programs = Counter(
        (entry.get("ProfileID"), comment.text)
        for entry in entries
        for comment in entry.iter(f"{NS}Comment")
        if comment.text and comment.getparent().get("SanctionsTypeID") == "1"
    )
    assert report.programs == Counter(code for _profile, code in programs)
    assert len(of(entities, "Sanction")) == len(programs)
    haniya = entities["ofac-9639-sanction-ns-plc"]
    assert sorted(haniya.get("listingDate")) == ["2006-04-12", "2014-10-10"]
    assert sorted(haniya.get("summary")) == [
        "Consolidated List",
        "Non-SDN Palestinian Legislative Council List",
    ]
    assert haniya.get("reason") == ["General License 4 Under EO 13224 (Terrorism)"]
    assert haniya.get("program") == ["Non-SDN Palestinian Legislative Council List"]


def test_relationships_become_ownership(excerpt: Read, root: etree._Element) -> None:
    _report, entities = excerpt
    relations = elements(root, "ProfileRelationship")
    assert len(relations) == 10
    owned = of(entities, "Ownership")
    assert len(owned) == 10
    for relation in relations:
        link = entities[f"ofac-relationship-{relation.get('ID')}"]
        assert link.get("asset") == [f"ofac-{relation.get('From-ProfileID')}"]
        assert link.get("owner") == [f"ofac-{relation.get('To-ProfileID')}"]
        assert link.get("role") == ["Owned or Controlled By"]
        assert entities[f"ofac-{relation.get('From-ProfileID')}"].schema.name == "Company"


def test_nothing_dropped_but_remark_text(excerpt: Read) -> None:
    report, entities = excerpt
    assert report.warnings == []
    assert set(report.unmapped) == {"Comment:text"}
    for entity in entities.values():
        for prop in ("entity", "holder", "addressEntity", "owner", "asset"):
            for ref in entity.get(prop, quiet=True):
                assert ref in entities


# --- original-script names: a small party built here (the excerpt is Latin only) -------------

NPV = '<NamePartValue NamePartGroupID="{group}" ScriptID="{script}">{text}</NamePartValue>'


def documented_name(id_: int, parts: list[tuple[int, int, str]]) -> str:
    values = "".join(
        "<DocumentedNamePart>" + NPV.format(group=g, script=s, text=t) + "</DocumentedNamePart>"
        for g, s, t in parts
    )
    return f'<DocumentedName ID="{id_}" FixedRef="1" DocNameStatusID="1">{values}</DocumentedName>'


SYNTHETIC = f"""<?xml version="1.0" encoding="utf-8"?>
<Sanctions
  xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <DateOfIssue><Year>2024</Year><Month>8</Month><Day>28</Day></DateOfIssue>
  <ReferenceValueSets>
    <AliasTypeValues>
      <AliasType ID="1400">A.K.A.</AliasType><AliasType ID="1403">Name</AliasType>
    </AliasTypeValues>
    <NamePartTypeValues>
      <NamePartType ID="1520">Last Name</NamePartType>
      <NamePartType ID="1521">First Name</NamePartType>
    </NamePartTypeValues>
    <PartySubTypeValues><PartySubType ID="4" PartyTypeID="1">Unknown</PartySubType>
    </PartySubTypeValues>
    <PartyTypeValues><PartyType ID="1">Individual</PartyType></PartyTypeValues>
    <ScriptValues>
      <Script ID="215" ScriptCode="Latn">Latin</Script>
      <Script ID="220" ScriptCode="Cyrl">Cyrillic</Script>
      <Script ID="230" ScriptCode="Hans">Chinese Simplified</Script>
    </ScriptValues>
  </ReferenceValueSets>
  <DistinctParties>
    <DistinctParty FixedRef="1">
      <Profile ID="1" PartySubTypeID="4">
        <Identity ID="11" FixedRef="1" Primary="true" False="false">
          <Alias FixedRef="1" AliasTypeID="1403" Primary="true" LowQuality="false">
            {documented_name(1, [(1, 215, "IVANOV"), (2, 215, "Ivan")])}
            {documented_name(2, [(3, 220, "ИВАНОВ"), (4, 220, "Иван")])}
          </Alias>
          <Alias FixedRef="1" AliasTypeID="1400" Primary="false" LowQuality="true">
            {documented_name(3, [(5, 230, "伊万")])}
          </Alias>
          <NamePartGroups>
            <MasterNamePartGroup><NamePartGroup ID="1" NamePartTypeID="1520" />
            </MasterNamePartGroup>
            <MasterNamePartGroup><NamePartGroup ID="2" NamePartTypeID="1521" />
            </MasterNamePartGroup>
            <MasterNamePartGroup><NamePartGroup ID="3" NamePartTypeID="1520" />
            </MasterNamePartGroup>
            <MasterNamePartGroup><NamePartGroup ID="4" NamePartTypeID="1521" />
            </MasterNamePartGroup>
          </NamePartGroups>
        </Identity>
      </Profile>
    </DistinctParty>
  </DistinctParties>
</Sanctions>
"""


def test_original_script_names_keep_their_language_where_known(tmp_path: Path) -> None:
    path = tmp_path / "sdn_advanced.xml"
    path.write_text(SYNTHETIC, encoding="utf-8")
    report, entities = read(path)
    person = entities["ofac-1"]
    assert sorted(person.get("name")) == ["IVANOV, Ivan", "ИВАНОВ, Иван"]
    assert person.get("weakAlias") == ["伊万"]
    langs = {s.value: s.lang for s in person.statements if s.prop in ("name", "weakAlias")}
    assert langs == {"IVANOV, Ivan": None, "ИВАНОВ, Иван": None, "伊万": "zho"}
    assert person.get("firstName") == ["Ivan"]
    assert report.publisher_date == "2024-08-28"


# --- hostile input -------------------------------------------------------------------------


def test_a_truncated_file_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    data = EXCERPT.read_bytes()
    path = tmp_path / "cons_advanced.xml"
    path.write_bytes(data[: len(data) * 2 // 3])
    (error,) = refusal("ofac-advanced", path)
    assert error.field == "xml"
    assert error.location.startswith(f"{path}:")


def test_an_entity_declaration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sdn_advanced.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE Sanctions [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<Sanctions><DistinctParties/></Sanctions>",
        encoding="utf-8",
    )
    errors = refusal("ofac-advanced", path)
    assert errors[0].field == "DOCTYPE"
    assert errors[0].location == f"{path}:2"
