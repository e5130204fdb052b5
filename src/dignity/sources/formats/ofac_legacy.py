"""The OFAC legacy "delimited" CSV set, shared by `ofac-csv` (SDN) and `ofac-cons-csv` (non-SDN).

Layout (OFAC's `dat_spec.txt`): no header; CRLF lines; a last line holding only the byte 0x1A
(Ctrl-Z); `-0- ` for an empty field. The primary file (sdn.csv / cons_prim.csv) has one row per
listed entry; add.csv, alt.csv and sdn_comments.csv join to it by `ent_num`. The primary file is
streamed row by row; the three join files, much smaller, are loaded into dicts keyed by
`ent_num` first, and each entry's rows are taken out as the entry is read, so what is left at the
end is exactly the rows that did not join (each one warned about and counted).

Remarks are cut by OFAC at 1,000 characters; the rest of a long remark is the entry's row in
sdn_comments.csv, appended here without a separator (the cut falls mid-word).

`Linked To: NAME` remarks name another entry by its SDN_Name; they become UnknownLink entities
after the last row (`ofac_remarks.Links`).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset

from dignity.sources.formats.ofac_common import (
    NULL_COUNTRIES,
    ReadState,
    Target,
    clean_text,
    country_code,
    fatal,
    find_file,
)
from dignity.sources.formats.ofac_features import Fact, apply_feature
from dignity.sources.formats.ofac_remarks import (
    REMARKS_LIMIT,
    Links,
    apply_remarks,
    read_remarks,
    says_company,
)
from dignity.sources.report import ImportReport

PRIMARY_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ADD_COLUMNS = ("ent_num", "Add_num", "Address", "City", "Country", "Add_remarks")
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
COMMENT_COLUMNS = ("ent_num", "Remarks_Extended")
END_OF_FILE = "\x1a"
SCHEMA_BY_TYPE = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane"}
ALIAS_TYPES = {"aka": "alias", "nka": "alias", "fka": "previousName"}
VESSEL_COLUMNS = {
    "Call_Sign": "Vessel call sign",
    "Vess_type": "Vessel type",
    "Tonnage": "Vessel tonnage",
    "GRT": "Vessel gross registered tonnage",
    "Vess_flag": "Vessel flag",
    "Vess_owner": "Vessel owner",
}
_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


@dataclass(frozen=True)
class FileSet:
    """The file names of one OFAC CSV set and where OFAC publishes its primary file."""

    primary: str
    addresses: str
    aliases: str
    comments: str
    source_url: str


Row = tuple[int, list[str]]  # line number, fields


@dataclass
class JoinFile:
    """One join file's rows by `ent_num`; what is left after the primary file did not join."""

    path: Path | None = None
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def take(self, ent_num: str) -> list[Row]:
        return self.rows.pop(ent_num, [])


@dataclass
class Joins:
    addresses: JoinFile
    aliases: JoinFile
    comments: JoinFile


def read_set(
    path: Path, report: ImportReport, dataset: Dataset, files: FileSet
) -> Iterator[StatementEntity]:
    primary = _locate(path, files.primary)
    joins = _load_joins(primary.parent, files, report)
    state = ReadState(report, dataset, files.source_url)
    links = Links()
    for line, row in csv_rows(primary, PRIMARY_COLUMNS, report, expect_end_marker=True):
        yield from _entry(state, primary, line, row, joins, links).finish()
    yield from links.resolve(state)
    _unresolved(joins, primary, report)
    if report.targets == 0:
        raise fatal("the file holds no entries", "ent_num", str(primary))


def _locate(path: Path, primary: str) -> Path:
    if path.is_dir():
        found = find_file(path, primary)
        if found is None:
            raise fatal(f"no {primary} in the folder", primary, str(path))
        return found
    return path


def _load_joins(folder: Path, files: FileSet, report: ImportReport) -> Joins:
    wanted = (
        (files.addresses, ADD_COLUMNS, "addresses are"),
        (files.aliases, ALT_COLUMNS, "strong aliases are"),
        (files.comments, COMMENT_COLUMNS, "the rest of remarks over 1,000 characters is"),
    )
    loaded = []
    for name, columns, what in wanted:
        join = JoinFile(find_file(folder, name))
        loaded.append(join)
        if join.path is None:
            report.warn(str(folder), name, f"not in the folder: {what} not imported")
            continue
        for line, row in csv_rows(join.path, columns, report):
            join.rows.setdefault(_ent_num(row, join.path, line), []).append((line, row))
    return Joins(*loaded)


