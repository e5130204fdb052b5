"""Batch screening files: customer lists in (CSV, XLSX, JSON lines), results out (the same three).

An input is read as rows of column -> values, each with its number in the file (the line of a CSV
or JSON-lines file, the row of a sheet), so that every problem names where it is. A run keeps its
results as JSON lines, one per input row, appended chunk by chunk so that it can resume; they are
rendered in the output's format at the end. No cell written to CSV or XLSX can start a formula
(SECURITY.md item 29).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dignity.exc import ConfigurationError, FieldError, InvalidInput
from dignity.security.exports import safe_cell
from dignity.store.files import fsync_directory

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

INPUT_KINDS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
OUTPUT_KINDS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DELIMITERS = ",;\t|"
SNIFF_CHARS = 64 * 1024
BLOCK = 1 << 20
_READ_ERRORS = (KeyError, ValueError, OSError, SyntaxError, EOFError, zipfile.BadZipFile)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the input: its number in the file and its non-empty values by column."""

    number: int
    values: dict[str, list[str]]
    notes: tuple[str, ...] = ()  # values that could not be read ("column 'x': ...")
    unreadable: str = ""  # why the row as a whole could not be read


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str
    sha256: str
    header: tuple[str, ...] | None  # None for JSON lines: each object names its own fields
    rows: int | None  # about how many rows there are, for the progress bar
    sheet: str | None = None
    delimiter: str = ","


def _kind(path: Path, kinds: dict[str, str], where: str) -> str:
    kind = kinds.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(kinds)
        raise InvalidInput(
            "unknown file type",
            [FieldError(where, f"{path.name}: the name should end in one of {known}")],
        )
    return kind


def output_kind(path: Path) -> str:
    return _kind(path, OUTPUT_KINDS, "--out")


def open_input(path: Path, sheet: str | None = None) -> InputFile:
    """Check the input (UTF-8 text, a readable sheet), hash it, and read its header."""
    kind = _kind(path, INPUT_KINDS, "INPUT")
    if sheet is not None and kind != "xlsx":
        raise InvalidInput("--sheet is for XLSX files", [FieldError("--sheet", sheet)])
    sha256, lines = _digest(path, text=kind != "xlsx")
    if kind == "jsonl":
        return InputFile(path, kind, sha256, None, lines)
    if kind == "xlsx":
        with closing(_open_workbook(path)) as workbook:
            name = _sheet(workbook, path, sheet).title
            max_row = workbook[name].max_row
        source = InputFile(path, kind, sha256, None, None, sheet=name)
        header = _header(source)
        return InputFile(path, kind, sha256, header, max(max_row - 1, 0) if max_row else None, name)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff(path)
    source = InputFile(path, kind, sha256, None, None, delimiter=delimiter)
    return InputFile(path, kind, sha256, _header(source), max(lines - 1, 0), None, delimiter)


def read_rows(source: InputFile) -> Iterator[Row]:
    """The data rows of the input, in order, blank ones left out."""
    if source.kind == "jsonl":
        yield from _json_rows(source.path)
        return
    records = _records(source)
    header = source.header or ()
    next(records, None)  # the header
    for number, cells in records:
        values = {header[i]: [cell] for i, cell in enumerate(cells) if cell and i < len(header)}
        if any(cells[len(header) :]):
            unreadable = f"values beyond the {len(header)} columns of the header"
            yield Row(number, {}, unreadable=unreadable)
        else:
            yield Row(number, values)


