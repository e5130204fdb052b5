"""OFAC's `Linked To: NAME` remarks as UnknownLink entities between entries of the same file.

Real data: the complete 2024-05-03 sdn.csv, the complete 2021-07 CSV set (whose sdn_comments.csv
continues some remarks, with 17 more links in it), the 2025 consolidated (non-SDN) CSV set and
the SDN.XML-schema excerpt, all verbatim under ../shared/data. The expected links are recounted
here from the raw files with `csv` and a regular expression, not with the reader: every
`Linked To:` remark must come out as an UnknownLink (when its name is the primary name of exactly
one entry of the file) or as a warning (none, or several), and no link may come from elsewhere.
The advanced-format test edits a copy of the real excerpt in tmp_path, and says so.
"""

from __future__ import annotations

import ast
import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.sources import xmlsafe
from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.report import ImportReport

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared/data"
SDN_2024 = DATA / "ofac/sdn-csv-2024-05-03"
SET_2021 = DATA / "ofac/legacy-csv-2021-07-07"
CONS_2025 = DATA / "ofac/consolidated-non-sdn-csv-2025-12-19"
SDN_XML = DATA / "excerpts/ofac-sdn-xml/consolidated_excerpt.xml"
ADVANCED = DATA / "excerpts/ofac-advanced-xml/cons_advanced_excerpt.xml"
LINKED = re.compile(r"Linked To: ([^;]*)")

Read = tuple[ImportReport, dict[str, StatementEntity]]


def read(path: Path, format_name: str) -> Read:
    reader = get_reader(format_name)
    report = ImportReport(format_name, str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, {str(e.id): e for e in entities}


@pytest.fixture(scope="module")
def sdn_2024() -> Read:
    return read(SDN_2024, "ofac-csv")


@pytest.fixture(scope="module")
def set_2021() -> Read:
    return read(SET_2021, "ofac-csv")


@pytest.fixture(scope="module")
def cons_2025() -> Read:
    return read(CONS_2025, "ofac-cons-csv")


@pytest.fixture(scope="module")
def sdn_xml() -> Read:
    return read(SDN_XML, "ofac-xml")


@dataclass(frozen=True)
class Remark:
    """One `Linked To:` remark as the raw file has it."""

    ent_num: str
    location: str  # file:line of its row, as the reader names it
    name: str  # the linked name, without the remark's closing full stop


def key(name: str) -> str:
    return " ".join(name.split()).rstrip(". ").casefold()


def csv_remarks(primary: Path, comments: Path | None) -> tuple[list[Remark], Counter[str]]:
    """Every `Linked To:` remark of a legacy CSV set (remarks continued in the comments file
    joined on), and how many entries have each primary name."""
    rest: dict[str, str] = {}
    if comments is not None:
        with comments.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) == 2:
                    rest[row[0]] = rest.get(row[0], "") + row[1]
    remarks: list[Remark] = []
    names: Counter[str] = Counter()
    with primary.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        start = 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if len(row) != 12:
                continue
            names[key(row[1])] += 1
            text = row[11] + rest.get(row[0], "")
            for name in LINKED.findall(text):
                remarks.append(Remark(row[0], f"{primary}:{line}", " ".join(name.split())))
    return remarks, names


def link_warnings(report: ImportReport, field: str) -> dict[tuple[str, str], str]:
    """The warnings about links, by location and the (keyed) name they quote."""
    found = {}
    for warning in report.warnings:
        if warning.field == field:
            quoted = warning.message.split(" is the primary name of ", 1)[0]
            found[(warning.location, key(ast.literal_eval(quoted)))] = warning.message
    return found


def links(entities: dict[str, StatementEntity]) -> dict[str, StatementEntity]:
    return {id_: e for id_, e in entities.items() if e.schema.name == "UnknownLink"}