def _ent_num(row: list[str], path: Path, line: int) -> str:
    value = clean_text(row[0])
    if not value.isdigit():
        raise fatal(f"ent_num {value!r} is not a number", "ent_num", f"{path}:{line}")
    return value


def _entry(
    state: ReadState, path: Path, line: int, row: list[str], joins: Joins, links: Links
) -> Target:
    values = dict(zip(PRIMARY_COLUMNS, (clean_text(v) for v in row), strict=True))
    ent_num = _ent_num(row, path, line)
    location = f"{path}:{line}"
    remarks, truncated = _remarks(row[-1], joins.comments.take(ent_num))
    fragments = read_remarks(remarks)
    if truncated and fragments:
        fragments = fragments[:-1]
    kind = values["SDN_Type"].lower()
    schema = SCHEMA_BY_TYPE.get(kind, "Organization")
    if not kind and says_company(fragments):
        schema = "Company"
    elif kind and kind not in SCHEMA_BY_TYPE:
        schema = "LegalEntity"
    target = Target.start(state, ent_num, schema, location)
    if kind and kind not in SCHEMA_BY_TYPE:
        target.warn("SDN_Type", f"unknown type {kind!r}; read as LegalEntity")
    if truncated:
        target.unmapped("Remarks:truncated")
        target.warn(
            "Remarks",
            f"cut at OFAC's {REMARKS_LIMIT:,}-character limit and no continuation in the "
            "comments file; the last fragment is kept in notes only",
        )
    _names(target, values)
    links.entry(ent_num, values["SDN_Name"])
    _programs(target, values["Program"])
    _title_and_vessel(target, values)
    target.put("notes", remarks, "Remarks")
    apply_remarks(target, fragments, "Remarks", values["Title"], links)
    for _line, add in joins.addresses.take(ent_num):
        _address(target, add)
    for _line, alt in joins.aliases.take(ent_num):
        _alias(target, alt)
    return target


def _remarks(raw: str, comments: list[Row]) -> tuple[str, bool]:
    """The whole remark (its continuation appended as is: OFAC cuts mid-word), and whether it
    is still cut short (1,000 characters, no closing full stop, no continuation)."""
    remarks = clean_text(raw)
    if not comments:
        cut = len(raw) >= REMARKS_LIMIT and not remarks.endswith(".")
        return remarks, cut
    text = raw if remarks else ""
    for _line, row in comments:
        text += "" if clean_text(row[1]) == "" else row[1]
    return clean_text(text), False


def _names(target: Target, values: dict[str, str]) -> None:
    name = values["SDN_Name"]
    if not name:
        target.warn("SDN_Name", "the entry has no name")
        return
    target.put("name", name, "SDN_Name")
    if target.is_a("Person") and name.count(", ") == 1:
        last, first = name.split(", ")
        target.put("lastName", last, "SDN_Name")
        target.put("firstName", first, "SDN_Name")


def programs(value: str) -> list[str]:
    """`VENEZUELA] [IRAN-CON-ARMS-EO` -> both codes (OFAC's bracket quirk)."""
    parts = re.split(r"\]\s*\[", value)
    return [code for code in (clean_text(part.strip("[] ")) for part in parts) if code]


def _programs(target: Target, value: str) -> None:
    codes = programs(value)
    if not codes:
        target.warn("Program", "the entry names no program")
    for code in codes:
        target.sanction(code, "Program")


def _title_and_vessel(target: Target, values: dict[str, str]) -> None:
    title = values["Title"]
    if title:
        if target.is_a("Person"):
            target.put("position", title, "Title")
        else:
            target.unmapped("Title")
    for column, label in VESSEL_COLUMNS.items():
        value = values[column]
        if not value:
            continue
        if target.is_a("Vessel"):
            apply_feature(target, Fact(label, value, column))
        else:
            target.unmapped(column)


def _address(target: Target, row: list[str]) -> None:
    """One add.csv row. The Country column sometimes names a region (`Region: Crimea`) or
    `undetermined`; a region goes to the address's region, `undetermined` nowhere."""
    values = dict(zip(ADD_COLUMNS, (clean_text(v) for v in row), strict=True))
    country: str | None = values["Country"]
    region = None
    if country and country_code(country) is None:
        region = None if country.lower() in NULL_COUNTRIES else country.removeprefix("Region: ")
        country = None
    target.address(
        values["Add_num"],
        "Address",
        street=values["Address"],
        city=values["City"],
        region=region,
        country=country,
        remarks=values["Add_remarks"],
    )