def _digest(path: Path, text: bool) -> tuple[str, int]:
    """SHA-256 of the file and its number of lines; text must be UTF-8 (a BOM is fine)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            if text:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as error:
                    line = lines + block.count(b"\n", 0, max(error.start, 0)) + 1
                    raise _not_utf8(path, line) from error
            lines += block.count(b"\n")
            last = block[-1:]
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise _not_utf8(path, lines + 1) from error
    return digest.hexdigest(), lines + (1 if last not in (b"", b"\n") else 0)


def _not_utf8(path: Path, line: int) -> InvalidInput:
    return InvalidInput(
        "the input is not UTF-8 text",
        [FieldError("encoding", "save it as UTF-8 (Excel: CSV UTF-8)", f"{path}:{line}")],
    )


def _sniff(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(SNIFF_CHARS)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _header(source: InputFile) -> tuple[str, ...]:
    records = _records(source)
    try:
        first = next(records, None)
    finally:
        records.close()
    if first is None:
        raise InvalidInput(
            "the input is empty", [FieldError("header", "no header row", f"{source.path}:1")]
        )
    number, cells = first
    while cells and not cells[-1]:
        cells = cells[:-1]
    header = tuple(cell or f"column {i + 1}" for i, cell in enumerate(cells))
    for i, name in enumerate(header):
        if name in header[:i]:
            raise InvalidInput(
                "the header names a column twice",
                [FieldError("header", f"column {name!r} appears twice", f"{source.path}:{number}")],
            )
    return header


def _records(source: InputFile) -> Generator[tuple[int, list[str]], None, None]:
    """(number, stripped cells) of every non-blank record of a CSV file or sheet."""
    if source.kind == "xlsx":
        yield from _sheet_records(source)
        return
    with source.path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        start = 1
        try:
            for cells in reader:
                number, start = start, reader.line_num + 1
                stripped = [cell.strip() for cell in cells]
                if any(stripped):
                    yield number, stripped
        except csv.Error as error:
            raise InvalidInput(
                "the CSV file cannot be read",
                [FieldError("csv", str(error), f"{source.path}:{start}")],
            ) from error


def _open_workbook(path: Path) -> Workbook:
    import openpyxl  # only when a workbook is read: it takes a while to load
    from openpyxl.utils.exceptions import InvalidFileException

    if not openpyxl.xml.DEFUSEDXML:
        raise ConfigurationError("openpyxl is not using defusedxml; refusing to read XLSX files")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_READ_ERRORS) as error:
        raise InvalidInput(
            "not a readable XLSX workbook", [FieldError("workbook", str(error), str(path))]
        ) from error


def _sheet(workbook: Workbook, path: Path, name: str | None) -> Any:
    if name is None:
        return workbook.worksheets[0]
    if name not in workbook.sheetnames:
        known = ", ".join(repr(n) for n in workbook.sheetnames)
        raise InvalidInput(
            "no such sheet", [FieldError("--sheet", f"{name!r}; the sheets are {known}", str(path))]
        )
    return workbook[name]


def _sheet_records(source: InputFile) -> Iterator[tuple[int, list[str]]]:
    with closing(_open_workbook(source.path)) as workbook:
        rows = _sheet(workbook, source.path, source.sheet).iter_rows(values_only=True)
        number = 0
        while True:
            number += 1
            try:
                values = next(rows)
            except StopIteration:
                return
            except _READ_ERRORS as error:
                raise InvalidInput(
                    "the sheet cannot be read",
                    [FieldError("workbook", str(error), f"{source.path}:{number}")],
                ) from error
            cells = [_cell_text(value) for value in values]
            if any(cells):
                yield number, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        midnight = value.time() == datetime.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _json_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                yield Row(number, {}, unreadable=f"not JSON ({error.msg}, column {error.colno})")
                continue
            if not isinstance(data, dict):
                yield Row(number, {}, unreadable="not a JSON object")
                continue
            yield _json_row(number, data)


def _json_row(number: int, data: dict[str, Any]) -> Row:
    """A flat object (columns) or a FollowTheMoney entity (`schema`, `properties`, `id`)."""
    fields = data
    properties = data.get("properties")
    if isinstance(properties, dict):
        fields = {key: data[key] for key in ("id", "schema") if key in data}
        fields.update(properties)
    values: dict[str, list[str]] = {}
    notes: list[str] = []
    for key, raw in fields.items():
        texts = _json_texts(raw)
        if texts is None:
            notes.append(f"field {key!r}: an object, not a value; ignored")
        elif texts:
            values[str(key)] = texts
    return Row(number, values, tuple(notes))


def _json_texts(raw: object) -> list[str] | None:
    items = raw if isinstance(raw, list) else [raw]
    texts = []
    for item in items:
        if isinstance(item, dict | list):
            return None
        if item is None:
            continue
        text = _cell_text(item)
        if text:
            texts.append(text)
    return texts


# --- output ------------------------------------------------------------------------------------

Cell = str | int | float | None
BASE_COLUMNS = ("row", "id", "schema", "name", "query", "matched", "top_score")
MATCH_COLUMNS = ("id", "caption", "lists", "score", "match", "explanation")
TAIL_COLUMNS = (
    "error",
    "warning",
    "screening_id",
    "algorithm",
    "algorithm_version",
    "threshold",
    "list_versions",
)


def output_columns(limit: int) -> list[str]:
    matches = [f"match_{n}_{column}" for n in range(1, limit + 1) for column in MATCH_COLUMNS]
    return [*BASE_COLUMNS, *matches, *TAIL_COLUMNS]


def output_cells(record: dict[str, Any], limit: int) -> list[Cell]:
    """A result record (one JSON line of the run) as the cells of an output row."""
    query = record["query"]
    properties = query["properties"]
    cells: list[Cell] = [
        record["row"],
        record["id"],
        query["schema"],
        "; ".join(properties.get("name", ())),
        json.dumps(properties, ensure_ascii=False) if properties else "",
        record["matched"],
        record["top_score"],
    ]
    results = record["results"]
    for n in range(limit):
        if n < len(results):
            hit = results[n]
            lists = "; ".join(hit["lists"])
            cells += [hit["id"], hit["caption"], lists, hit["score"], hit["match"]]
            cells.append(hit["explanation"])
        else:
            cells += [None] * len(MATCH_COLUMNS)
    versions = json.dumps(record["list_versions"], sort_keys=True)
    cells += [
        record["error"],
        record["warning"],
        record["screening_id"],
        record["algorithm"],
        record["algorithm_version"],
        record["threshold"],
        versions,
    ]
    return cells


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return safe_cell(str(value))


def _records_of(partial: Path) -> Iterator[dict[str, Any]]:
    with partial.open(encoding="utf-8") as handle:
        for line in handle:
            record: dict[str, Any] = json.loads(line)
            yield record


def render_output(partial: Path, out: Path, kind: str, limit: int) -> None:
    """Replace `out` atomically with the run's results in its format; `partial` is consumed."""
    if kind == "jsonl":
        os.replace(partial, out)
        fsync_directory(out.parent)
        return
    with _replacing(out) as handle:
        if kind == "csv":
            _write_csv(handle, _records_of(partial), limit)
        else:
            _write_xlsx(handle, _records_of(partial), limit)
    partial.unlink()


def write_atomically(out: Path, lines: Iterable[str]) -> int:
    """Replace `out` atomically with `lines` (UTF-8); how many there were."""
    written = 0
    with _replacing(out) as handle:
        for line in lines:
            handle.write(line.encode())
            written += 1
    return written


@contextmanager
def _replacing(out: Path) -> Iterator[IO[bytes]]:
    """A file that replaces `out` when the block ends (SECURITY.md item 43), mode 0600."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(out.parent)


def _write_csv(handle: IO[bytes], records: Iterable[dict[str, Any]], limit: int) -> None:
    # With a byte-order mark, so that Excel reads it as UTF-8 (names in Arabic, Cyrillic ...).
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(output_columns(limit))
    for record in records:
        writer.writerow([_csv_cell(cell) for cell in output_cells(record, limit)])
    text.flush()
    text.detach()


def _write_xlsx(handle: IO[bytes], records: Iterable[dict[str, Any]], limit: int) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("screening")
    sheet.append(output_columns(limit))
    for record in records:
        row = []
        for value in output_cells(record, limit):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            row.append(cell)
        sheet.append(row)
    workbook.save(handle)
