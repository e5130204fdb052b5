"""Hostile and broken files are refused with an error naming the file, and leave the registry as
it was.

For each format a valid file is imported as version 1 of a list, then broken copies of it are
imported into the same list: each must raise `InvalidInput` whose first error names the file (and
the line or record where there is one) and a field, and the list must still hold exactly version
1 with the same statements. The valid files are real where a real file exists, cut small so the
test stays fast: the first 40 verbatim lines of the 2024 sdn.csv and of the 2025 cons_prim.csv
(with OFAC's closing 0x1A byte), the SDN.XML and advanced XML excerpts as they are, the first
INDIVIDUAL and ENTITY elements of the UN file and the first records of the 2020 Canadian file
(verbatim), the OFSI CSV excerpt as it is, the first 30 rows of the DFAT workbook (cell values
copied into a new workbook) and the SDN.XML excerpt's entities written as FollowTheMoney lines.
The EU and UK XML files are the hand-made fixtures of tests/fixtures/sources (no real file could
be brought in). A bounded Hypothesis fuzz then mutates the same files: a reader must either read
a mutant into storable values or raise `InvalidInput`, never another exception.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.exc import InvalidInput
from dignity.registry import services as registry
from dignity.registry.models import Statement
from dignity.registry.staging import entity_rows
from dignity.sources.entities import list_dataset
from dignity.sources.formats import ftm, get_reader
from dignity.sources.report import ImportReport
from dignity.sources.services import open_list

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared/data"
FIXTURES = ROOT / "tests/fixtures/sources"
SDN_XML = DATA / "excerpts/ofac-sdn-xml/consolidated_excerpt.xml"
LIST = "hostile_test"


# --- the valid files -----------------------------------------------------------------------------


def _lines(path: Path, count: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:count])


def _ofac_csv(tmp: Path) -> Path:
    path = tmp / "sdn.csv"
    path.write_bytes(_lines(DATA / "ofac/sdn-csv-2024-05-03/sdn.csv", 40) + b"\x1a")
    return path


def _ofac_cons_csv(tmp: Path) -> Path:
    path = tmp / "cons_prim.csv"
    source = DATA / "ofac/consolidated-non-sdn-csv-2025-12-19/cons_prim.csv"
    path.write_bytes(_lines(source, 40) + b"\x1a")
    return path


def _un_xml(tmp: Path) -> Path:
    text = (DATA / "un/consolidated.xml").read_text(encoding="utf-8")
    people = re.findall(r"    <INDIVIDUAL>.*?</INDIVIDUAL>\n", text, re.DOTALL)[:4]
    groups = re.findall(r"    <ENTITY>.*?</ENTITY>\n", text, re.DOTALL)[:3]
    head = text[: text.index("  <INDIVIDUALS>")]
    path = tmp / "consolidated.xml"
    path.write_text(
        f"{head}  <INDIVIDUALS>\n{''.join(people)}  </INDIVIDUALS>\n"
        f"  <ENTITIES>\n{''.join(groups)}  </ENTITIES>\n</CONSOLIDATED_LIST>",
        encoding="utf-8",
    )
    return path


def _ca_xml(tmp: Path) -> Path:
    text = (DATA / "canada/sema-lmes.xml").read_text(encoding="utf-8")
    records = re.findall(r"\t<record>.*?</record>\n", text, re.DOTALL)[:6]
    path = tmp / "sema-lmes.xml"
    path.write_text(text[: text.index("\t<record>")] + "".join(records) + "</data-set>\n")
    return path


def _au_xlsx(tmp: Path) -> Path:
    source = openpyxl.load_workbook(
        DATA / "australia/Australian_Sanctions_Consolidated_List.xlsx",
        read_only=True,
        data_only=True,
    )
    rows = list(source.worksheets[0].iter_rows(max_row=30, values_only=True))
    source.close()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Consolidated List"
    for row in rows:
        sheet.append(list(row))
    path = tmp / "Australian_Sanctions_Consolidated_List.xlsx"
    workbook.save(path)
    return path


def _ftm(tmp: Path) -> Path:
    reader = get_reader("ofac-xml")
    report = ImportReport("ofac-xml", str(SDN_XML))
    entities = list(reader.read(SDN_XML, report, list_dataset("ftm_source")))
    path = tmp / "entities.ftm.json"
    with path.open("w", encoding="utf-8") as handle:
        ftm.write_entities(entities[:60], handle)
    return path


def _as_is(path: Path) -> Callable[[Path], Path]:
    return lambda _tmp: path


@dataclass(frozen=True)
class Source:
    format: str
    kind: str  # csv, legacy-csv (read as Windows-1252 when not UTF-8), xml, xlsx, jsonl
    make: Callable[[Path], Path]


SOURCES = [
    Source("ofac-csv", "legacy-csv", _ofac_csv),
    Source("ofac-cons-csv", "legacy-csv", _ofac_cons_csv),
    Source("ofac-xml", "xml", _as_is(SDN_XML)),
    Source(
        "ofac-advanced",
        "xml",
        _as_is(DATA / "excerpts/ofac-advanced-xml/cons_advanced_excerpt.xml"),
    ),
    Source("un-xml", "xml", _un_xml),
    Source("eu-xml", "xml", _as_is(FIXTURES / "eu-fsf-schema.xml")),
    Source("uk-xml", "xml", _as_is(FIXTURES / "uk-sanctions-list-schema.xml")),
    Source(
        "uk-csv",
        "uk-csv",
        _as_is(DATA / "excerpts/uk-ofsi-conlist-csv/sanctionsconlist_2018-04-13_excerpt.csv"),
    ),
    Source("ca-xml", "xml", _ca_xml),
    Source("au-xlsx", "xlsx", _au_xlsx),
    Source("ftm", "jsonl", _ftm),
]
IDS = [source.format for source in SOURCES]


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each format's valid file, made once for the module."""
    made = {}
    for source in SOURCES:
        folder = tmp_path_factory.mktemp(source.format)
        made[source.format] = source.make(folder)
    return made


