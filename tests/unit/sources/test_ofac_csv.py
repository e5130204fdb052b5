"""`ofac-csv`: OFAC's legacy SDN CSV set.

Real data, read once per module: the complete 2024-05-03 sdn.csv (primary file only) and the
complete, mutually consistent 2021-07 set (sdn + add + alt + sdn_comments), both verbatim under
../shared/data/ofac (see its PROVENANCE.md). Expected counts are the publisher's, recounted here
from the files with the `csv` module. Hostile inputs are written into tmp_path by each test.
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.exc import InvalidInput
from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.formats.ofac_common import ofac_dates
from dignity.sources.formats.ofac_legacy import programs
from dignity.sources.formats.ofac_remarks import read_fragment, split_remarks
from dignity.sources.report import ImportReport

ROOT = Path(__file__).resolve().parents[3]
OFAC = ROOT.parent / "shared/data/ofac"
SDN_2024 = OFAC / "sdn-csv-2024-05-03"
SET_2021 = OFAC / "legacy-csv-2021-07-07"
TARGET_SCHEMATA = {"Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane"}
NAME_PROPS = ("name", "alias", "weakAlias", "previousName")

Read = tuple[ImportReport, dict[str, StatementEntity]]


def read(path: Path, format_name: str = "ofac-csv") -> tuple[ImportReport, list[StatementEntity]]:
    reader = get_reader(format_name)
    report = ImportReport(format_name, str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, entities


def rows(path: Path, width: int) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle) if len(row) == width]


def empty(value: str) -> bool:
    return value.strip() in ("", "-0-")


@pytest.fixture(scope="module")
def sdn_2024() -> Read:
    report, entities = read(SDN_2024)
    return report, {str(e.id): e for e in entities}


@pytest.fixture(scope="module")
def set_2021() -> Read:
    report, entities = read(SET_2021)
    return report, {str(e.id): e for e in entities}


def targets(entities: dict[str, StatementEntity]) -> list[StatementEntity]:
    return [e for e in entities.values() if e.schema.name in TARGET_SCHEMATA]


def linked(entities: dict[str, StatementEntity], prop: str, ent_num: str) -> list[StatementEntity]:
    holder = f"ofac-{ent_num}"
    return [e for e in entities.values() if holder in e.get(prop, quiet=True)]


# --- counts agree with the publisher --------------------------------------------------------


def test_2024_targets_are_the_rows_of_sdn_csv(sdn_2024: Read) -> None:
    report, entities = sdn_2024
    file_rows = rows(SDN_2024 / "sdn.csv", 12)
    assert len(file_rows) == 14_965
    assert report.targets == 14_965
    assert len(targets(entities)) == 14_965


def test_2024_targets_by_type_match_the_publisher(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    by_schema = Counter(e.schema.name for e in targets(entities))
    assert by_schema["Person"] == 6_854
    assert by_schema["Organization"] + by_schema["Company"] == 6_884
    assert by_schema["LegalEntity"] == 0
    assert by_schema["Vessel"] == 851
    assert by_schema["Airplane"] == 376


def test_2024_glomag_targets(sdn_2024: Read) -> None:
    report, entities = sdn_2024
    glomag = [
        e
        for e in entities.values()
        if e.schema.name == "Sanction" and "GLOMAG" in e.get("programId")
    ]
    assert report.programs["GLOMAG"] == 694
    assert len(glomag) == 694
    assert {s.first("program") for s in glomag} == {"Global Magnitsky Sanctions"}


def test_2024_programs_are_counted_from_the_bracket_field(sdn_2024: Read) -> None:
    report, entities = sdn_2024
    expected = Counter(code for row in rows(SDN_2024 / "sdn.csv", 12) for code in programs(row[3]))
    assert report.programs == expected
    assert sum(1 for e in entities.values() if e.schema.name == "Sanction") == expected.total()


def test_2021_set_targets_and_every_join_resolves(set_2021: Read) -> None:
    report, _entities = set_2021
    assert report.targets == 8_976
    assert len(rows(SET_2021 / "add.csv", 6)) == 13_837
    assert len(rows(SET_2021 / "alt.csv", 5)) == 11_910
    assert len(rows(SET_2021 / "sdn_comments.csv", 2)) == 5
    assert [w for w in report.warnings if w.field == "ent_num"] == []
    assert [key for key in report.unmapped if key.endswith(":unresolved")] == []
    assert not any(w.field in ("add.csv", "alt.csv", "sdn_comments.csv") for w in report.warnings)


def test_2021_every_address_row_is_on_its_target(set_2021: Read) -> None:
    _report, entities = set_2021
    add_rows = rows(SET_2021 / "add.csv", 6)
    # rows with nothing in them, or only `undetermined` for a country, carry no address
    blank = [r for r in add_rows if all(empty(v) or v == "undetermined" for v in r[2:6])]
    with_content = [r for r in add_rows if r not in blank]
    assert len(blank) == 2_397 + 2
    addresses = [e for e in entities.values() if e.schema.name == "Address"]
    assert len(addresses) == len(with_content) == 11_438
    for ent_num, add_num, *_rest in with_content:
        address_id = f"ofac-{ent_num}-address-{add_num}"
        assert address_id in entities
        assert address_id in entities[f"ofac-{ent_num}"].get("addressEntity")


def test_2021_every_alias_row_is_on_its_target_with_its_type(set_2021: Read) -> None:
    _report, entities = set_2021
    prop_by_type = {"aka": "alias", "fka": "previousName", "nka": "alias"}
    for ent_num, _alt_num, alt_type, alt_name, _remarks in rows(SET_2021 / "alt.csv", 5):
        target = entities[f"ofac-{ent_num}"]
        prop = target.schema.get(prop_by_type[alt_type.strip()])
        assert prop is not None
        name = prop.type.clean(alt_name)  # as FtM keeps it: spaces collapsed, quotes trimmed
        assert name in target.get(prop), (ent_num, alt_name)


def test_2021_comments_complete_the_cut_remarks(set_2021: Read) -> None:
    _report, entities = set_2021
    for ent_num, comment in rows(SET_2021 / "sdn_comments.csv", 2):
        notes = entities[f"ofac-{ent_num}"].first("notes") or ""
        assert len(notes) > 1000
        assert notes.endswith(comment.strip())
    # 28263: the weak alias cut at 1,000 characters ('snowsjo' + 'hn') is whole again
    assert "snowsjohn" in entities["ofac-28263"].get("weakAlias")


# --- real entries named in the PROVENANCE -----------------------------------------------------


def test_putin(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    putin = entities["ofac-35096"]
    assert putin.schema.name == "Person"
    assert putin.get("name") == ["PUTIN, Vladimir Vladimirovich"]
    assert putin.get("lastName") == ["PUTIN"]
    assert putin.get("position") == ["President of the Russian Federation"]
    assert putin.get("birthDate") == ["1952-10-07"]
    assert putin.get("birthPlace") == ["Leningrad, Russia"]
    assert putin.get("nationality") == ["ru"]
    assert putin.get("citizenship") == ["ru"]
    assert putin.get("gender") == ["male"]
    sanction = entities["ofac-35096-sanction-russia-eo14024"]
    assert sanction.get("entity") == ["ofac-35096"]
    assert sanction.get("authority") == ["Office of Foreign Assets Control"]
    assert sanction.get("authorityId") == ["35096"]
    assert sanction.get("program") == ["Russian Harmful Foreign Activities Sanctions"]
    assert sanction.get("publisher") == ["US Treasury OFAC"]
    assert sanction.first("sourceUrl", quiet=True).endswith("/SDN.CSV")


@pytest.mark.parametrize("read_set", ["sdn_2024", "set_2021"])
def test_maduro_has_two_programs_and_his_cedula(
    read_set: str, request: pytest.FixtureRequest
) -> None:
    _report, entities = request.getfixturevalue(read_set)
    maduro = entities["ofac-22790"]
    assert maduro.get("name") == ["MADURO MOROS, Nicolas"]
    assert {s.id for s in linked(entities, "entity", "22790")} == {
        "ofac-22790-sanction-venezuela",
        "ofac-22790-sanction-iran-con-arms-eo",
    }
    assert maduro.get("birthDate") == ["1962-11-23"]
    assert maduro.get("citizenship") == ["ve"]
    assert maduro.get("idNumber") == ["5892464"]
    (cedula,) = linked(entities, "holder", "22790")
    assert cedula.schema.name == "Identification"
    assert cedula.get("type") == ["Cedula No."]
    assert cedula.get("country") == ["ve"]


def test_kadyrov_2024_programs(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    kadyrov = entities["ofac-23343"]
    assert kadyrov.get("name") == ["KADYROV, Ramzan Akhmatovich"]
    programs = {s.first("programId") for s in linked(entities, "entity", "23343")}
    assert programs == {"GLOMAG", "MAGNIT", "RUSSIA-EO14024"}
    assert kadyrov.get("birthDate") == ["1976-10-05"]
    assert entities["ofac-23343-sanction-magnit"].get("program") == [
        "Sergei Magnitsky Rule of Law Accountability Act Sanctions"
    ]


def test_kadyrov_2021_strong_aliases_and_address(set_2021: Read) -> None:
    _report, entities = set_2021
    kadyrov = entities["ofac-23343"]
    programs = {s.first("programId") for s in linked(entities, "entity", "23343")}
    assert programs == {"GLOMAG", "MAGNIT"}
    assert sorted(kadyrov.get("alias")) == ["KADYROV, Ramzan", "KADYROW, Ramzan Achmatowisch"]
    assert kadyrov.get("weakAlias") == []
    assert entities["ofac-23343-address-46402"].get("country") == ["ru"]


@pytest.mark.parametrize(
    ("read_set", "strong", "weak"),
    [("sdn_2024", [], ["BNC"]), ("set_2021", ["NATIONAL BANK OF CUBA"], ["BNC"])],
)
def test_alias_strength(
    read_set: str, strong: list[str], weak: list[str], request: pytest.FixtureRequest
) -> None:
    """Strong a.k.a.s are the rows of alt.csv; the quoted ones in Remarks are OFAC's weak ones."""
    _report, entities = request.getfixturevalue(read_set)
    bank = entities["ofac-306"]
    assert bank.get("alias") == strong
    assert bank.get("weakAlias") == weak


