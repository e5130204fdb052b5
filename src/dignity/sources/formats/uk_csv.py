"""`uk-csv`: the HM Treasury OFSI Consolidated List of Financial Sanctions Targets, CSV.

One row per name of a target, a `Last Updated,<dd/mm/yyyy>` line before the header, and the
rows of one target joined by `Group ID`. Two layouts, told apart by their header and mapped by
column name (see `uk_csv_columns`): the pre-2022 29-column file (Windows-1252; verified on a real
2018 excerpt) and the 2022 36-column file (columns learnt from public parsers; no real file here).

The rows of one group are not adjacent (the file is sorted by name), so the reader makes two
passes: the first checks encoding, header and column counts and records, for each Group ID, the
byte offset and line of its rows; the second reads each group's rows back by seeking. Memory grows
with the number of rows only by that index (two integers a row), never by the rows themselves.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset

from dignity.exc import FieldError, InvalidInput
from dignity.sources.entities import emit
from dignity.sources.formats.eu_uk_common import ReadState, clean_text, uk_date
from dignity.sources.formats.uk_csv_columns import REQUIRED, build_target
from dignity.sources.report import ImportReport

FORMAT = "uk-csv"
PUBLISHER = "uk-fcdo"
DEFAULT_LIST = "uk_ofsi_conlist"
TITLE = "UK HM Treasury (OFSI) Consolidated List of Financial Sanctions Targets, CSV"
PUBLISHER_NAME = "HM Treasury, Office of Financial Sanctions Implementation (OFSI)"

_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


@dataclass
class _Index:
    """What the first pass learnt: encoding, header, and where each group's rows start."""

    encoding: str
    header: list[str]
    groups: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def group_column(self) -> int:
        return self.header.index("Group ID")


class _Lines:
    """Lines of a binary file as text, with the byte offset and number of the next line."""

    def __init__(
        self, handle: BinaryIO, decode: Callable[[bytes, int], str], offset: int, line: int
    ) -> None:
        self.handle = handle
        self.decode = decode
        self.offset = offset
        self.line = line

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        return self.decode(raw, self.line)


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    state = ReadState(path, report, dataset, PUBLISHER, "uk", PUBLISHER_NAME)
    index = _scan(state)
    with path.open("rb") as handle:
        for group_id, starts in index.groups.items():
            rows = [
                (line, dict(zip(index.header, _row_at(handle, index, offset, line), strict=True)))
                for offset, line in starts
            ]
            report.targets += 1
            target = build_target(state, group_id, rows)
            for entity in target.entities():
                yield emit(report, entity)


def _scan(state: ReadState) -> _Index:
    """First pass: refuse what cannot be read, and index the rows by Group ID."""
    path = state.path
    checker = _EncodingCheck(path)
    index: _Index | None = None
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        for bom in _UTF16_32_BOMS:
            if head.startswith(bom):
                raise _invalid(
                    "the file is UTF-16 or UTF-32 encoded",
                    path,
                    1,
                    "encoding",
                    "OFSI publishes this list as Windows-1252 or UTF-8 text",
                )
        lines = _Lines(handle, checker.decode_structure, 0, 0)
        reader = csv.reader(lines, strict=True)
        while True:
            start_offset, start_line = lines.offset, lines.line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise _invalid(
                    "the file is not valid CSV", path, lines.line, "csv", str(error)
                ) from error
            if not any(cell.strip() for cell in row):
                continue
            if index is None:
                index = _Index("", _header(state, row, start_line, reader, lines))
                continue
            header = index.header
            if len(row) != len(header):
                raise _invalid(
                    "a row has the wrong number of columns",
                    path,
                    start_line,
                    "columns",
                    f"{len(row)} columns; the header has {len(header)}",
                )
            group_id = clean_text(row[index.group_column])
            if not group_id:
                group_id = f"line-{start_line}"
                state.report.warn(
                    state.at_line(start_line),
                    "Group ID",
                    "no Group ID; the row is imported as a target of its own",
                )
            index.groups.setdefault(group_id, []).append((start_offset, start_line))
    if index is None:
        raise _invalid(
            "the file has no header row",
            path,
            1,
            "header",
            "expected a 'Last Updated' line and the OFSI column header",
        )
    index.encoding = checker.finish()
    # The first pass decoded as Latin-1; give any non-ASCII column name its real spelling.
    encoding = "utf-8" if index.encoding == "utf-8-sig" else index.encoding
    index.header = [name.encode("latin-1").decode(encoding) for name in index.header]
    return index