# --- the broken copies -----------------------------------------------------------------------

LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)
EXTERNAL = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
INTERNAL = b"<!DOCTYPE r [<!ELEMENT r ANY><!ATTLIST r a CDATA #IMPLIED>]>\n"


def _in_prolog(data: bytes, doctype: bytes, reference: bytes = b"") -> bytes:
    """`data` with `doctype` after the XML declaration and `reference` in the first text."""
    declaration = data.index(b"?>") + 2
    first_close = data.index(b"</")
    body = data[declaration:first_close] + reference + data[first_close:]
    return data[:declaration] + b"\n" + doctype + body.lstrip(b"\r\n")


def _mid_line(data: bytes) -> bytes:
    """Cut ten bytes before the end of the line that ends past the middle of the file."""
    return data[: data.index(b"\n", len(data) // 2) - 10]


def _zip_bomb(data: bytes) -> bytes:
    """The workbook with 20 MB of one repeated row in its sheet: a thousand times its size."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                end = content.index(b"</sheetData>")
                row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
                content = content[:end] + row * 400_000 + content[end:]
            bomb.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _text(data: bytes) -> str:
    """The file as text (the OFSI file is Windows-1252)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _latin1(data: bytes) -> bytes:
    """A Latin-1 e-acute (one byte, not UTF-8) in the text of the first element or line that
    has some, past the first quarter of the file."""
    at = data.index(b"</", len(data) // 4) if b"</" in data else data.index(b"\n", len(data) // 4)
    return data[:at] + "\u00e9".encode("latin-1") + data[at:]


Variant = Callable[[bytes], bytes]
COMMON: dict[str, Variant] = {
    "cut at half": lambda data: data[: len(data) // 2],
    "last byte missing": lambda data: data.rstrip(b"\r\n")[:-1],
    "empty": lambda _data: b"",
    "binary garbage": lambda _data: bytes(range(256)) * 64,
    "UTF-16 with BOM": lambda data: codecs.BOM_UTF16_LE + _text(data).encode("utf-16-le"),
}
BY_KIND: dict[str, dict[str, Variant]] = {
    "legacy-csv": {"cut mid-line": _mid_line},
    # A cut at the end of a field or a line leaves a well-formed, shorter OFSI file: the format
    # has no end mark or row count by which to tell. "Last byte missing" is such a cut.
    "uk-csv": {"cut mid-line": _mid_line},
    "jsonl": {
        "cut mid-line": _mid_line,
        "Latin-1 in UTF-8": _latin1,
        "an id longer than the registry holds": lambda data: data.replace(
            b'{"id":"', b'{"id":"' + b"x" * 300, 1
        ),
    },
    "xml": {
        "cut mid-tag": lambda data: data[: data.index(b"<", len(data) // 2) + 3],
        "Latin-1 in UTF-8": _latin1,
        "billion laughs": lambda data: _in_prolog(data, LAUGHS, b"&lol3;"),
        "external entity /etc/passwd": lambda data: _in_prolog(data, EXTERNAL, b"&xxe;"),
        "DOCTYPE with an internal subset": lambda data: _in_prolog(data, INTERNAL),
    },
    "xlsx": {
        "not a zip": lambda _data: b"Reference,Name of Individual or Entity\r\n1,NOBODY\r\n",
        "zip bomb": _zip_bomb,
    },
}
SKIPPED = {"uk-csv": {"last byte missing"}}


def variants(source: Source) -> dict[str, Variant]:
    found = {**COMMON, **BY_KIND[source.kind]}
    if source.kind == "xlsx":
        del found["UTF-16 with BOM"]
    for name in SKIPPED.get(source.format, ()):
        del found[name]
    return found


# --- the tests -------------------------------------------------------------------------------


def _import(session: Session, path: Path, format_name: str) -> registry.ImportResult:
    return registry.import_list(session, open_list(path, format_name, LIST), actor="test")


def _state(session: Session) -> tuple[list[int], int]:
    versions = [v.seq for v in registry.list_versions(session, LIST)]
    count = select(func.count()).select_from(Statement).where(Statement.list_id == LIST)
    return versions, session.execute(count).scalar_one()


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_broken_copies_are_refused_and_change_nothing(
    session: Session, tmp_path: Path, valid: dict[str, Path], source: Source
) -> None:
    original = valid[source.format]
    first = _import(session, original, source.format)
    assert first.version is not None
    assert first.version.targets > 0
    before = _state(session)
    assert before == ([1], first.version.statements)
    data = original.read_bytes()
    for name, variant in variants(source).items():
        folder = tmp_path / re.sub(r"\W+", "-", name)
        folder.mkdir()
        path = folder / original.name
        path.write_bytes(variant(data))
        with session.begin_nested() as attempt, pytest.raises(InvalidInput) as caught:
            _import(session, path, source.format)
        assert not attempt.is_active, name
        error = caught.value.errors[0]
        assert str(path) in str(caught.value), name
        assert re.fullmatch(re.escape(str(path)) + r"(:\d+| record \S+)?", error.location), (
            name,
            error.location,
        )
        assert error.field, name
        assert "root:x:0:0" not in str(caught.value)  # nothing of /etc/passwd
        assert _state(session) == before, name


def test_the_variants_cover_every_case_asked_for() -> None:
    names = {source.format: set(variants(source)) for source in SOURCES}
    xml = {"billion laughs", "external entity /etc/passwd", "DOCTYPE with an internal subset"}
    assert all(xml <= names[s.format] for s in SOURCES if s.kind == "xml")
    assert {"zip bomb", "not a zip", "last byte missing"} <= names["au-xlsx"]
    assert all({"cut at half", "empty", "binary garbage"} <= found for found in names.values())
    assert [f for f, found in names.items() if "last byte missing" not in found] == ["uk-csv"]


@pytest.mark.parametrize("format_name", ["ofac-csv", "uk-csv"])
def test_latin1_bytes_in_the_legacy_csv_files_read_as_windows_1252(
    session: Session, tmp_path: Path, valid: dict[str, Path], format_name: str
) -> None:
    """OFAC's legacy CSV and OFSI's pre-2022 CSV are Windows-1252 files: a byte that is not UTF-8
    is a character of that code page, not damage (OFAC's reader warns once)."""
    original = valid[format_name]
    data = original.read_bytes()
    name = b'"AEROCARIBBEAN AIRLINES"' if format_name == "ofac-csv" else b"ABDUL SALAM ,"
    assert name in data
    accented = name.replace(b"AIRLINES", b"A\xc9RO").replace(b"SALAM", b"SAL\xc9M")
    path = tmp_path / original.name
    path.write_bytes(data.replace(name, accented, 1))
    result = _import(session, path, format_name)
    assert result.version is not None
    names = {
        value
        for entity in registry.iter_entities(session, LIST)
        for prop in ("name", "alias")
        for value in entity.get(prop, quiet=True)
    }
    expected = "AEROCARIBBEAN A\u00c9RO" if format_name == "ofac-csv" else "SAL\u00c9M"
    assert any(expected in value for value in names), sorted(names)[:5]


def test_ftm_values_that_cannot_be_kept_are_left_out_with_a_warning(
    session: Session, tmp_path: Path
) -> None:
    """JSON escapes can write a NUL (PostgreSQL's text refuses it) or half a surrogate pair (no
    UTF-8 form), and an entity can name itself as its own parent (FollowTheMoney refuses it):
    such a value is left out, with a warning naming the line and the property."""
    path = tmp_path / "escapes.ftm.json"
    path.write_text(
        '{"id":"p1","schema":"Person","properties":{"name":["KEPT","NUL\\u0000NAME"],'
        '"notes":["HALF \\ud800 PAIR"]}}\n'
        '{"id":"o1","schema":"Organization","properties":{"name":["ORG"],"parent":["o1"]}}\n',
        encoding="utf-8",
    )
    result = _import(session, path, "ftm")
    assert result.version is not None
    entities = {str(e.id): e for e in registry.iter_entities(session, LIST)}
    assert entities["p1"].get("name") == ["KEPT"]
    assert entities["p1"].get("notes") == []
    assert entities["o1"].get("name") == ["ORG"]
    assert entities["o1"].get("parent") == []
    reported = result.report["warnings"]
    assert isinstance(reported, list)
    warnings = {(w["location"], w["field"]) for w in reported}
    assert warnings == {
        (f"{path}:1", "properties.name"),
        (f"{path}:1", "properties.notes"),
        (f"{path}:2", "properties.parent"),
    }


# --- fuzz ------------------------------------------------------------------------------------

SPECIAL = [b"\x00", b"\xff", b"\xc3", b"<", b"&", b'"', b",", b"\r\n", b";", b"\x1a", b"{"]
SPECIAL += [b"&#0;", b"&#xD800;", b"\\u0000", b"\\ud800", b"-0-", b"] [", b"9" * 40]
MUTATION = st.tuples(
    st.floats(min_value=0, max_value=1),
    st.sampled_from(["overwrite", "insert", "delete", "truncate"]),
    st.one_of(st.sampled_from(SPECIAL), st.binary(min_size=1, max_size=6)),
)


def mutate(data: bytes, mutations: list[tuple[float, str, bytes]]) -> bytes:
    out = bytearray(data)
    for where, operation, payload in mutations:
        at = int(where * len(out))
        if operation == "overwrite":
            out[at : at + len(payload)] = payload
        elif operation == "insert":
            out[at:at] = payload
        elif operation == "delete":
            del out[at : at + len(payload) * 8]
        else:
            del out[at:]
    return bytes(out)


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
@settings(max_examples=15, deadline=None, derandomize=True)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_files_read_or_raise_invalid_input(
    tmp_path_factory: pytest.TempPathFactory,
    valid: dict[str, Path],
    source: Source,
    mutations: list[tuple[float, str, bytes]],
) -> None:
    original = valid[source.format]
    path = tmp_path_factory.mktemp("fuzz") / original.name
    path.write_bytes(mutate(original.read_bytes(), mutations))
    reader = get_reader(source.format)
    report = ImportReport(source.format, str(path))
    entities = []
    refused = ""
    try:
        entities = list(reader.read(path, report, list_dataset("fuzz")))
    except InvalidInput as error:
        refused = str(error)
    assert not refused or str(path) in refused
    for entity in entities:
        for row in entity_rows(entity):  # hashes every value as UTF-8, as an import does
            assert all("\x00" not in text for text in row if text is not None)
            assert len(row[1]) <= 200  # the registry's entity_id column
