"""`uk-csv`: the OFSI consolidated list CSV.

The real-data tests read the verbatim 2018 excerpt in ../shared/data (26 targets in 76 rows, the
pre-2022 29-column Windows-1252 layout). The 2022 layout has no real file here: its test writes a
small file to the header learnt from public parsers, and says so. Hostile inputs are written into
tmp_path by each test.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.exc import InvalidInput
from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.formats.eu_uk_common import document_number, split_enumerated, uk_date
from dignity.sources.formats.uk_csv_columns import COLUMNS_2018, COLUMNS_2022
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary

ROOT = Path(__file__).resolve().parents[3]
EXCERPT = (
    ROOT.parent / "shared/data/excerpts/uk-ofsi-conlist-csv/sanctionsconlist_2018-04-13_excerpt.csv"
)
NAME_PROPS = ("name", "alias", "previousName", "weakAlias")


def read(path: Path) -> tuple[ImportReport, list[StatementEntity]]:
    reader = get_reader("uk-csv")
    report = ImportReport("uk-csv", str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, entities


def excerpt_rows() -> list[dict[str, str]]:
    with EXCERPT.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle))
    return [dict(zip(rows[1], row, strict=True)) for row in rows[2:]]


@pytest.fixture(scope="module")
def excerpt() -> tuple[ImportReport, dict[str, StatementEntity]]:
    report, entities = read(EXCERPT)
    return report, {entity.id: entity for entity in entities if entity.id}


def target(entities: dict[str, StatementEntity], group_id: str) -> StatementEntity:
    return entities[f"uk-ofsi-{group_id}"]


def sanctions_of(entities: dict[str, StatementEntity], group_id: str) -> list[StatementEntity]:
    holder = f"uk-ofsi-{group_id}"
    return [
        e for e in entities.values() if e.schema.name == "Sanction" and holder in e.get("entity")
    ]


def documents_of(entities: dict[str, StatementEntity], group_id: str) -> list[StatementEntity]:
    holder = f"uk-ofsi-{group_id}"
    return [e for e in entities.values() if holder in e.get("holder", quiet=True)]


# --- real data: the 2018 excerpt --------------------------------------------------------------


def test_excerpt_targets_are_the_group_ids_of_its_rows(excerpt):
    report, _entities = excerpt
    rows = excerpt_rows()
    assert len(rows) == 76
    assert len({row["Group ID"] for row in rows}) == 26
    assert report.targets == 26
    assert report.publisher_date == "2018-04-13"


def test_excerpt_imports_without_warnings_or_unmapped_fields(excerpt):
    report, _entities = excerpt
    assert report.warnings == []
    assert dict(report.unmapped) == {}


def test_excerpt_entities_by_schema(excerpt):
    report, _entities = excerpt
    rows = excerpt_rows()
    types = {row["Group ID"]: row["Group Type"] for row in rows}
    assert report.schemata["Person"] == Counter(types.values())["Individual"] == 18
    assert report.schemata["Organization"] == Counter(types.values())["Entity"] == 8
    regimes = {(row["Group ID"], row["Regime"].strip()) for row in rows}
    assert report.schemata["Sanction"] == len(regimes) == 27


def test_every_row_name_reaches_its_target(excerpt):
    _report, entities = excerpt
    for row in excerpt_rows():
        parts = [row[f"Name {n}"] for n in range(1, 6)] + [row["Name 6"]]
        name = " ".join(" ".join(part for part in parts if part.strip()).split())
        name = name.replace('""', '"')
        entity = target(entities, row["Group ID"])
        carried = {value for prop in NAME_PROPS for value in entity.get(prop, quiet=True)}
        assert name in carried, (row["Group ID"], name)


@pytest.mark.parametrize(
    ("group_id", "schema", "names", "aliases", "previous"),
    [
        ("11635", "Person", {"Aisha Muammar Muhammed Abu Minyar QADHAFI"},
         {"Aisha Muhammed ABDUL SALAM"}, set()),
        ("6942", "Person", {"Sayed Mohammad Azim AGHA"},
         {"Sayed Mohammad Azim Agha AGHA", "Agha SAHEB"}, set()),
        ("10894", "Organization", {"TANCHON COMMERCIAL BANK"}, set(),
         {"CHANGGWANG CREDIT BANK", "KOREA CHANGGWANG CREDIT BANK"}),
        ("7883", "Organization", {"DJAMAT HOUMAT DAAWA SALAFIA (DHDS)"},
         {"DJAMAAT HOUMAH AL-DAWAH AL-SALAFIAT"}, {"KATIBAT EL AHOUEL"}),
        ("13524", "Organization", {'OAO "VO TECHNOPROMEXPORT"'},
         {'OAO "VO TPE"',
          'OPEN JOINT STOCK COMPANY "FOREIGN ECONOMIC ASSOCIATION" "TECHNOPROMEXPORT'}, set()),
        ("8905", "Person", {"Dzmitry Valerievich PAULICHENKA"},
         {"Dmitri Valerievich PAVLICHENKO", "Dmitriy Valeriyevich PAVLICHENKO"}, set()),
    ],
)  # fmt: skip
def test_names_and_aliases_per_group(excerpt, group_id, schema, names, aliases, previous):
    _report, entities = excerpt
    entity = target(entities, group_id)
    assert entity.schema.name == schema
    assert set(entity.get("name")) == names
    assert set(entity.get("alias")) == aliases
    assert set(entity.get("previousName")) == previous


@pytest.mark.parametrize(
    ("group_id", "dates"),
    [
        ("11635", {"1978"}),
        ("6942", {"1966", "1969"}),
        ("12998", {"1948-12-16", "1946-10-14"}),
        ("13192", {"1942-03-21", "1945-03-21", "1946-03-21", "1947-03-21"}),
        ("13611", set()),
    ],
)
def test_dates_of_birth_keep_their_precision(excerpt, group_id, dates):
    _report, entities = excerpt
    assert set(target(entities, group_id).get("birthDate")) == dates


@pytest.mark.parametrize(
    ("group_id", "passports", "identity_numbers"),
    [
        ("11635", {"428720", "215215"}, set()),
        ("12998", {"D00002264"}, {"M4800002143743"}),
        ("13137", {"05AT521433"}, {"050456101445", "0205561020089"}),
        ("12276", {"9003213", "6620505"}, set()),
        ("13310", {"0608109"}, set()),
        ("8838", set(), {"4302"}),
    ],
)
def test_identity_documents(excerpt, group_id, passports, identity_numbers):
    _report, entities = excerpt
    entity = target(entities, group_id)
    assert set(entity.get("passportNumber")) == passports
    assert set(entity.get("idNumber")) == identity_numbers
    documents = documents_of(entities, group_id)
    by_schema = {
        schema: {
            number for doc in documents if doc.schema.name == schema for number in doc.get("number")
        }
        for schema in ("Passport", "Identification")
    }
    assert by_schema == {"Passport": passports, "Identification": identity_numbers}


def test_document_keeps_the_publishers_text(excerpt):
    _report, entities = excerpt
    (passport,) = [doc for doc in documents_of(entities, "12998") if doc.schema.name == "Passport"]
    assert passport.get("summary")[0].startswith("Passport no: D00002264, issued on 11 June 2013")


def test_regimes_become_sanctions_with_vocabulary_titles(excerpt):
    report, entities = excerpt
    expected = Counter(
        regime
        for _group, regime in {(row["Group ID"], row["Regime"].strip()) for row in excerpt_rows()}
    )
    assert dict(report.programs) == dict(expected)
    assert {s.get("programId")[0] for s in sanctions_of(entities, "11241")} == {
        "Iran (nuclear proliferation)",
        "Syria",
    }
    (libya,) = sanctions_of(entities, "11635")
    assert libya.get("program") == ["UK Libya sanctions"]
    assert libya.get("authorityId") == ["11635"]
    assert libya.get("listingDate") == ["2011-02-27"]
    assert libya.get("modifiedAt") == ["2015-06-02"]
    for code in expected:
        assert vocabulary().get(get_reader("uk-csv").PUBLISHER, code) is not None, code


def test_un_reference_in_other_information_becomes_unsc_id(excerpt):
    _report, entities = excerpt
    (sanction,) = sanctions_of(entities, "12998")
    assert sanction.get("unscId") == ["CFi.001"]


def test_enumerated_nationalities_and_places(excerpt):
    _report, entities = excerpt
    entity = target(entities, "12998")
    assert set(entity.get("nationality")) == {"cf", "ss"}
    assert set(entity.get("birthPlace")) == {"Mouila. Babon", "Izo, South Sudan"}


def test_address_entity(excerpt):
    _report, entities = excerpt
    entity = target(entities, "13076")
    (address_id,) = entity.get("addressEntity")
    address = entities[address_id]
    assert address.get("full") == ["41 ul. Vereiskaya, Moscow, 121471, Russia"]
    assert address.get("country") == ["ru"]
    assert entity.get("address") == ["41 ul. Vereiskaya, Moscow, 121471, Russia"]


def test_a_targets_entities_are_yielded_together():
    _report, entities = read(EXCERPT)
    owners = []
    for entity in entities:
        if entity.schema.name in {"Person", "Organization"}:
            owners.append(entity.id)
        else:
            linked = set(entity.get("entity", quiet=True)) | set(entity.get("holder", quiet=True))
            assert not linked or linked == {owners[-1]}
    assert len(owners) == len(set(owners)) == 26


# --- the 2022 layout (schema-built, not real data) --------------------------------------------


def layout_2022_row(**cells: str) -> list[str]:
    return [cells.get(column, "") for column in COLUMNS_2022]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", first: str = "") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        if first:
            handle.write(first)
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def test_2022_layout_schema_built(tmp_path):
    """Hand-made to the 2022 header learnt from public parsers; fictional names."""
    rows = [
        ["Last Updated", "03/06/2025"],
        COLUMNS_2022,
        layout_2022_row(**{
            "Name 6": "EXAMPLEV", "Name 1": "Ivan", "Alias Type": "Primary name",
            "Name Non-Latin Script": "Иван ЭКЗАМПЛЕВ", "Non-Latin Script Type": "Cyrillic",
            "Non-Latin Script Language": "Russian", "DOB": "dd/mm/1970",
            "Passport Number": "7500000001", "Passport Details": "Russian (fictional)",
            "National Identification Number": "FX-1", "Group Type": "Individual",
            "Regime": "Global Human Rights", "Listed On": "10/12/2021",
            "UK Sanctions List Date Designated": "10/12/2021", "Last Updated": "02/02/2025",
            "Group ID": "99001",
        }),
        layout_2022_row(**{
            "Name 6": "Vanya", "Alias Type": "Alias", "Alias Quality": "Low quality",
            "Group Type": "Individual", "Regime": "Global Human Rights", "Group ID": "99001",
        }),
        layout_2022_row(**{
            "Name 6": "EXAMPLE STAR", "Alias Type": "Primary name", "Group Type": "Ship",
            "Other Information": "(UK Sanctions List Ref):RUS9903. IMO number: 1234567.",
            "Regime": "Russia", "Group ID": "99003",
        }),
    ]  # fmt: skip
    path = write_csv(tmp_path / "ConList.csv", rows, encoding="utf-8-sig")
    report, entities = read(path)
    by_id = {entity.id: entity for entity in entities}
    person = by_id["uk-ofsi-99001"]
    assert report.targets == 2
    assert report.publisher_date == "2025-06-03"
    assert person.get("weakAlias") == ["Vanya"]
    (original,) = [s for s in person.statements if s.value == "Иван ЭКЗАМПЛЕВ"]
    assert (original.prop, original.lang) == ("alias", "rus")
    assert person.get("passportNumber") == ["7500000001"]
    assert person.get("idNumber") == ["FX-1"]
    assert person.get("birthDate") == ["1970"]
    vessel = by_id["uk-ofsi-99003"]
    assert vessel.schema.name == "Vessel"
    assert vessel.get("imoNumber") == ["1234567"]
    assert report.unmapped["Non-Latin Script Type"] == 1
    sanctions = [e for e in entities if e.schema.name == "Sanction"]
    (ghr,) = [s for s in sanctions if person.id in s.get("entity")]
    assert ghr.get("startDate") == ["2021-12-10"]
    assert ("uk-fcdo", "Global Human Rights") in vocabulary().codes_with_theme("human-rights")
    (ship,) = [s for s in sanctions if vessel.id in s.get("entity")]
    assert set(ship.get("authorityId")) == {"99003", "RUS9903"}


def test_unknown_column_is_counted_as_unmapped(tmp_path):
    header = [*COLUMNS_2018, "Extra"]
    row = dict.fromkeys(header, "")
    row.update({"Name 6": "EXAMPLE", "Alias Type": "Prime Alias", "Group Type": "Entity",
                "Regime": "Libya", "Group ID": "1", "Extra": "something"})  # fmt: skip
    path = write_csv(tmp_path / "extra.csv", [["Last Updated", "01/01/2020"], header,
                                              list(row.values())])  # fmt: skip
    report, _entities = read(path)
    assert report.unmapped["Extra"] == 1


# --- hostile and broken inputs ------------------------------------------------------------------


def legacy_rows(**changes: str) -> list[list[str]]:
    row = dict.fromkeys(COLUMNS_2018, "")
    row.update({"Name 6": "EXAMPLE", "Name 1": "Test", "Alias Type": "Prime Alias",
                "Group Type": "Individual", "Regime": "Libya", "Group ID": "1",
                "DOB": "01/02/1980", "Listed On": "01/01/2020"})  # fmt: skip
    row.update(changes)
    return [["Last Updated", "13/04/2018", *[""] * 27], COLUMNS_2018, list(row.values())]


def only_error(excinfo: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    (error,) = excinfo.value.errors
    return error.location, error.field


def test_wrong_column_count_is_refused(tmp_path):
    rows = legacy_rows()
    rows.append(rows[-1][:-3])
    path = write_csv(tmp_path / "short.csv", rows)
    with pytest.raises(InvalidInput) as excinfo:
        read(path)
    assert only_error(excinfo) == (f"{path}:4", "columns")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_files_are_refused(tmp_path, encoding):
    path = write_csv(tmp_path / "wide.csv", legacy_rows(), encoding=encoding)
    with pytest.raises(InvalidInput) as excinfo:
        read(path)
    location, field = only_error(excinfo)
    assert (location, field) == (f"{path}:1", "encoding")


def test_mixed_encodings_are_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    write_csv(path, legacy_rows(**{"Name 1": "Zoë"}), encoding="utf-8")
    with path.open("ab") as handle:
        handle.write(",".join(legacy_rows(**{"Name 1": "Zoë"})[2]).encode("cp1252") + b"\r\n")
    with pytest.raises(InvalidInput) as excinfo:
        read(path)
    assert only_error(excinfo) == (f"{path}:4", "encoding")


def test_windows_1252_text_is_decoded(tmp_path):
    path = write_csv(tmp_path / "cp1252.csv", legacy_rows(**{"Name 1": "Zoë"}), encoding="cp1252")
    _report, entities = read(path)
    assert entities[0].get("name") == ["Zoë EXAMPLE"]


@pytest.mark.parametrize(
    ("column", "value"),
    [("DOB", "31/02/1980"), ("DOB", "sometime in 1980"), ("Listed On", "2020-13-01")],
)
def test_bad_date_is_a_warning_naming_file_line_and_field(tmp_path, column, value):
    path = write_csv(tmp_path / "dates.csv", legacy_rows(**{column: value}))
    report, entities = read(path)
    assert report.targets == 1
    assert entities[0].get("name") == ["Test EXAMPLE"]
    (warning,) = report.warnings
    assert (warning.location, warning.field) == (f"{path}:3", column)
    assert value in warning.message


def test_truncated_quoted_field_is_refused(tmp_path):
    path = write_csv(tmp_path / "cut.csv", legacy_rows(**{"Other Information": "a, b"}))
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"a, b") + 2])
    with pytest.raises(InvalidInput) as excinfo:
        read(path)
    location, field = only_error(excinfo)
    assert (location.rsplit(":", 1)[0], field) == (str(path), "csv")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("", 1),
        ("Last Updated,13/04/2018\r\n", 2),
        ("Last Updated,13/04/2018\r\nName,Surname,Group\r\n", 2),
    ],
)
def test_missing_or_wrong_header_is_refused(tmp_path, content, line):
    path = tmp_path / "header.csv"
    path.write_text(content, encoding="utf-8", newline="")
    with pytest.raises(InvalidInput) as excinfo:
        read(path)
    assert only_error(excinfo) == (f"{path}:{line}", "header")


def test_the_fcdo_csv_is_refused_with_a_pointer_to_the_xml(tmp_path):
    path = tmp_path / "UK-Sanctions-List.csv"
    path.write_text("Report Date: 02-Oct-2025\r\nLast Updated,Unique ID\r\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as excinfo:
        read(path)
    assert only_error(excinfo) == (f"{path}:1", "header")
    assert "uk-xml" in str(excinfo.value)


# --- the small parsers the free text needs ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("14/05/1970", "1970-05-14"),
        ("00/00/1978", "1978"),
        ("dd/mm/1945", "1945"),
        ("00/05/1978", "1978-05"),
        ("1961", "1961"),
        ("31/02/1980", None),
        ("14/13/1970", None),
        ("05/00/1970", None),
        ("1970-05-14", None),
        ("", None),
    ],
)
def test_uk_date(text, date):
    assert uk_date(text) == date


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("(1) 428720 (2) 215215", ["428720", "215215"]),
        ("a) Central African Republic b) South Sudan", ["Central African Republic", "South Sudan"]),
        ("(a) 9003213 in Iran/unknown(b) 6620505", ["9003213 in Iran/unknown", "6620505"]),
        ("Passport No: (a) X1 (b) Y2", ["X1", "Y2"]),
        ("1417576 (ID card). Issued in Al-Amana", ["1417576 (ID card). Issued in Al-Amana"]),
        ("", []),
    ],
)  # fmt: skip
def test_split_enumerated(text, items):
    assert split_enumerated(text) == items


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Passport no: D00002264, issued on 11 June 2013", "D00002264"),
        ("Holder of Tunisian Passport No x599070 issued in November 2016", "x599070"),
        ("Reference 51. Passport no. 0608109. issued 18/11/2005", "0608109"),
        ("4302 (Ex-serviceman's identification card no)", "4302"),
        ("issued in 2005 in Sanaa", None),
    ],
)
def test_document_number(text, number):
    assert document_number(text) == number
