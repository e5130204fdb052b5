"""`ofac-cons-csv`: OFAC's Consolidated (non-SDN) list in the legacy CSV layout.

Real data: the complete 2025-12 set (cons_prim, cons_add, cons_alt, cons_comments) verbatim under
../shared/data/ofac/consolidated-non-sdn-csv-2025-12-19; counts are recounted from the files.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.formats.ofac_legacy import programs
from dignity.sources.report import ImportReport

ROOT = Path(__file__).resolve().parents[3]
CONS = ROOT.parent / "shared/data/ofac/consolidated-non-sdn-csv-2025-12-19"
TARGET_SCHEMATA = {"Person", "Organization", "Company", "LegalEntity"}

Read = tuple[ImportReport, dict[str, StatementEntity]]


def read(path: Path) -> Read:
    reader = get_reader("ofac-cons-csv")
    report = ImportReport("ofac-cons-csv", str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, {str(e.id): e for e in entities}


def rows(name: str, width: int) -> list[list[str]]:
    with (CONS / name).open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle) if len(row) == width]


@pytest.fixture(scope="module")
def cons() -> Read:
    return read(CONS)


def test_targets_are_the_rows_of_cons_prim(cons: Read) -> None:
    report, entities = cons
    assert len(rows("cons_prim.csv", 12)) == 442
    assert report.targets == 442
    by_schema = Counter(
        e.schema.name for e in entities.values() if e.schema.name in TARGET_SCHEMATA
    )
    assert by_schema["Person"] == 79
    assert by_schema["Organization"] + by_schema["Company"] == 363


def test_programs_are_counted_as_the_file_gives_them(cons: Read) -> None:
    report, _entities = cons
    expected = Counter(code for row in rows("cons_prim.csv", 12) for code in programs(row[3]))
    assert report.programs == expected
    assert report.programs["UKRAINE-EO13662"] == 286
    assert report.programs["NS-PLC"] == 78
    assert report.programs["CMIC-EO13959"] == 68
    assert not [w for w in report.warnings if "vocabulary" in w.message]


def test_every_join_row_resolves(cons: Read) -> None:
    report, entities = cons
    assert (len(rows("cons_alt.csv", 5)), len(rows("cons_add.csv", 6))) == (1_073, 574)
    assert len(rows("cons_comments.csv", 2)) == 10
    assert [w for w in report.warnings if w.field == "ent_num"] == []
    assert not any(key.endswith(":unresolved") for key in report.unmapped)
    for ent_num, add_num, *values in rows("cons_add.csv", 6):
        if any(v.strip() not in ("", "-0-") for v in values):
            assert f"ofac-{ent_num}-address-{add_num}" in entities[f"ofac-{ent_num}"].get(
                "addressEntity"
            )


def test_comments_continue_the_remarks(cons: Read) -> None:
    """17018's remark is cut at 1,000 characters; its weak a.k.a.s are in cons_comments.csv."""
    _report, entities = cons
    sberbank = entities["ofac-17018"]
    assert {"SBERBANK INDIA", "SBERBANK MUMBAI"} <= set(sberbank.get("weakAlias"))
    assert any(note.endswith("a.k.a. 'SBERBANK MUMBAI'.") for note in sberbank.get("notes"))
    assert sberbank.get("taxNumber") == ["7707083893"]


def test_weak_and_strong_aliases(cons: Read) -> None:
    _report, entities = cons
    zahhar = entities["ofac-9647"]
    assert zahhar.get("alias") == ["AL ZAHAR, Mahmoud Khaled"]
    assert sorted(zahhar.get("weakAlias")) == ["AL-ZAHAR, Mahmoud", "ZAHAR, Mahmoud"]
    assert zahhar.get("nationality") == ["ps"]
    veb = entities["ofac-17015"]
    assert "VNESHECONOMBANK" in veb.get("previousName")
    assert "VEB" in veb.get("weakAlias")


def test_securities_make_a_company(cons: Read) -> None:
    _report, entities = cons
    telecom = entities["ofac-30882"]
    assert telecom.schema.name == "Company"
    assert "US1694261033" in telecom.get("isinCode")
    assert "CHA US" in telecom.get("ticker")
    assert "China Telecom Corp Ltd" in telecom.get("alias")
    sanction = entities["ofac-30882-sanction-cmic-eo13959"]
    assert any(p.startswith("Listing Date (CMIC)") for p in sanction.get("provisions"))


def test_directive_text_is_the_scope_of_each_sanction(cons: Read) -> None:
    _report, entities = cons
    sanction = entities["ofac-17018-sanction-ukraine-eo13662"]
    provisions = sanction.get("provisions")
    assert "Executive Order 13662 Directive Determination - Subject to Directive 1" in provisions
    assert "Listing Date (EO 14024 Directive 3): 24 Feb 2022" in provisions


def test_the_primary_file_path_reads_the_same_set(cons: Read) -> None:
    report, entities = read(CONS / "cons_prim.csv")
    assert report.targets == cons[0].targets
    assert set(entities) == set(cons[1])


def test_a_copy_without_join_files_reports_them_absent(tmp_path: Path) -> None:
    (tmp_path / "CONS_PRIM.CSV").write_bytes((CONS / "cons_prim.csv").read_bytes())
    report, entities = read(tmp_path)
    assert report.targets == 442
    absent = {w.field for w in report.warnings if w.message.startswith("not in the folder")}
    assert absent == {"cons_add.csv", "cons_alt.csv", "cons_comments.csv"}
    assert not any(e.schema.name == "Address" for e in entities.values())
