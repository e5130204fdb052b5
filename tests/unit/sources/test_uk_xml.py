"""`uk-xml`: the FCDO UK Sanctions List XML.

No real file could be brought in: these tests read
tests/fixtures/sources/uk-sanctions-list-schema.xml, a HAND-MADE fixture built to the published
element names with fictional designations (see tests/fixtures/sources/README-eu-uk.md).
Hostile inputs are written into tmp_path by each test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary
from factories.sources import FIXTURES, Read, hostile_xml, read_by_id, read_list, refusal, write

FIXTURE = FIXTURES / "uk-sanctions-list-schema.xml"


def read(path: Path) -> tuple[ImportReport, list[StatementEntity]]:
    return read_list("uk-xml", path)


@pytest.fixture(scope="module")
def fixture() -> Read:
    return read_by_id("uk-xml", FIXTURE)


def sanction_of(entities: dict[str, StatementEntity], entity_id: str) -> StatementEntity:
    (sanction,) = [
        e for e in entities.values() if e.schema.name == "Sanction" and entity_id in e.get("entity")
    ]
    return sanction


def held_by(entities: dict[str, StatementEntity], entity_id: str) -> list[StatementEntity]:
    return [e for e in entities.values() if entity_id in e.get("holder", quiet=True)]


def test_report_counts_designations(fixture):
    report, _entities = fixture
    assert report.targets == 4
    assert report.publisher_date == "2025-03-14"
    assert dict(report.schemata) == {
        "Person": 2, "Organization": 1, "Vessel": 1, "Sanction": 4,
        "Address": 3, "Passport": 2, "Identification": 1,
    }  # fmt: skip
    assert report.warnings == []
    assert dict(report.unmapped) == {"LengthOfShip": 1, "NonLatinScriptType": 2}


def test_names_with_their_strength_and_script(fixture):
    _report, entities = fixture
    person = entities["uk-ghr9901"]
    assert person.get("name") == ["Ivan Petrovich EXAMPLEV"]
    assert set(person.get("alias")) == {
        "Ivan Petrovitch EKSAMPLEV",
        "The Warden of Fictograd",
        "Иван Петрович ЭКЗАМПЛЕВ",
    }
    assert person.get("weakAlias") == ["Vanya"]
    (cyrillic,) = [s for s in person.statements if s.value == "Иван Петрович ЭКЗАМПЛЕВ"]
    assert cyrillic.lang == "rus"
    assert set(person.get("lastName")) == {"EXAMPLEV", "EKSAMPLEV"}


def test_person_details(fixture):
    _report, entities = fixture
    person = entities["uk-ghr9901"]
    assert set(person.get("birthDate")) == {"1970-05-14", "1971"}
    assert person.get("birthPlace") == ["Fictograd, Russia"]
    assert person.get("nationality") == ["ru"]
    assert person.get("gender") == ["male"]
    assert person.get("title") == ["Colonel"]
    assert person.get("position") == ["Head of the Fictograd penal colony (fictional)"]
    assert set(person.get("email")) == {"warden@example.org", "office@example.org"}
    assert person.get("phone") == ["+79990000001"]


def test_identity_documents(fixture):
    _report, entities = fixture
    documents = {doc.schema.name: doc for doc in held_by(entities, "uk-ghr9901")}
    assert documents["Passport"].get("number") == ["7500000001"]
    assert documents["Passport"].get("summary") == ["Russian passport (fictional number)"]
    assert documents["Identification"].get("number") == ["FX-0000-0001"]
    assert entities["uk-ghr9901"].get("passportNumber") == ["7500000001"]
    assert entities["uk-ghr9901"].get("idNumber") == ["FX-0000-0001"]


def test_addresses(fixture):
    _report, entities = fixture
    organization = entities["uk-gac9902"]
    (address_id,) = organization.get("addressEntity")
    address = entities[address_id]
    assert address.get("full") == ["Suite 4, Example Tower, 1 Sample Road, Nicosia, Cyprus"]
    assert address.get("country") == ["cy"]
    assert organization.get("country") == ["cy"]


@pytest.mark.parametrize(
    ("entity_id", "program", "theme", "provisions"),
    [
        ("uk-ghr9901", "UK Global Human Rights sanctions", "human-rights",
         {"Asset freeze", "Travel Ban"}),
        ("uk-gac9902", "UK Global Anti-Corruption sanctions", "corruption",
         {"Asset freeze", "Trust services sanctions"}),
        ("uk-rus9903", "UK Russia sanctions", "conflict",
         {"Ship specification", "Prohibition of port entry"}),
    ],
)  # fmt: skip
def test_sanction_per_designation(fixture, entity_id, program, theme, provisions):
    _report, entities = fixture
    sanction = sanction_of(entities, entity_id)
    assert sanction.get("program") == [program]
    assert set(sanction.get("provisions")) == provisions
    (code,) = sanction.get("programId")
    assert ("uk-fcdo", code) in vocabulary().codes_with_theme(theme)


def test_sanction_dates_references_and_reasons(fixture):
    _report, entities = fixture
    sanction = sanction_of(entities, "uk-ghr9901")
    assert set(sanction.get("authorityId")) == {"GHR9901", "99001"}
    assert sanction.get("listingDate") == ["2021-12-10"]
    assert sanction.get("modifiedAt") == ["2025-02-02"]
    assert sanction.get("reason")[0].startswith("Fictional statement: responsible for")
    un = sanction_of(entities, "uk-afg9904")
    assert un.get("unscId") == ["TAi.999"]
    assert "United Nations Security Council" in un.get("authority")
    assert set(entities["uk-afg9904"].get("birthDate")) == {"1955", "1956"}


def test_vessel_details(fixture):
    _report, entities = fixture
    vessel = entities["uk-rus9903"]
    assert vessel.schema.name == "Vessel"
    assert vessel.get("imoNumber") == ["1234567"]
    assert vessel.get("flag") == ["pa"]
    assert vessel.get("pastFlags") == ["lr"]
    assert vessel.get("type") == ["Crude oil tanker"]
    assert vessel.get("tonnage") == ["81000"]
    assert vessel.get("buildDate") == ["2004"]
    assert vessel.get("notes") == ["Current owner/operator: Example Shipping Test Co (fictional)"]


def test_entity_details(fixture):
    _report, entities = fixture
    organization = entities["uk-gac9902"]
    assert organization.get("registrationNumber") == ["HE000001"]
    assert organization.get("classification") == ["Holding company"]
    assert organization.get("website") == ["http://www.example.com/"]
    assert set(organization.get("notes")) == {
        "Parent company: Example Parent Group (fictional)",
        "Subsidiary: Example Subsidiary One (fictional)",
    }


# --- recoverable problems become warnings -------------------------------------------------------

DESIGNATION = """<?xml version="1.0" encoding="utf-8"?>
<Designations>
  <DateGenerated>14/03/2025</DateGenerated>
  <Designation>
    {unique}
    <Names><Name><Name6>TEST NAME</Name6><NameType>{name_type}</NameType></Name></Names>
    <RegimeName>The Global Human Rights Sanctions Regulations 2020</RegimeName>
    <IndividualEntityShip>Individual</IndividualEntityShip>
    <IndividualDetails><Individual><DOBs><DOB>{dob}</DOB></DOBs></Individual></IndividualDetails>
  </Designation>
