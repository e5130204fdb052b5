"""`eu-xml`: the EU consolidated financial sanctions file (FSF XML 1.1).

No real EU file could be brought in: these tests read tests/fixtures/sources/eu-fsf-schema.xml, a
HAND-MADE fixture built to the published element and attribute names with fictional entries (see
tests/fixtures/sources/README-eu-uk.md). Hostile inputs are written into tmp_path by each test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.exc import InvalidInput
from dignity.sources.formats.eu_uk_common import scan_for_doctype
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary
from factories.sources import FIXTURES, Read, hostile_xml, read_by_id, read_list, refusal, write

FIXTURE = FIXTURES / "eu-fsf-schema.xml"


def read(path: Path) -> tuple[ImportReport, list[StatementEntity]]:
    return read_list("eu-xml", path)


@pytest.fixture(scope="module")
def fixture() -> Read:
    return read_by_id("eu-xml", FIXTURE)


def sanctions_of(
    entities: dict[str, StatementEntity], entity_id: str
) -> dict[str, StatementEntity]:
    return {
        e.get("programId")[0]: e
        for e in entities.values()
        if e.schema.name == "Sanction" and entity_id in e.get("entity")
    }


def held_by(entities: dict[str, StatementEntity], entity_id: str) -> dict[str, StatementEntity]:
    return {
        e.get("number")[0]: e for e in entities.values() if entity_id in e.get("holder", quiet=True)
    }


def test_report_counts_sanction_entities(fixture):
    report, _entities = fixture
    assert report.targets == 3
    assert report.publisher_date == "2025-03-14"
    assert dict(report.programs) == {"HR": 1, "CYB": 1, "TERR": 1, "TAQA": 1}
    assert dict(report.schemata) == {
        "Person": 2, "Organization": 1, "Sanction": 4, "Passport": 2, "Identification": 1,
        "Address": 2,
    }  # fmt: skip
    assert report.warnings == []
    assert dict(report.unmapped) == {"nameAlias/regulationSummary": 2}


def test_names_with_strength_and_language(fixture):
    _report, entities = fixture
    person = entities["eu-eu.9901.01"]
    assert person.get("name") == ["Ivan Petrovich EXAMPLEV"]
    assert person.get("alias") == ["Иван Петрович ЭКЗАМПЛЕВ"]
    assert person.get("weakAlias") == ["Vanya"]
    (russian,) = [s for s in person.statements if s.value == "Иван Петрович ЭКЗАМПЛЕВ"]
    assert russian.lang == "rus"
    assert (person.get("firstName"), person.get("middleName"), person.get("lastName")) == (
        ["Ivan"], ["Petrovich"], ["EXAMPLEV"],
    )  # fmt: skip


def test_a_low_quality_remark_makes_a_strong_alias_weak(fixture):
    _report, entities = fixture
    organization = entities["eu-eu.9902.02"]
    assert organization.get("name") == ["Example Front for Testing"]
    assert organization.get("alias") == ["Front d'exemple pour les tests"]
    assert organization.get("weakAlias") == ["EFT"]


def test_person_details(fixture):
    _report, entities = fixture
    person = entities["eu-eu.9901.01"]
    assert set(person.get("birthDate")) == {"1970-05-14", "1971"}
    assert person.get("birthPlace") == ["Fictograd, RUSSIAN FEDERATION"]
    assert person.get("birthCountry") == ["ru"]
    assert person.get("citizenship") == ["ru"]
    assert person.get("gender") == ["male"]
    assert person.get("title") == ["Colonel"]
    assert person.get("position") == ["Head of the Fictograd penal colony (fictional)"]
    assert "Date of birth 1971 is approximate" in person.get("notes")


def test_year_range_and_enumerated_titles(fixture):
    _report, entities = fixture
    person = entities["eu-eu.9903.03"]
    assert set(person.get("birthDate")) == {"1953", "1958"}
    assert "Born between 1953 and 1958" in person.get("notes")
    assert set(person.get("title")) == {"Mullah", "Maulavi"}
    assert person.get("birthPlace") == ["Testabad, Example District, AFGHANISTAN"]


def test_identifications(fixture):
    _report, entities = fixture
    documents = held_by(entities, "eu-eu.9901.01")
    passport = documents["7500000001"]
    assert passport.schema.name == "Passport"
    assert passport.get("country") == ["ru"]
    assert passport.get("authority") == ["Ministry of Internal Affairs (fictional)"]
    assert (passport.get("startDate"), passport.get("endDate")) == (["2015-01-10"], ["2025-01-09"])
    assert passport.get("summary") == ["Fictional passport number"]
    assert documents["FX-0000-0001"].schema.name == "Identification"
    assert documents["FX-0000-0001"].get("type") == ["National identification card"]
    latin = held_by(entities, "eu-eu.9903.03")["OR000001"]
    assert latin.get("summary") == ["name on document: Sample Testzada; known to be expired"]


def test_identification_codes_that_are_properties(fixture):
    _report, entities = fixture
    organization = entities["eu-eu.9902.02"]
    assert organization.get("registrationNumber") == ["1000000000001"]
    assert organization.get("swiftBic") == ["EXAMRUMMXXX"]
    assert held_by(entities, "eu-eu.9902.02") == {}


def test_addresses_and_contacts(fixture):
    _report, entities = fixture
    person = entities["eu-eu.9901.01"]
    (address_id,) = person.get("addressEntity")
    address = entities[address_id]
    assert address.get("full") == ["12 Example Street, Fictograd, 999001, RUSSIAN FEDERATION"]
    assert (address.get("street"), address.get("city"), address.get("country")) == (
        ["12 Example Street"], ["Fictograd"], ["ru"],
    )  # fmt: skip
    assert person.get("phone") == ["+79990000001"]
    assert person.get("email") == ["warden@example.org"]
    organization = entities["eu-eu.9902.02"]
    assert organization.get("website") == ["http://www.example.net/"]
    assert organization.get("addressEntity") == []
    assert "Address: address as at the time of listing" in organization.get("notes")


def test_one_sanction_per_programme(fixture):
    _report, entities = fixture
    sanctions = sanctions_of(entities, "eu-eu.9902.02")
    assert set(sanctions) == {"CYB", "TERR"}
    assert sanctions["TERR"].get("startDate") == ["2020-01-13"]
    assert sanctions["CYB"].get("sourceUrl") == [
        "https://eur-lex.europa.eu/example/fictional-9998-01"
    ]


def test_sanction_dates_and_references(fixture):
    _report, entities = fixture
    hr = sanctions_of(entities, "eu-eu.9901.01")["HR"]
    assert hr.get("program") == ["EU Global Human Rights Sanctions Regime"]
    assert hr.get("authority") == ["Council of the European Union"]
    assert hr.get("authorityId") == ["EU.9901.01"]
    assert hr.get("listingDate") == ["2021-03-22"]
    assert hr.get("modifiedAt") == ["2023-12-08"]
    assert set(hr.get("description")) == {
        "9999/01 (OJ L999I) (regulation, council)",
        "9999/02 (OJ L999) (amendment, council)",
    }
    assert ("eu", "HR") in vocabulary().codes_with_theme("human-rights")
    taqa = sanctions_of(entities, "eu-eu.9903.03")["TAQA"]
    assert taqa.get("unscId") == ["QDi.999"]
    assert taqa.get("listingDate") == ["2011-10-05"]


# --- recoverable problems become warnings -------------------------------------------------------

ENTRY = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2025-03-14T10:15:30">
  <sanctionEntity euReferenceNumber="EU.1.1" logicalId="1">
    <regulation programme="{programme}" publicationDate="2021-03-22"/>
    <subjectType code="{subject}" classificationCode=""/>
    <nameAlias wholeName="Test Name" strong="true" nameLanguage="{language}"/>
    <birthdate birthdate="{birthdate}"/>
    <address city="Testville" countryIso2Code="RU" {extra}/>
  </sanctionEntity>
</export>
"""
GOOD = {"programme": "HR", "subject": "person", "language": "EN", "birthdate": "1970-05-14",
        "extra": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birthdate": "1970-02-31"}, "birthdate@birthdate"),
        ({"language": "XX"}, "nameAlias@nameLanguage"),
        ({"programme": "NOPE"}, "regulation@programme"),
        ({"programme": ""}, "regulation@programme"),
        ({"subject": "vessel"}, "subjectType"),
    ],
)
def test_recoverable_problems_are_warnings(tmp_path, change, field):
    path = write(tmp_path, ENTRY.format(**{**GOOD, **change}))
    report, entities = read(path)
    assert report.targets == 1
    assert "Test Name" in entities[0].get("name")
    (warning,) = report.warnings
    assert warning.field == field
    assert warning.location.startswith(str(path))