def _header(
    state: ReadState, row: list[str], line: int, reader: Iterator[list[str]], lines: _Lines
) -> list[str]:
    """Read the `Last Updated` line (publisher date) and the column header after it."""
    path = state.path
    first = clean_text(row[0])
    if first.lower().startswith("report date"):
        raise _invalid(
            "this is the FCDO UK Sanctions List CSV, not the OFSI consolidated list",
            path,
            line,
            "header",
            "read the FCDO list from its XML with --format uk-xml",
        )
    if first.lower() == "last updated":
        value = clean_text(row[1]) if len(row) > 1 else ""
        date = uk_date(value)
        if date is None:
            state.report.warn(state.at_line(line), "Last Updated", f"{value!r} is not a date")
        state.report.publisher_date = date
        try:
            row = next(reader)
        except (StopIteration, csv.Error) as error:
            raise _invalid(
                "the file ends before its header row",
                path,
                line + 1,
                "header",
                "expected the OFSI column header",
            ) from error
        line = lines.line
    else:
        state.report.warn(
            state.at_line(line),
            "Last Updated",
            "no 'Last Updated' line before the header; publisher date unknown",
        )
    header = [clean_text(cell).lstrip("\ufeff") for cell in row]
    missing = sorted(REQUIRED - set(header))
    if missing:
        raise _invalid(
            "the header is not the OFSI consolidated list header",
            path,
            line,
            "header",
            f"missing columns: {', '.join(missing)}",
        )
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise _invalid("the header repeats columns", path, line, "header", ", ".join(duplicates))
    return header


class _EncodingCheck:
    """Decides between UTF-8 and Windows-1252 while the first pass reads the raw lines.

    The first pass only needs the CSV structure (commas, quotes, line ends and the ASCII Group
    ID), which both encodings share, so it decodes as Latin-1 and checks the real encoding aside.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bom = False
        self.utf8_line: int | None = None
        self.not_utf8_line: int | None = None
        self.not_cp1252_line: int | None = None

    def decode_structure(self, raw: bytes, line: int) -> str:
        if b"\x00" in raw:
            raise _invalid(
                "the file is not text in a single-byte or UTF-8 encoding",
                self.path,
                line,
                "encoding",
                "NUL bytes found (UTF-16 without a byte-order mark?)",
            )
        if line == 1 and raw.startswith(codecs.BOM_UTF8):
            self.bom = True
            raw = raw[len(codecs.BOM_UTF8) :]
        if not raw.isascii():
            try:
                raw.decode("utf-8")
                self.utf8_line = self.utf8_line or line
            except UnicodeDecodeError:
                self.not_utf8_line = self.not_utf8_line or line
            try:
                raw.decode("cp1252")
            except UnicodeDecodeError:
                self.not_cp1252_line = self.not_cp1252_line or line
        return raw.decode("latin-1")

    def finish(self) -> str:
        if self.not_utf8_line is None:
            return "utf-8-sig" if self.bom else "utf-8"
        if self.bom or self.utf8_line is not None:
            line = self.not_utf8_line
            raise _invalid(
                "the file mixes encodings",
                self.path,
                line,
                "encoding",
                "UTF-8 text elsewhere, but this line is not UTF-8",
            )
        if self.not_cp1252_line is not None:
            raise _invalid(
                "the file is neither UTF-8 nor Windows-1252",
                self.path,
                self.not_cp1252_line,
                "encoding",
                "bytes undefined in Windows-1252",
            )
        return "cp1252"


def _row_at(handle: BinaryIO, index: _Index, offset: int, line: int) -> list[str]:
    """Second pass: the row that starts at `offset`, decoded in the file's encoding."""
    handle.seek(offset)
    encoding = "utf-8" if index.encoding == "utf-8-sig" else index.encoding

    def decode(raw: bytes, _line: int) -> str:
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        return raw.decode(encoding)

    try:
        row = next(csv.reader(_Lines(handle, decode, offset, line - 1), strict=True))
    except (StopIteration, csv.Error, UnicodeDecodeError) as error:
        row = [str(error)]
    if len(row) != len(index.header):
        raise _invalid(
            "the file changed while it was being read",
            handle.name,
            line,
            "columns",
            "read it again from a copy that does not change",
        )
    return row


def _invalid(message: str, path: Path | str, line: int, field: str, detail: str) -> InvalidInput:
    return InvalidInput(message, [FieldError(field, detail, f"{path}:{line}")])