def check_every_remark(
    read_: Read, remarks: list[Remark], names: Counter[str], field: str
) -> tuple[int, int]:
    """Each remark is its link or its warning, and nothing else is; returns (links, warnings)."""
    report, entities = read_
    made = links(entities)
    by_pair: dict[tuple[str, str], list[StatementEntity]] = {}
    for link in made.values():
        (linked,) = link.get("object")
        pair = (link.get("subject")[0], key(entities[linked].get("name")[0]))
        by_pair.setdefault(pair, []).append(link)
    warned = link_warnings(report, field)
    resolved = 0
    for remark in remarks:
        subject = entities[f"ofac-{remark.ent_num}"]
        count = names[key(remark.name)]
        if count == 1:
            resolved += 1
            (link,) = by_pair[(str(subject.id), key(remark.name))]
            assert link.get("role") == ["Linked To"]
            assert (
                link.id == f"{subject.id}-linked-to-{link.get('object')[0].removeprefix('ofac-')}"
            )
        else:
            message = warned[(remark.location, key(remark.name))]
            assert ("no entry" if count == 0 else f"{count} entries") in message
            assert any(f"Linked To: {remark.name}" in note for note in subject.get("notes"))
    assert len(made) == resolved
    assert len(warned) == len(remarks) - resolved
    assert report.unmapped[field] == len(warned)
    return resolved, len(warned)


def test_every_linked_to_remark_of_the_2024_file(sdn_2024: Read) -> None:
    remarks, names = csv_remarks(SDN_2024 / "sdn.csv", None)
    assert len(remarks) == 6_375
    assert check_every_remark(sdn_2024, remarks, names, "Remarks:Linked To") == (6_364, 11)


def test_every_linked_to_remark_of_the_2021_set(set_2021: Read) -> None:
    remarks, names = csv_remarks(SET_2021 / "sdn.csv", SET_2021 / "sdn_comments.csv")
    assert len(remarks) == 3_408  # 17 of them in the continued remarks of sdn_comments.csv
    assert check_every_remark(set_2021, remarks, names, "Remarks:Linked To") == (3_397, 11)


def test_every_linked_to_remark_of_the_consolidated_set(cons_2025: Read) -> None:
    remarks, names = csv_remarks(CONS_2025 / "cons_prim.csv", CONS_2025 / "cons_comments.csv")
    assert len(remarks) == 283
    assert check_every_remark(cons_2025, remarks, names, "Remarks:Linked To") == (282, 1)


def test_a_link_to_an_entry_further_down_the_file(sdn_2024: Read) -> None:
    """NASRALLAH (2686) is linked to HIZBALLAH (4697), which comes later in the file; the remark
    writes the name with a full stop, the entry without."""
    _report, entities = sdn_2024
    link = entities["ofac-2686-linked-to-4697"]
    assert link.schema.name == "UnknownLink"
    assert link.get("subject") == ["ofac-2686"]
    assert link.get("object") == ["ofac-4697"]
    assert link.get("role") == ["Linked To"]
    assert link.get("sourceUrl") == [
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV"
    ]
    assert entities["ofac-2686"].get("name") == ["NASRALLAH, Hasan"]
    assert entities["ofac-4697"].get("name") == ["HIZBALLAH"]
    kony = entities["ofac-11018-linked-to-19100"]
    assert entities[kony.get("subject")[0]].get("name") == ["KONY, Joseph"]
    assert entities[kony.get("object")[0]].get("name") == ["LORD'S RESISTANCE ARMY"]
    # A primary name that ends in a full stop of its own, quoted mid-remark with it.
    edery = entities["ofac-12991-linked-to-16786"]
    assert entities[edery.get("object")[0]].get("name") == ["BIESTRA S.A."]
    linked_to_hizballah = {
        e.get("subject")[0] for e in links(entities).values() if e.get("object") == ["ofac-4697"]
    }
    assert len(linked_to_hizballah) == 82
    assert {"ofac-2686", "ofac-4632"} <= linked_to_hizballah


