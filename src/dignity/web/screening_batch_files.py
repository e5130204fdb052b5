"""Batch screening uploads: the multipart form read as it arrives, and the file checked.

`UploadReader` parses the request body as it streams in (never spooled by Starlette): the text
fields into memory (few and small), the one file into a file of mode 0600, up to the limit. The
form's CSRF token must come before the file (browsers send fields in the form's order, and the
token is the form's first field): nothing is written for a request without it. The file's type is
told by its content, never its name: an XLSX file must be a zip holding an Excel workbook (and not
unpack to too much), CSV and JSON lines must be UTF-8 text. `check_file` then opens it the batch
engine's way and checks that its rows can be screened as the form says.
"""

from __future__ import annotations

import codecs
import os
import unicodedata
import zipfile
from itertools import islice
from pathlib import Path
from typing import IO, Any

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from dignity.exc import DignityError, InvalidInput
from dignity.screening.batch_columns import NAME_PARTS, ColumnMap
from dignity.screening.batch_files import InputFile, open_input, read_rows
from dignity.screening.records import IDENTIFIER_PROPS
from dignity.screening.text import NAME_KINDS
from dignity.security.tokens import same

FIELD_MAX = 2000  # bytes of one text field of the form
FIELDS_MAX = 30  # text fields in one upload
DRAIN_FACTOR = 2  # a refused upload is read (and dropped) up to this many times the limit
UNZIPPED_FACTOR = 25  # a workbook may unpack to this many times the upload limit
ZIP_ENTRIES_MAX = 1000
LINE_MAX = 64 * 1024  # bytes of one line of a text file: a huge cell takes the matcher minutes
OOXML_PARTS = frozenset({"[Content_Types].xml", "xl/workbook.xml"})
# Column fields of the form and the property each one names the column of.
COLUMN_FIELDS = {"name_column": "name", "birth_date_column": "birthDate",
                 "nationality_column": "nationality"}  # fmt: skip
TEXT_FIELDS = frozenset(
    {"csrf_token", "schema", "dataset", "threshold", "output", "id_column", *COLUMN_FIELDS}
)
NAMING = frozenset({*NAME_KINDS, *NAME_PARTS, *IDENTIFIER_PROPS})  # what a row needs one of


class _Stop(Exception):
    """Stops reading the form."""


