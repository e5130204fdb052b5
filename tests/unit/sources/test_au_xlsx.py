"""`au-xlsx`: DFAT's Australian Sanctions Consolidated List, read from the real, complete workbook
of 2026-02-24 in ../shared/data/australia (not copied into the project). Expected figures are
those of its PROVENANCE.md; the name rows are also read here independently with openpyxl so that
every alias and original-script row can be checked against what the reader made of it.

Hostile workbooks are written into tmp_path.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from followthemoney import StatementEntity
from lxml import etree

from dignity.exc import InvalidInput
from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.report import ImportReport

DATA = Path(__file__).resolve().parents[3].parent / "shared/data"
AU_FILE = DATA / "australia/Australian_Sanctions_Consolidated_List.xlsx"


def read(path: Path) -> tuple[ImportReport, list[StatementEntity]]:
    reader = get_reader("au-xlsx")
    report = ImportReport("au-xlsx", str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, entities


@pytest.fixture(scope="module")
def au() -> tuple[ImportReport, dict[str, StatementEntity]]:
    report, entities = read(AU_FILE)
    return report, {entity.id: entity for entity in entities if entity.id}


@pytest.fixture(scope="module")
def name_rows() -> list[tuple[str, str, str, str]]:
    """(reference, name, name type, alias strength) of every data row, read independently."""
    workbook = openpyxl.load_workbook(AU_FILE, read_only=True)
    try:
        rows = workbook["Consolidated List"].iter_rows(min_row=2, max_col=5, values_only=True)
        return [(str(r[0]), norm(r[1]), norm(r[3]), norm(r[4])) for r in rows if r[0] is not None]
    finally:
        workbook.close()


def norm(value: object) -> str:
    return " ".join(str(value or "").replace("_x000D_", " ").split())


def carried(entity: StatementEntity, prop: str, text: str) -> bool:
    return any(
        stmt.prop == prop and text in (stmt.value, stmt.original_value)
        for stmt in entity.statements
    )


def number(reference: str) -> str:
    match = re.match(r"\d+", reference)
    assert match is not None
    return match.group(0)


def test_targets_are_dfat_listings(au):
    report, entities = au
    assert report.targets == 3810
    assert report.publisher_date == "2026-02-24"
    listed = [e for e in entities.values() if e.id != "au-8495" and e.schema.name != "Sanction"]
    by_schema = {"Person": 0, "Organization": 0, "Vessel": 0}
    for entity in listed:
        if entity.schema.name in by_schema:
            by_schema[entity.schema.name] += 1
    assert by_schema == {"Person": 2517, "Organization": 1031, "Vessel": 262}


def test_regimes_are_counted_per_listing(au):
    report, _entities = au
    assert report.programs["1267 Committee (ISIL & Al-Qaida)"] == 341
    assert report.programs["1718 (DPRK)"] == 155
    assert report.programs["1988 (Taliban)"] == 141
    assert report.programs["Autonomous (Thematic - Human Rights)"] == 105
    assert report.programs["Autonomous (Thematic \u2013 Corruption)"] == 14
    assert sum(report.programs.values()) == 3811  # 3,810 listings and the orphan row 8495b


def test_every_alias_row_is_carried_with_its_strength(au, name_rows):
    _report, entities = au
    aliases = [row for row in name_rows if row[2] == "Alias"]
    assert len(aliases) == 6714
    for reference, name, _kind, strength in aliases:
        prop = "weakAlias" if strength == "Weak" else "alias"
        assert carried(entities[f"au-{number(reference)}"], prop, name), (reference, name)
    assert sum(1 for row in aliases if row[3] == "Weak") == 439


def test_every_original_script_row_is_carried(au, name_rows):
    _report, entities = au
    scripts = [row for row in name_rows if row[2] == "Original Script"]
    assert len(scripts) == 452
    for reference, name, _kind, _strength in scripts:
        entity = entities[f"au-{number(reference)}"]
        # 8720's own row is marked "Original Script" but is its (Latin) primary name.
        prop = "name" if reference == number(reference) else "alias"
        assert carried(entity, prop, name), (reference, name)


def test_listings_that_are_un_listings_carry_the_un_reference(au):
    report, entities = au
    sanctions = [e for e in entities.values() if e.schema.name == "Sanction" and e.get("unscId")]
    # 781 listings' own rows start their note with a reference in the UN's own form. 7 rows
    # type one loosely (Qdi.081, KPi030, SOi. 020, ...) and are repaired with a warning: 5 of
    # them are a listing's own row, 2 alias rows of listings already counted. IQi.04 is
    # incomplete and not carried.
    repaired = [w for w in report.warnings if w.message.startswith("UN reference written")]
    assert len(repaired) == 7
    assert len(sanctions) == 781 + 5
    incomplete = [w for w in report.warnings if "incomplete" in w.message]
    assert [w.location for w in incomplete] == [f"{AU_FILE}:1707"]
    sanction = next(e for e in sanctions if e.get("entity") == ["au-2"])
    assert sanction.get("unscId") == ["TAi.002"]
    assert sanction.get("listingDate") == ["2001-01-25"]


def test_every_un_reference_is_in_the_un_file(au):
    """The UN file of three days later lists every UN reference DFAT gives (cross-list pairs)."""
    _report, entities = au
    root = etree.parse(str(DATA / "un/consolidated.xml")).getroot()
    un_references = {norm(e.text) for e in root.iter("REFERENCE_NUMBER")}
    given = [v for e in entities.values() if e.schema.name == "Sanction" for v in e.get("unscId")]
    assert len(given) == 786
    assert set(given) <= un_references


def test_putin(au):
    _report, entities = au
    putin = entities["au-6678"]
    assert putin.schema.name == "Person"
    assert putin.get("name") == ["Vladimir Vladimirovich PUTIN"]
    sanction = next(
        e
        for e in entities.values()
        if e.schema.name == "Sanction" and e.get("entity") == ["au-6678"]
    )
    assert sanction.get("programId") == ["Autonomous (Russia)"]
    assert sanction.get("authorityId") == ["6678"]
    assert sanction.get("program") == ["Australian autonomous sanctions in relation to Russia"]
    assert set(sanction.get("provisions")) == {"Targeted Financial Sanction", "Travel Ban"}


def test_kadyrov_and_his_aliases(au, name_rows):
    _report, entities = au
    kadyrov = entities["au-2961"]
    assert kadyrov.get("name") == ["Ramzan Akhmadovitch KADYROV"]
    rows = {ref: name for ref, name, _kind, _strength in name_rows if number(ref) == "2961"}
    assert {"2961a", "2961b"} <= set(rows)
    for reference in ("2961a", "2961b"):
        assert carried(kadyrov, "alias", rows[reference])
    sanction = next(
        e
        for e in entities.values()
        if e.schema.name == "Sanction" and e.get("entity") == ["au-2961"]
    )
    assert sanction.get("programId") == ["Autonomous (Ukraine)"]


def test_vessels_carry_their_imo_number(au):
    _report, entities = au
    vessels = [e for e in entities.values() if e.schema.name == "Vessel"]
    with_imo = [v for v in vessels if v.get("imoNumber")]
    # 261 IMO numbers in the file; one (9434980, row 10641) fails the IMO check digit.
    assert len(with_imo) == 260
    assert all(imo.startswith("IMO") for v in with_imo for imo in v.get("imoNumber"))


@pytest.mark.parametrize(
    ("reference", "fragment"),
    [
        ("8495", "has no row of its own (only 8495b)"),
        ("8686a", "'Primary Name'; read as a primary name"),
        ("8720", "'Original Script'; read as a primary name"),
        ("1228c", "gives UN reference CDi.002"),
    ],
)
def test_dfat_data_errors_are_warned_about(au, reference, fragment):
    report, _entities = au
    assert any(fragment in w.message for w in report.warnings), reference


def test_dates_of_birth_in_every_shape(au):
    _report, entities = au
    akhund = entities["au-2"]  # "1945, 1946, ... 1958" in a text cell
    assert {"1945", "1950", "1958"} <= set(akhund.get("birthDate"))
    soleimani = entities["au-8490"]  # an Excel date; one alias row gives another day
    assert {"1957-03-11", "1957-03-01"} <= set(soleimani.get("birthDate"))


# --- hostile workbooks --------------------------------------------------------------------------


def test_a_text_file_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("Reference,Name of Individual or Entity\n1,Someone\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read(path)
    error = caught.value.errors[0]
    assert (error.location, error.field) == (str(path), "workbook")


def test_a_zip_of_something_else_is_refused(tmp_path):
    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    with pytest.raises(InvalidInput) as caught:
        read(path)
    error = caught.value.errors[0]
    assert (error.location, error.field) == (str(path), "workbook")


def test_a_workbook_without_the_dfat_columns_is_refused(tmp_path):
    path = tmp_path / "list.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name", "Type"])
    sheet.append(["Someone", "Individual"])
    workbook.save(path)
    with pytest.raises(InvalidInput) as caught:
        read(path)
    fields = {(e.location, e.field) for e in caught.value.errors}
    assert (f"{path}:1", "Reference") in fields


def test_unknown_columns_and_bad_rows_are_reported(tmp_path):
    path = tmp_path / "list.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Consolidated List"
    sheet.append(["Reference", "Name of Individual or Entity", "Type", "Name Type", "Extra"])
    sheet.append([1, "EXAMPLE PERSON", "Individual", "Primary Name", "something"])
    sheet.append(["1a", "Example Alias", "Individual", "Alias", None])
    sheet.append(["x-1", "Nobody", "Individual", "Primary Name", None])
    workbook.save(path)
    report, entities = read(path)
    assert report.targets == 1
    assert report.unmapped["Extra"] == 1
    assert [(w.location, w.field) for w in report.warnings if w.field == "Reference"] == [
        (f"{path}:4", "Reference")
    ]
    person = next(e for e in entities if e.id == "au-1")
    assert person.get("alias") == ["Example Alias"]
