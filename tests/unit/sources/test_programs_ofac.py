"""The us-ofac program vocabulary (src/dignity/vocab/programs/us-ofac.yaml).

Every program tag found in the real OFAC files under ../shared/data (the three CSV sets and the
SDN.XML, advanced and enhanced XML excerpts) must be in the vocabulary, with its legal basis.
The tags are read straight from the files here, not through the readers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dignity.sources import xmlsafe
from dignity.sources.formats.ofac_legacy import programs
from dignity.vocab.programs import Program, load_programs, vocabulary

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared/data"
CSV_FILES = [
    DATA / "ofac/sdn-csv-2024-05-03/sdn.csv",
    DATA / "ofac/legacy-csv-2021-07-07/sdn.csv",
    DATA / "ofac/consolidated-non-sdn-csv-2025-12-19/cons_prim.csv",
]
XML_TAGS = [
    (DATA / "excerpts/ofac-sdn-xml/consolidated_excerpt.xml", "program"),
    (DATA / "excerpts/ofac-advanced-xml/cons_advanced_excerpt.xml", "SanctionsProgram"),
    (DATA / "excerpts/ofac-enhanced-xml/irgc_enhanced_excerpt.xml", "sanctionsProgram"),
]


def codes_in_files() -> set[str]:
    codes: set[str] = set()
    for path in CSV_FILES:
        with path.open(encoding="utf-8", newline="") as handle:
            codes |= {
                code for row in csv.reader(handle) if len(row) == 12 for code in programs(row[3])
            }
    for path, tag in XML_TAGS:
        root = xmlsafe.parse(path)
        for element in root.iter():
            if xmlsafe.local_name(element.tag) == tag and element.text:
                codes.add(element.text.strip())
    codes.discard("Unknown")  # the advanced XML's placeholder value, not a program
    return codes


def ofac(code: str) -> Program:
    program = vocabulary().get("us-ofac", code)
    assert program is not None, code
    return program


def test_every_program_in_the_files_is_in_the_vocabulary() -> None:
    codes = codes_in_files()
    assert len(codes) == 82
    missing = sorted(code for code in codes if vocabulary().get("us-ofac", code) is None)
    assert missing == []


def test_the_publisher_file_loads_with_its_authority() -> None:
    publisher = load_programs().publishers["us-ofac"]
    assert publisher.authority.startswith("United States Department of the Treasury")
    assert vocabulary().authority("us-ofac") == publisher.authority


@pytest.mark.parametrize(
    ("code", "basis", "regime", "themes"),
    [
        (
            "GLOMAG",
            ["Executive Order 13818", "Global Magnitsky Human Rights Accountability Act"],
            "global-magnitsky",
            {"human-rights", "corruption"},
        ),
        (
            "MAGNIT",
            ["Sergei Magnitsky Rule of Law Accountability Act of 2012"],
            "magnitsky-act",
            {"human-rights", "corruption"},
        ),
        ("SDGT", ["Executive Order 13224"], "counter-terrorism", {"terrorism"}),
        ("NPWMD", ["Executive Order 13382"], "non-proliferation", {"proliferation"}),
        (
            "SDNTK",
            ["Foreign Narcotics Kingpin Designation Act"],
            "counter-narcotics",
            {"narcotics"},
        ),
        ("CYBER2", ["Executive Order 13694", "Executive Order 13757"], "cyber", {"cyber"}),
        ("TCO", ["Executive Order 13581"], "transnational-crime", {"organised-crime"}),
        ("RUSSIA-EO14024", ["Executive Order 14024"], "russia", {"country"}),
        ("IRAN-HR", ["Executive Order 13553"], "iran", {"human-rights"}),
        ("VENEZUELA-EO13850", ["Executive Order 13850"], "venezuela", {"corruption"}),
        (
            "UHRPA",
            ["Uyghur Human Rights Policy Act of 2020"],
            "uyghur-human-rights",
            {"human-rights"},
        ),
    ],
)
def test_legal_basis_regime_and_themes(
    code: str, basis: list[str], regime: str, themes: set[str]
) -> None:
    program = ofac(code)
    for part in basis:
        assert any(part in entry for entry in program.legal_basis), (code, part)
    assert program.regime == regime
    assert themes <= set(program.themes)


def test_human_rights_designations_are_a_query() -> None:
    codes = {
        code
        for publisher, code in vocabulary().codes_with_theme("human-rights")
        if publisher == "us-ofac"
    }
    assert {"GLOMAG", "MAGNIT", "IRAN-HR", "HRIT-IR", "HRIT-SY", "UHRPA"} <= codes
    assert "SDGT" not in codes
    assert "NPWMD" not in codes