def test_names_of_no_entry_or_of_several_are_warnings(sdn_2024: Read) -> None:
    report, entities = sdn_2024
    warned = link_warnings(report, "Remarks:Linked To")
    rosneft = warned[
        (f"{SDN_2024 / 'sdn.csv'}:3675", "open joint-stock company rosneft oil company")
    ]
    assert rosneft == (
        "'OPEN JOINT-STOCK COMPANY ROSNEFT OIL COMPANY' is the primary name of no entry in the "
        "file; the link is kept in notes only"
    )
    assert entities["ofac-18299"].get("name") == ["ROSNEFT TRADING S.A."]
    # Two entries are called MINISTRY OF STATE SECURITY (North Korea's and Russia's).
    assert entities["ofac-20129"].get("name") == entities["ofac-25437"].get("name")
    ministry = warned[(f"{SDN_2024 / 'sdn.csv'}:4146", "ministry of state security")]
    assert "2 entries (20129, 25437)" in ministry
    assert not any(e.get("subject") == ["ofac-18299"] for e in links(entities).values())


def test_a_link_in_a_continued_remark(set_2021: Read) -> None:
    """CIFUENTES VILLA's remark is cut at 1,000 characters in the middle of `PROMO RAIZ S.A.S.`
    and continued in sdn_comments.csv; the joined name resolves."""
    _report, entities = set_2021
    link = entities["ofac-12300-linked-to-12396"]
    assert entities[link.get("subject")[0]].get("name") == ["CIFUENTES VILLA, Jorge Milton"]
    assert entities[link.get("object")[0]].get("name") == ["PROMO RAIZ S.A.S."]
    assert entities["ofac-28263-linked-to-27307"].get("role") == ["Linked To"]
    assert entities["ofac-27307"].get("name") == ["LAZARUS GROUP"]


def test_sdn_xml_links_in_brackets(sdn_xml: Read) -> None:
    report, entities = sdn_xml
    assert SDN_XML.read_text(encoding="utf-8").count("(Linked To: ") == 8
    made = links(entities)
    assert sorted(made) == ["ofac-18716-linked-to-17018", "ofac-18725-linked-to-17013"]
    assert entities["ofac-17013"].get("name") == ["VTB BANK PUBLIC JOINT STOCK COMPANY"]
    assert entities["ofac-17018"].get("name") == ["PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"]
    warned = link_warnings(report, "remarks:Linked To")
    assert len(warned) == 6
    assert "'HAMAS' is the primary name of no entry" in warned[(f"{SDN_XML} record 9647", "hamas")]
    assert entities["ofac-9647"].get("notes") == ["(Linked To: HAMAS)"]


def test_advanced_linked_to_relationships_get_the_csv_ids(tmp_path: Path) -> None:
    """The real excerpt's ten relationships are all "Owned or Controlled By" (read as Ownership);
    this copy renames that relation type to "Linked To" to show that such a relationship gets
    the id the CSV gives the same link."""
    root = xmlsafe.parse(ADVANCED)
    ns = "{http://www.un.org/sanctions/1.0}"
    fixed_ref = {
        profile.get("ID"): party.get("FixedRef")
        for party in root.iter(f"{ns}DistinctParty")
        for profile in party.iter(f"{ns}Profile")
    }
    pairs = {
        (fixed_ref[r.get("From-ProfileID")], fixed_ref[r.get("To-ProfileID")])
        for r in root.iter(f"{ns}ProfileRelationship")
    }
    assert len(pairs) == 10
    original = ADVANCED.read_text(encoding="utf-8")
    renamed = original.replace(
        '<RelationType ID="15003" Symmetrical="false">Owned or Controlled By</RelationType>',
        '<RelationType ID="15003" Symmetrical="false">Linked To</RelationType>',
    )
    assert renamed != original
    copy = tmp_path / "cons_advanced_linked.xml"
    copy.write_text(renamed, encoding="utf-8")
    _report, entities = read(copy, "ofac-advanced")
    made = links(entities)
    assert sorted(made) == sorted(f"ofac-{a}-linked-to-{b}" for a, b in pairs)
    for a, b in pairs:
        link = made[f"ofac-{a}-linked-to-{b}"]
        assert (link.get("subject"), link.get("object")) == ([f"ofac-{a}"], [f"ofac-{b}"])
        assert link.get("role") == ["Linked To"]
    # The same pairs are "Linked To" remarks in the consolidated CSV (e.g. ORENBURGNEFT, 18267,
    # to ROSNEFT, 17022): the advanced format names the kind of link the CSV leaves unnamed.
    assert "ofac-18267-linked-to-17022" in made
