"""`ca-xml`: Global Affairs Canada's consolidated autonomous sanctions list (`sema-lmes.xml`).

Two sources, and only one of them real:
- the 2020 schema: the real, complete file of April 2020 in ../shared/data/canada (old; read in
  place, not copied);
- the current schema: tests/fixtures/sources/ca-current-schema.xml, HAND-MADE from the published
  element names with fictional records (see tests/fixtures/sources/README.md). The 2025 bilingual
  element names are produced from it here.

Hostile XML inputs for this reader are tested with the UN reader's in test_un_xml.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.formats.ca_xml import bilingual_names, regime_code, split_aliases
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary

DATA = Path(__file__).resolve().parents[3].parent / "shared/data"
CA_FILE = DATA / "canada/sema-lmes.xml"
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures/sources/ca-current-schema.xml"
# The 2025 file names each element in English and French (as public parsers of it read them).
BILINGUAL = {
    "Country": "Country-Pays",
    "LastName": "LastName-NomDeFamille",
    "GivenName": "GivenName-Prenom",
    "EntityOrShip": "EntityOrShip-EntiteOuNavire",
    "DateOfBirthOrShipBuildDate": (
        "DateOfBirthOrShipBuildDate-DateDeNaissanceOuDateDeConstructionDuNavire"
    ),
    "TitleOrShip": "TitleOrShipType-TitreOuTypeDeNavire",
    "ShipIMONumber": "ShipIMONumber-NumeroOMIDuNavire",
    "Aliases": "Aliases-Alias",
    "Schedule": "Schedule-Annexe",
    "Item": "Item-NumeroDarticle",
    "DateOfListing": "DateOfListing-DateDinscription",
}


def read(path: Path) -> tuple[ImportReport, dict[str, StatementEntity]]:
    reader = get_reader("ca-xml")
    report = ImportReport("ca-xml", str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    by_id = {entity.id: entity for entity in entities if entity.id}
    assert len(by_id) == len(entities)  # no two records share an id
    return report, by_id


@pytest.fixture(scope="module")
def old() -> tuple[ImportReport, dict[str, StatementEntity]]:
    return read(CA_FILE)


@pytest.fixture(scope="module")
def current() -> tuple[ImportReport, dict[str, StatementEntity]]:
    return read(FIXTURE)


def sanction_of(entities: dict[str, StatementEntity], entity_id: str) -> StatementEntity:
    (sanction,) = [
        e
        for e in entities.values()
        if e.schema.name == "Sanction" and e.get("entity") == [entity_id]
    ]
    return sanction


# --- the real 2020 file ------------------------------------------------------------------------


def test_2020_file_one_target_per_record(old):
    report, _entities = old
    assert report.targets == 1369
    assert report.schemata["Person"] == 985
    assert report.schemata["Organization"] == 384
    assert report.publisher_date is None  # the file states none
    assert report.warnings == []
    assert dict(report.unmapped) == {}


def test_2020_file_regimes(old):
    report, _entities = old
    assert dict(report.programs) == {
        "Syria": 281, "Ukraine": 242, "Iran": 202, "Russia": 197, "Zimbabwe": 181,
        "Venezuela": 96, "Burma": 89, "JVCFOR": 70, "Nicaragua": 9, "South Sudan": 2,
    }  # fmt: skip


def test_maduro_is_listed_twice(old):
    _report, entities = old
    maduro = [e for e in entities.values() if "Nicolás MADURO MOROS" in e.get("name", quiet=True)]
    assert sorted(e.id for e in maduro) == ["ca-jvcfor-1-1", "ca-venezuela-none-1"]
    person = entities["ca-jvcfor-1-1"]
    assert (person.get("firstName"), person.get("lastName")) == (["Nicolás"], ["MADURO MOROS"])
    sanction = sanction_of(entities, "ca-jvcfor-1-1")
    assert sanction.get("programId") == ["JVCFOR"]
    assert sanction.get("authorityId") == ["Schedule 1, item 1"]


def test_jvcfor_is_flagged_human_rights_and_corruption(old):
    _report, entities = old
    program = vocabulary().get("ca-gac", "JVCFOR")
    assert program is not None
    assert set(program.themes) == {"human-rights", "corruption"}
    assert "Sergei Magnitsky Law" in " ".join(program.legal_basis)
    vocab = vocabulary()
    assert ("ca-gac", "JVCFOR") in vocab.codes_with_theme("human-rights")
    assert ("ca-gac", "JVCFOR") in vocab.codes_with_theme("corruption")
    sanction = sanction_of(entities, "ca-jvcfor-1-1")
    assert sanction.get("program") == [program.title]


def test_2020_file_aliases_and_titles(old):
    _report, entities = old
    by_name = {e.get("name")[0]: e for e in entities.values() if e.schema.name != "Sanction"}
    burma_bank = by_name["MICB"]
    assert set(burma_bank.get("alias")) == {
        "Myanma Investment and Commercial Bank", "Burma Investment and Commercial Bank"
    }  # fmt: skip
    irgc = by_name["Islamic Revolutionary Guard Corps"]
    assert "Corps des Gardiens de la Révolution islamique" in irgc.get("alias")
    assert "IRGC" in irgc.get("alias")
    # A person's one-word alias is a variant of one part of the name: a weak alias.
    akimov = next(e for e in entities.values() if e.get("lastName", quiet=True) == ["AKIMOV"])
    assert akimov.get("weakAlias") == ["Andrei"]
    assert akimov.get("alias") == []
    general = next(e for e in entities.values() if "major-général" in e.get("title", quiet=True))
    assert "Major General" in general.get("title")


# --- the hand-made current-schema fixture ------------------------------------------------------


def test_current_schema_fixture_is_read(current):
    report, _entities = current
    assert report.targets == 5
    assert dict(report.schemata) == {"Person": 3, "Organization": 1, "Vessel": 1, "Sanction": 5}
    assert dict(report.programs) == {"Russia": 2, "Belarus": 1, "JVCFOR": 1, "Venezuela": 1}
    assert report.warnings == []
    assert dict(report.unmapped) == {}


def test_current_schema_person(current):
    _report, entities = current
    person = entities["ca-russia-1-part-1-9001"]
    assert person.get("name") == ["Ivan Petrovich EXAMPLOV"]
    assert person.get("birthDate") == ["1961-04-12"]
    assert sorted(person.get("title")) == ["Major General", "major-général"]
    assert person.get("alias") == ["Ivan EKZAMPLOV"]
    assert person.get("weakAlias") == ["Iwan"]
    sanction = sanction_of(entities, person.id)
    assert sanction.get("listingDate") == ["2022-03-15"]
    assert sanction.get("authorityId") == ["Schedule 1, Part 1, item 9001"]
    assert sanction.get("country") == ["ru"]


def test_current_schema_entity_and_vessel(current):
    _report, entities = current
    entity = entities["ca-belarus-1-part-2-9002"]
    assert entity.schema.name == "Organization"
    assert entity.get("name") == ["Fictograd Republican Unitary Enterprise"]
    assert "Entreprise unitaire républicaine de Fictograd" in entity.get("alias")
    vessel = entities["ca-russia-2-9003"]
    assert vessel.schema.name == "Vessel"
    assert vessel.get("imoNumber") == ["IMO1234567"]
    assert vessel.get("buildDate") == ["2004"]
    assert vessel.get("type") == ["Crude oil tanker"]


def test_current_schema_two_dates_and_no_schedule(current):
    _report, entities = current
    assert sorted(entities["ca-jvcfor-1-9004"].get("birthDate")) == ["1972-08-10", "1972-08-11"]
    assert sanction_of(entities, "ca-venezuela-none-9005").get("authorityId") == ["item 9005"]


def test_bilingual_element_names_read_the_same(tmp_path, current):
    text = FIXTURE.read_text(encoding="utf-8")
    for name, bilingual in BILINGUAL.items():
        text = re.sub(rf"(</?){name}>", rf"\g<1>{bilingual}>", text)
    assert "<Item-NumeroDarticle>" in text
    path = tmp_path / "sema-lmes.xml"
    path.write_text(text, encoding="utf-8")
    report, entities = read(path)
    _expected_report, expected = current
    assert report.warnings == []
    assert {k: (e.schema.name, e.properties) for k, e in entities.items()} == {
        k: (e.schema.name, e.properties) for k, e in expected.items()
    }


def test_an_unknown_element_is_counted_not_dropped(tmp_path):
    path = tmp_path / "sema-lmes.xml"
    path.write_text(
        "<data-set><record><Country>Russia / Russie</Country><LastName>EXAMPLOV</LastName>"
        "<PlaceOfBirth>Fictograd</PlaceOfBirth><Schedule>1</Schedule><Item>1</Item></record>"
        "</data-set>",
        encoding="utf-8",
    )
    report, _entities = read(path)
    assert dict(report.unmapped) == {"PlaceOfBirth": 1}


# --- small parsers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("Syria / Syrie", "Syria"),
        ("Venezuela ", "Venezuela"),
        ("Belarus / Bélarus", "Belarus"),
        (
            "Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR) / "
            "Règlement relatif à la justice pour les victimes de dirigeants étrangers corrompus "
            "(RJVDEC)",
            "JVCFOR",
        ),
    ],
)
def test_regime_code(country, code):
    assert regime_code(country) == code


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Air Bagan Pte. Ltd., Air Bagan Limited", ["Air Bagan Pte. Ltd.", "Air Bagan Limited"]),
        ("Russian: Иван Экзамплов; a.k.a. Ivan X", ["Иван Экзамплов", "Ivan X"]),
        ("Iranian Revolutionary Guards", ["Iranian Revolutionary Guards"]),
    ],
)  # fmt: skip
def test_split_aliases(text, names):
    assert split_aliases(text) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("MEC Steel Mills (Hmaw Bi/Pyi/Ywama)", ["MEC Steel Mills (Hmaw Bi/Pyi/Ywama)"]),
        ("Sepah-e Pasdaran-e Enghelab-e Eslami/GRI", ["Sepah-e Pasdaran-e Enghelab-e Eslami/GRI"]),
        ("Example Bank/Banque Exemple", ["Example Bank", "Banque Exemple"]),
    ],
)
def test_bilingual_names(text, names):
    assert bilingual_names(text) == names