def _alias(target: Target, row: list[str]) -> None:
    values = dict(zip(ALT_COLUMNS, (clean_text(v) for v in row), strict=True))
    kind = values["alt_type"].lower()
    remark = values["alt_remarks"]
    weak = "weak" in kind or "weak" in remark.lower()
    prop = ALIAS_TYPES.get(kind.replace("weak", "").strip(" .-"), "")
    if not prop:
        target.warn("alt_type", f"unknown alias type {values['alt_type']!r}; read as a.k.a.")
        prop = "alias"
    if weak and prop == "alias":
        prop = "weakAlias"
    target.name(prop, values["alt_name"], "alt_name")
    if remark and "weak" not in remark.lower():
        target.put("notes", f"{values['alt_name']}: {remark}", "alt_remarks")
        target.unmapped("alt_remarks")


def _unresolved(joins: Joins, primary: Path, report: ImportReport) -> None:
    """Warn about, and count, every join row whose entry is not in the primary file."""
    for join in (joins.addresses, joins.aliases, joins.comments):
        if join.path is None:
            continue
        for ent_num, rows in join.rows.items():
            for line, _row in rows:
                report.warn(
                    f"{join.path}:{line}",
                    "ent_num",
                    f"ent_num {ent_num} is not in {primary.name}; the row is not imported",
                )
                report.unmapped[f"{join.path.name}:unresolved"] += 1


def csv_rows(
    path: Path, columns: tuple[str, ...], report: ImportReport, *, expect_end_marker: bool = False
) -> Iterator[Row]:
    """The rows of one legacy CSV file with their line numbers, checked and decoded.

    Fatal: UTF-16/32 (a BOM or NUL bytes), a row with the wrong number of columns (a truncated
    or malformed line), a quote left open at the end of the file, and, with `expect_end_marker`,
    a missing 0x1A end marker: OFAC ends every file with it, and a file cut at the end of a line
    is otherwise well-formed. Read with a warning: bytes that are not UTF-8 (decoded as
    Windows-1252), lines after the end marker.
    """
    with path.open("rb") as handle:
        lines = _Lines(handle, path, report)
        reader = csv.reader(lines, strict=True)
        start = 1
        try:
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if lines.ended_at is not None and line > lines.ended_at:
                    report.warn(f"{path}:{line}", "row", "after the end-of-file mark; not read")
                    continue
                if len(row) != len(columns):
                    missing = columns[len(row)] if len(row) < len(columns) else "row"
                    raise fatal(
                        f"expected {len(columns)} columns, found {len(row)} "
                        "(a truncated or malformed line)",
                        missing,
                        f"{path}:{line}",
                    )
                yield line, row
        except csv.Error as error:
            raise fatal(f"not a readable CSV line ({error})", "row", f"{path}:{start}") from error
    if expect_end_marker and lines.ended_at is None and lines.number:
        raise fatal(
            "no 0x1A end-of-file mark after the last line: the file is truncated "
            "(OFAC ends every CSV file with it)",
            "end-of-file",
            f"{path}:{lines.number}",
        )


class _Lines:
    """The lines of a binary file as text, numbered, for `csv.reader`."""

    def __init__(self, handle: BinaryIO, path: Path, report: ImportReport) -> None:
        self.handle = handle
        self.path = path
        self.report = report
        self.number = 0
        self.ended_at: int | None = None
        self.warned_encoding = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        self.number += 1
        if self.number == 1:
            raw = self._first(raw)
        if b"\x00" in raw:
            raise fatal(
                "the file holds NUL bytes: it is not an ASCII/UTF-8 CSV (UTF-16?)",
                "encoding",
                f"{self.path}:{self.number}",
            )
        text = self._decode(raw)
        if text.rstrip("\r\n").endswith(END_OF_FILE):
            if self.ended_at is None:
                self.ended_at = self.number
            text = text.rstrip("\r\n").rstrip(END_OF_FILE) + "\n"
        return text

    def _first(self, raw: bytes) -> bytes:
        if raw.startswith(_UTF16_32_BOMS):
            raise fatal(
                "the file is UTF-16 or UTF-32; OFAC's CSV files are ASCII/UTF-8",
                "encoding",
                f"{self.path}:1",
            )
        return raw.removeprefix(codecs.BOM_UTF8)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if not self.warned_encoding:
                self.warned_encoding = True
                self.report.warn(
                    f"{self.path}:{self.number}",
                    "encoding",
                    "not UTF-8; this and any such line read as Windows-1252",
                )
            return raw.decode("cp1252", errors="replace")