def test_passports_parsed_from_remarks(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    serhan = entities["ofac-18932"]
    assert sorted(serhan.get("passportNumber")) == ["RL 0962973", "RL 3203273"]
    passports = {p.first("number"): p for p in linked(entities, "holder", "18932")}
    assert passports["RL 0962973"].schema.name == "Passport"
    assert passports["RL 0962973"].get("country") == ["lb"]
    assert passports["RL 0962973"].get("endDate") == ["2012-02-08"]
    assert passports["RL 3203273"].get("endDate") == ["2020-05-20"]
    assert entities["ofac-45912"].get("passportNumber") == ["756769025"]


def test_vessel_columns_and_remarks(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    vessel = entities["ofac-15036"]
    assert vessel.schema.name == "Vessel"
    assert vessel.get("callSign") == ["T2EU4"]
    assert vessel.get("type") == ["Crude/Oil Products Tanker"]
    assert vessel.get("tonnage") == ["99144"]
    assert vessel.get("grossRegisteredTonnage") == ["56068"]
    assert vessel.get("flag") == ["ir"]
    assert sorted(vessel.get("pastFlags")) == ["mt", "tv", "tz"]
    assert vessel.get("imoNumber") == ["IMO9187629"]
    assert vessel.get("mmsi") == ["572469210"]
    assert vessel.get("previousName") == ["ALPHA"]
    assert "Vessel owner: Samir de Navegacion S.A." in entities["ofac-4238"].get("notes")


def test_aircraft_details_from_remarks(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    plane = entities["ofac-15431"]
    assert plane.schema.name == "Airplane"
    assert plane.get("name") == ["EP-GOM"]
    assert sorted(plane.get("serialNumber")) == ["1023409321", "8401"]
    assert plane.get("buildDate") == ["1992"]
    assert plane.get("model") == ["IL76-TD"]


# --- nothing dropped silently ----------------------------------------------------------------


def test_2024_every_remark_is_kept_in_notes(sdn_2024: Read) -> None:
    _report, entities = sdn_2024
    for row in rows(SDN_2024 / "sdn.csv", 12):
        if not empty(row[11]):
            assert " ".join(row[11].split()) in entities[f"ofac-{row[0]}"].get("notes")


def test_2024_unmapped_fields_are_only_remark_fragments(sdn_2024: Read) -> None:
    report, _entities = sdn_2024
    # The 11 of 6,375 "Linked To" remarks that name no entry, or several (test_ofac_links.py).
    assert report.unmapped["Remarks:Linked To"] == 11
    assert all(key.startswith("Remarks:") for key in report.unmapped)


def test_2024_remarks_cut_at_1000_characters_are_reported(sdn_2024: Read) -> None:
    report, _entities = sdn_2024
    cut = [
        row[0]
        for row in rows(SDN_2024 / "sdn.csv", 12)
        if len(row[11]) >= 1000 and not row[11].strip().endswith(".")
    ]
    assert len(cut) == 17
    assert report.unmapped["Remarks:truncated"] == len(cut)
    warned = [w for w in report.warnings if w.field == "Remarks" and "1,000" in w.message]
    assert len(warned) == len(cut)


def test_2024_absent_join_files_are_reported(sdn_2024: Read) -> None:
    report, _entities = sdn_2024
    absent = {w.field for w in report.warnings if w.message.startswith("not in the folder")}
    assert absent == {"add.csv", "alt.csv", "sdn_comments.csv"}


def test_every_reference_resolves(set_2021: Read) -> None:
    _report, entities = set_2021
    for entity in entities.values():
        for prop in ("entity", "holder", "addressEntity"):
            for ref in entity.get(prop, quiet=True):
                assert ref in entities, (entity.id, prop, ref)


# --- the notation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("10 Dec 1948", ["1948-12-10"]),
        ("1946", ["1946"]),
        ("Sep 1938", ["1938-09"]),
        ("circa 1951", ["1951"]),
        ("circa 07 Jul 1966", ["1966"]),
        ("circa 1979-1982", ["1979", "1980", "1981", "1982"]),
        ("1951 to 1953", ["1951", "1952", "1953"]),
        ("01 Jan 1961 to 31 Dec 1962", ["1961", "1962"]),
        ("Mar 1962 to Feb 1963", ["1962-03", "1963-02"]),
        ("31 Feb 1960", []),
        ("by Alien's Office", []),
    ],
)
def test_ofac_dates(text: str, dates: list[str]) -> None:
    assert ofac_dates(text) == dates


@pytest.mark.parametrize(
    ("field", "codes"),
    [
        ("CUBA", ["CUBA"]),
        ("VENEZUELA] [IRAN-CON-ARMS-EO", ["VENEZUELA", "IRAN-CON-ARMS-EO"]),
        ("SDGT] [SYRIA] [IRGC] [IFSR", ["SDGT", "SYRIA", "IRGC", "IFSR"]),
        ("CAATSA - RUSSIA", ["CAATSA - RUSSIA"]),
        ("-0- ", []),
    ],
)
def test_program_field(field: str, codes: list[str]) -> None:
    assert programs(field) == codes


@pytest.mark.parametrize(
    ("fragment", "label", "value", "kind"),
    [
        ("DOB 07 Oct 1952", "DOB", "07 Oct 1952", "date"),
        ("alt. POB Beirut, Lebanon", "POB", "Beirut, Lebanon", "text"),
        (
            "Passport RL 0962973 (Lebanon) expires 08 Feb 2012",
            "Passport",
            "RL 0962973 (Lebanon) expires 08 Feb 2012",
            "doc",
        ),
        ("Cedula No. 5892464 (Venezuela)", "Cedula No.", "5892464 (Venezuela)", "doc"),
        (
            "Organization Type: Passenger air transport",
            "Organization Type",
            "Passenger air transport",
            "text",
        ),
        (
            "Executive Order 13662 Directive Determination - Subject to Directive 1",
            "Executive Order 13662 Directive Determination",
            "Subject to Directive 1",
            "provision",
        ),
        (
            "Listing Date (EO 14024 Directive 2): 24 Feb 2022",
            "Listing Date",
            "(EO 14024 Directive 2): 24 Feb 2022",
            "provision",
        ),
        (
            "Digital Currency Address - XBT 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h",
            "Digital Currency Address",
            "XBT 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h",
            "wallet",
        ),
        ("Linked To: HIZBALLAH", "Linked To", "HIZBALLAH", "link"),
        ("Kenyan ID No. 12773667", "Kenyan ID No.", "12773667", "doc"),
        ("Pasaporte Especial No. 12345", "Pasaporte Especial No.", "12345", "doc"),
    ],
)
def test_remark_fragments(fragment: str, label: str, value: str, kind: str) -> None:
    read = read_fragment(fragment)
    assert (read.label, read.value) == (label, value)
    assert read.spec is not None
    assert read.spec.kind == kind


@pytest.mark.parametrize(
    ("fragment", "prop", "name"),
    [
        ("a.k.a. 'BNC'", "weakAlias", "BNC"),
        ("f.k.a. 'ANA I'", "previousName", "ANA I"),
        ("alt. a.k.a. 'AL-ZAHAR, Mahmoud'", "weakAlias", "AL-ZAHAR, Mahmoud"),
    ],
)
def test_quoted_names_in_remarks(fragment: str, prop: str, name: str) -> None:
    read = read_fragment(fragment)
    assert (read.name_prop, read.value) == (prop, name)


def test_remarks_split_on_semicolons() -> None:
    text = "DOB 1962; nationality possibly Palestinian;arrested 23 Apr 2002."
    assert split_remarks(text) == [
        "DOB 1962",
        "nationality possibly Palestinian",
        "arrested 23 Apr 2002",
    ]


# --- hostile and broken input (written into tmp_path) -----------------------------------------

GOOD_ROWS = (
    b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    b'306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    b"\"a.k.a. 'BNC'.\"\r\n"
)


def write(tmp_path: Path, content: bytes, name: str = "sdn.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_good_rows_in_tmp_path_read(tmp_path: Path) -> None:
    report, _entities = read(write(tmp_path, GOOD_ROWS + b"\x1a"))
    assert report.targets == 2
    assert [w for w in report.warnings if w.field == "end-of-file"] == []


def test_truncated_row_is_refused_naming_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ROWS + b'424,"BOUTIQUE LA MAISON",-0- ,"CUBA"')
    with pytest.raises(InvalidInput) as caught:
        read(path)
    (error,) = caught.value.errors
    assert error.location == f"{path}:3"
    assert error.field == "Title"
    assert str(path) in str(caught.value)


def test_quote_left_open_at_the_end_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ROWS + b'424,"BOUTIQUE LA MAISON,-0- ,"CUBA",-0- \r\n')
    with pytest.raises(InvalidInput) as caught:
        read(path)
    assert caught.value.errors[0].location == f"{path}:3"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_files_are_refused(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, GOOD_ROWS.decode("ascii").encode(encoding))
    with pytest.raises(InvalidInput) as caught:
        read(path)
    (error,) = caught.value.errors
    assert error.field == "encoding"
    assert error.location == f"{path}:1"


