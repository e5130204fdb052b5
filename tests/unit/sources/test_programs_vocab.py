"""The programme vocabulary (src/dignity/vocab/programs/*.yaml): every file loads, and every
programme or regime code found in the real UN, Australian and Canadian files in ../shared/data
has an entry. The codes are read from the files here, independently of the readers.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml
from lxml import etree

from dignity.sources.formats.ca_xml import regime_code
from dignity.vocab.programs import PROGRAMS_DIR, PublisherPrograms, load_programs, vocabulary

DATA = Path(__file__).resolve().parents[3].parent / "shared/data"
YAML_FILES = sorted(PROGRAMS_DIR.glob("*.yaml"))


def xml_texts(path: Path, tag: str) -> set[str]:
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False)).getroot()
    return {" ".join((e.text or "").split()) for e in root.iter(tag)} - {""}


def un_codes() -> set[str]:
    return xml_texts(DATA / "un/consolidated.xml", "UN_LIST_TYPE")


def ca_codes() -> set[str]:
    return {regime_code(country) for country in xml_texts(DATA / "canada/sema-lmes.xml", "Country")}


def au_codes() -> set[str]:
    path = DATA / "australia/Australian_Sanctions_Consolidated_List.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook["Consolidated List"]
        header = list(next(sheet.iter_rows(max_row=1, values_only=True)))
        column = header.index("Committees") + 1
        rows = sheet.iter_rows(min_row=2, min_col=column, max_col=column, values_only=True)
        return {" ".join(str(row[0]).split()) for row in rows if row[0]}
    finally:
        workbook.close()


@pytest.mark.parametrize("path", YAML_FILES, ids=[p.name for p in YAML_FILES])
def test_every_vocabulary_file_loads(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    publisher = PublisherPrograms.model_validate(data)
    assert publisher.programs


def test_the_whole_vocabulary_loads():
    vocab = load_programs()
    assert {"un-sc", "au-dfat", "ca-gac"} <= set(vocab.publishers)


@pytest.mark.parametrize(
    ("publisher", "codes", "count"),
    [("un-sc", un_codes, 14), ("au-dfat", au_codes, 29), ("ca-gac", ca_codes, 10)],
    ids=["un", "au", "ca"],
)
def test_every_code_in_the_real_files_is_in_the_vocabulary(publisher, codes, count):
    seen = codes()
    assert len(seen) == count
    known = set(vocabulary().publishers[publisher].programs)
    assert seen - known == set()


@pytest.mark.parametrize(
    ("publisher", "code", "themes"),
    [
        ("au-dfat", "Autonomous (Thematic - Human Rights)", {"human-rights"}),
        ("au-dfat", "Autonomous (Thematic \u2013 Corruption)", {"corruption"}),
        ("au-dfat", "Autonomous (Thematic - Cyber)", {"cyber"}),
        ("ca-gac", "JVCFOR", {"human-rights", "corruption"}),
        ("un-sc", "Al-Qaida", {"terrorism"}),
    ],
)
def test_thematic_regimes_are_flagged(publisher, code, themes):
    program = vocabulary().get(publisher, code)
    assert program is not None
    assert set(program.themes) == themes


def test_human_rights_query_finds_the_magnitsky_style_regimes():
    codes = vocabulary().codes_with_theme("human-rights")
    assert ("au-dfat", "Autonomous (Thematic - Human Rights)") in codes
    assert ("ca-gac", "JVCFOR") in codes
    # Country regimes are not human-rights regimes because some listings rest on that ground.
    assert ("au-dfat", "Autonomous (Russia)") not in codes
    assert not any(publisher == "un-sc" for publisher, _code in codes)