class UploadReader:
    """Reads a multipart form as it arrives: the text fields into memory (few and small), the one
    file into `path` (mode 0600) up to `limit` bytes."""

    def __init__(self, path: Path, limit: int, token: str) -> None:
        self.path, self.limit, self.token = path, limit, token
        self.fields: dict[str, str] = {}
        self.file_name: str | None = None
        self.size = 0
        self.problem = ""  # too_big, csrf or malformed
        self._header = b""
        self._value = b""
        self._disposition = b""
        self._name = ""
        self._file: IO[bytes] | None = None
        self._pending: list[bytes] = []

    async def read(self, request: Request) -> None:
        kind, params = parse_options_header(request.headers.get("content-type"))
        if kind != b"multipart/form-data" or b"boundary" not in params:
            self.problem = "malformed"
            return
        parser = MultipartParser(
            params[b"boundary"],
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )
        received, ceiling = 0, DRAIN_FACTOR * self.limit + (1 << 20)
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if self.problem:  # read on, so that the browser gets to show the answer
                    if received > ceiling:
                        break
                    continue
                try:
                    parser.write(chunk)
                except _Stop:
                    pass
                except FormParserError:
                    self.problem = "malformed"
                if self._pending and not self.problem:
                    await run_in_threadpool(self._flush)
            if not self.problem:
                parser.finalize()
        except FormParserError:
            self.problem = "malformed"
        finally:
            if self._file is not None:
                self._file.close()
            if self.problem:
                self.path.unlink(missing_ok=True)

    def _flush(self) -> None:
        if self._file is not None:
            self._file.write(b"".join(self._pending))
        self._pending.clear()

    def _fail(self, problem: str) -> None:
        self.problem = problem
        raise _Stop

    def _begin(self) -> None:
        self._disposition, self._value, self._name = b"", b"", ""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition += data[start:end]

    def _header_end(self) -> None:
        self._header = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            if len(self.fields) >= FIELDS_MAX:
                self._fail("malformed")
            return
        if self._name != "file" or self.file_name is not None:
            self._fail("malformed")
        if not same(self.fields.get("csrf_token", ""), self.token):
            self._fail("csrf")  # the token comes first, or nothing is written
        self.file_name = options[b"filename"].decode("utf-8", "replace")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        self._file = os.fdopen(fd, "wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:
            self._value += data[start:end]
            if len(self._value) > FIELD_MAX:
                self._fail("malformed")
            return
        self.size += end - start
        if self.size > self.limit:
            self._fail("too_big")
        self._pending.append(data[start:end])

    def _end(self) -> None:
        if self._file is None and self._name in TEXT_FIELDS:
            self.fields.setdefault(self._name, self._value.decode("utf-8", "replace"))
        elif self._file is not None:
            self._flush()
            self._file.close()
            self._file = None


def clean_file_name(name: str) -> str:
    """The name the user gave the file, fit to show, to record and to save under: no folders, no
    control or direction characters, no leading dot, at most about 120 bytes."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    kept = "".join(c for c in name if unicodedata.category(c)[0] in "LNPSZ")
    kept = " ".join(kept.split()).lstrip(".-_ ")
    stem, dot, suffix = kept.rpartition(".")
    if not dot:
        stem, suffix = kept, ""
    while len(stem.encode()) > 100:
        stem = stem[:-1]
    stem = stem.rstrip() or "customers"
    return f"{stem}.{suffix[:10]}" if suffix else stem


# --- checking the file -------------------------------------------------------------------------


class FormProblems(Exception):
    """What is wrong with the form, by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("the form has problems")
        self.errors = errors


def problem(field_name: str, message: str) -> FormProblems:
    return FormProblems({field_name: [message]})


def content_kind(path: Path, limit: int) -> str:
    """csv, xlsx or jsonl, by what the file holds (its name may say anything)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise problem("file", "The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        _check_workbook(path, limit)
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise problem("file", "This is an old Excel file (.xls): save it as .xlsx or CSV UTF-8.")
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, run, first = 1, 0, ""  # run: the bytes of the line so far
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as error:
                line += block.count(b"\n", 0, max(error.start, 0))
                raise problem(
                    "file",
                    f"Line {line} is not UTF-8 text. Upload a CSV, Excel (.xlsx) or JSON-lines "
                    "file; save a CSV file as UTF-8 (in Excel: “CSV UTF-8”).",
                ) from error
            if "\0" in text:
                raise problem("file", "This is not a CSV, Excel (.xlsx) or JSON-lines file.")
            start = 0
            while (end := block.find(b"\n", start)) >= 0:
                if run + end - start > LINE_MAX:
                    break
                line, run, start = line + 1, 0, end + 1
            run += len(block) - start
            if run > LINE_MAX:
                raise problem(
                    "file",
                    f"Line {line} is longer than {LINE_MAX // 1024} KB: this is not a list of "
                    "customers, one a line.",
                )
            first = first or text.lstrip("\ufeff \t\r\n")[:1]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise problem("file", "The file ends in the middle of a character.") from error
    return "jsonl" if first == "{" else "csv"


def _check_workbook(path: Path, limit: int) -> None:
    """A zip holding the parts of an Excel workbook, and not unpacking to too much."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise problem("file", "This is not a readable Excel workbook (.xlsx).") from error
    if len(entries) > ZIP_ENTRIES_MAX or not {e.filename for e in entries} >= OOXML_PARTS:
        raise problem("file", "This is a zip file, but not an Excel workbook (.xlsx).")
    # The declared sizes hold: zipfile stops reading an entry there and checks its CRC.
    if sum(entry.file_size for entry in entries) > UNZIPPED_FACTOR * limit:
        raise problem("file", "This workbook unpacks to too much data: save it as CSV UTF-8.")


def describe(error: DignityError, path: Path) -> str:
    """The engine's message about the file at `path` as a sentence: with line numbers, without
    the folder the file is in on the server."""
    details = []
    for item in getattr(error, "errors", ()):
        line = item.location.rpartition(":")[2] if item.location else ""
        details.append(f"{item.message} (line {line})" if line.isdigit() else item.message)
    text = error.message + (f": {'; '.join(details)}" if details else "")
    text = text.replace(f"{path.parent}{os.sep}", "")
    return f"{text[:1].upper()}{text[1:].rstrip('.')}."


def _count_rows(source: InputFile, most: int) -> int:
    """How many rows the file has (`most` + 1 at most: counting stops there)."""
    if source.rows is not None and source.rows <= most:
        return source.rows  # lines, or sheet rows: never fewer than the rows
    return sum(1 for _ in islice(read_rows(source), most + 1))


def check_file(path: Path, form: dict[str, Any], max_rows: int) -> InputFile:
    """Opens the file the engine's way and checks it can be screened as the form says."""
    try:
        source = open_input(path)
        if _count_rows(source, max_rows) > max_rows:
            raise problem(
                "file",
                f"The file has more than {max_rows:,} rows: split it, or have it screened on "
                "the server (dignity screen file).",
            )
        seen = source.header
        if seen is None:  # JSON lines: each object names its own fields; look at the first
            first = next((row for row in read_rows(source) if row.values), None)
            seen = tuple(first.values) if first is not None else ()
        if not seen or source.rows == 0:
            raise problem("file", "The file has no rows to screen.")
        _check_columns(form, source.header, seen)
        columns = ColumnMap(
            form["mapping"], form["schema"], form["id_column"], source.header, path.name
        )
    except InvalidInput as error:
        if error.message == "a column does not fit the schema":
            misfit = error.errors[0]
            raise problem(
                "schema",
                f"The column {misfit.field!r} {misfit.message.split(';')[0]}: choose what "
                "the rows are, or add a column named schema.",
            ) from error
        raise problem("file", describe(error, path)) from error
    if not NAMING & set(columns.resolve(seen).values()):
        raise problem(
            "name_column",
            f"No column holds names. The columns are {_listed(seen)}: write the one with the "
            "names here.",
        )
    return source


def _listed(columns: tuple[str, ...]) -> str:
    return ", ".join(repr(c) for c in columns[:20]) + (", ..." if len(columns) > 20 else "")


def _check_columns(
    form: dict[str, Any], header: tuple[str, ...] | None, seen: tuple[str, ...]
) -> None:
    errors: dict[str, list[str]] = {}
    named = [(f, c) for f in (*COLUMN_FIELDS, "id_column") if (c := form["columns"].get(f))]
    for field_name, column in named:
        if header is not None and column not in header:
            errors[field_name] = [f"No column {column!r}: the columns are {_listed(seen)}."]
        elif [c for _, c in named].count(column) > 1:
            errors[field_name] = [f"The column {column!r} is named for two things."]
    if errors:
        raise FormProblems(errors)