</Designations>
"""


@pytest.mark.parametrize(
    ("unique", "name_type", "dob", "location", "field"),
    [
        ("<UniqueID>GHR0001</UniqueID>", "Primary Name", "31/02/1970", "record GHR0001", "DOB"),
        ("<UniqueID>GHR0001</UniqueID>", "Nickname", "01/02/1970", "record GHR0001", "NameType"),
        ("", "Primary Name", "01/02/1970", ":4", "UniqueID"),
    ],
)
def test_recoverable_problems_are_warnings(tmp_path, unique, name_type, dob, location, field):
    path = write(tmp_path, DESIGNATION.format(unique=unique, name_type=name_type, dob=dob))
    report, entities = read(path)
    assert report.targets == 1
    assert entities[0].get("name", quiet=True) or entities[0].get("alias", quiet=True)
    (warning,) = report.warnings
    assert warning.field == field
    assert warning.location.startswith(str(path))
    assert warning.location.endswith(location)


# --- hostile and broken inputs are refused ------------------------------------------------------

HOSTILE = hostile_xml("Designations", "<Designation><UniqueID>{}</UniqueID></Designation>")


@pytest.mark.parametrize(
    ("text", "encoding", "line"),
    [
        (HOSTILE["laughs"], "utf-8", 2),
        (HOSTILE["xxe"], "utf-8", 2),
        (HOSTILE["padded"], "utf-8", 2),
        (HOSTILE["xxe"].replace('"1.0"', '"1.0" encoding="utf-16"'), "utf-16", 2),
    ],
    ids=["laughs", "xxe", "padded-past-64k", "utf-16"],
)
def test_doctype_and_entities_are_refused(tmp_path, text, encoding, line):
    path = tmp_path / "list.xml"
    path.write_text(text, encoding=encoding)
    (error,) = refusal("uk-xml", path)
    assert (error.location, error.field) == (f"{path}:{line}", "DOCTYPE")


def test_truncated_file_is_refused_naming_file_and_line(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8")
    path = write(tmp_path, text[: text.index("<ShipDetails>") + 40])
    (error,) = refusal("uk-xml", path)
    assert error.field == "xml"
    file, line = error.location.rsplit(":", 1)
    assert file == str(path)
    assert int(line) > 100


def test_a_file_without_designations_is_refused(tmp_path):
    path = write(
        tmp_path, "<?xml version='1.0'?><CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>"
    )
    (error,) = refusal("uk-xml", path)
    assert (error.location, error.field) == (str(path), "Designation")