def test_unknown_attribute_is_counted_as_unmapped(tmp_path):
    path = write(tmp_path, ENTRY.format(**{**GOOD, "extra": 'building="Tower 2"'}))
    report, _entities = read(path)
    assert dict(report.unmapped) == {"address@building": 1}


def test_warning_names_the_record(tmp_path):
    path = write(tmp_path, ENTRY.format(**{**GOOD, "birthdate": "1970-02-31"}))
    report, _entities = read(path)
    assert report.warnings[0].location == f"{path} record EU.1.1"


# --- hostile and broken inputs are refused ------------------------------------------------------

HOSTILE = hostile_xml(
    "export", '<sanctionEntity logicalId="1"><remark>{}</remark></sanctionEntity>'
)


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_doctype_and_entities_are_refused(tmp_path, text):
    path = write(tmp_path, text)
    (error,) = refusal("eu-xml", path)
    assert (error.location, error.field) == (f"{path}:2", "DOCTYPE")


@pytest.mark.parametrize("chunk_size", [1, 5, 9, 64, 1 << 20])
def test_doctype_scan_finds_declarations_across_chunk_borders(tmp_path, chunk_size):
    path = write(tmp_path, "<?xml version='1.0'?>\n" + "<!-- -->\n" * 40 + "<!ENTITY x 'y'>\n<a/>")
    with pytest.raises(InvalidInput) as excinfo:
        scan_for_doctype(path, chunk_size)
    assert excinfo.value.errors[0].location == f"{path}:42"


@pytest.mark.parametrize("cut", ["<birthdate", "<identification", "</sanctionEntity>\n    <sanct"])
def test_truncated_file_is_refused_naming_file_and_line(tmp_path, cut):
    text = FIXTURE.read_text(encoding="utf-8")
    path = write(tmp_path, text[: text.index(cut) + len(cut)])
    (error,) = refusal("eu-xml", path)
    assert error.field == "xml"
    file, line = error.location.rsplit(":", 1)
    assert (file, line.isdigit()) == (str(path), True)


def test_a_file_without_sanction_entities_is_refused(tmp_path):
    path = write(tmp_path, "<?xml version='1.0'?><Designations><DateGenerated/></Designations>")
    (error,) = refusal("eu-xml", path)
    assert (error.location, error.field) == (str(path), "sanctionEntity")