def test_a_file_without_the_end_mark_is_refused_as_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ROWS)
    with pytest.raises(InvalidInput) as caught:
        read(path)
    (error,) = caught.value.errors
    assert (error.location, error.field) == (f"{path}:2", "end-of-file")


def test_bytes_that_are_not_utf8_are_read_as_windows_1252_with_a_warning(tmp_path: Path) -> None:
    line = '99,"CAF\xc9 ROYAL",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    report, entities = read(write(tmp_path, GOOD_ROWS + line.encode("cp1252") + b"\x1a"))
    assert {str(e.id): e for e in entities}["ofac-99"].get("name") == ["CAF\xc9 ROYAL"]
    assert [w.location for w in report.warnings if w.field == "encoding"] == [
        f"{tmp_path / 'sdn.csv'}:3"
    ]


def test_a_join_row_without_its_entry_is_warned_and_counted(tmp_path: Path) -> None:
    write(tmp_path, GOOD_ROWS + b"\x1a")
    write(tmp_path, b'999,12,"aka","NOBODY",-0- \r\n', "alt.csv")
    report, _entities = read(tmp_path)
    (warning,) = [w for w in report.warnings if w.field == "ent_num"]
    assert warning.location == f"{tmp_path / 'alt.csv'}:1"
    assert report.unmapped["alt.csv:unresolved"] == 1


def test_a_bom_marked_utf8_file_reads(tmp_path: Path) -> None:
    report, _entities = read(write(tmp_path, codecs.BOM_UTF8 + GOOD_ROWS + b"\x1a"))
    assert report.targets == 2


def test_the_reader_streams(tmp_path: Path) -> None:
    """The first entry comes out before a broken line further down is read."""
    path = write(tmp_path, GOOD_ROWS + b'424,"BOUTIQUE LA MAISON",-0- ,"CUBA"')
    reader = get_reader("ofac-csv")
    report = ImportReport("ofac-csv", str(path))
    entities = reader.read(path, report, list_dataset(reader.DEFAULT_LIST))
    assert next(iter(entities)).id == "ofac-36"
    with pytest.raises(InvalidInput):
        list(entities)
