"""`au-xlsx`: the Australian Sanctions Consolidated List (DFAT), the XLSX workbook DFAT publishes.

One sheet, "Consolidated List", one row per name. The rows of one listing share the numeric part
of "Reference": the row with the bare number (2961) is the listing and its primary name, the rows
with a letter (2961a, 2961b) its aliases and original-script names. They are adjacent in DFAT's
file, so the reader streams the sheet (openpyxl read-only mode) and holds one listing's rows at a
time. Rows of a listing that turn up again further down are read as another part of the same
listing, with a warning, and are not counted twice.

`report.targets` counts reference numbers that have their own, unsuffixed row: DFAT's listings.
Lettered rows whose number has no such row are kept as an entity of their own, with a warning, and
not counted. Columns the reader does not know are counted in `report.unmapped` by column name.
"""

from __future__ import annotations

import datetime
import re
import warnings
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from dignity.exc import ConfigurationError, FieldError, InvalidInput
from dignity.sources.entities import emit
from dignity.sources.formats.au_values import (
    addresses,
    cell_dates,
    countries,
    first_date,
    un_reference,
)
from dignity.sources.formats.un_au_ca_common import (
    Listing,
    ReadState,
    clean_text,
    split_enumerated,
)
from dignity.sources.report import ImportReport

FORMAT = "au-xlsx"
PUBLISHER = "au-dfat"
DEFAULT_LIST = "au_dfat_consolidated"
TITLE = "Australian Sanctions Consolidated List (DFAT)"
PUBLISHER_NAME = "Australian Government, Department of Foreign Affairs and Trade"
SOURCE_URL = "https://www.dfat.gov.au/international-relations/security/sanctions/consolidated-list"
SHEET = "Consolidated List"

REFERENCE = "Reference"
NAME = "Name of Individual or Entity"
TYPE = "Type"
NAME_TYPE = "Name Type"
STRENGTH = "Alias Strength"
REQUIRED = (REFERENCE, NAME, TYPE, NAME_TYPE)
# Yes/no columns: each "yes" becomes a provision of the listing's Sanction.
PROVISIONS = ("Targeted Financial Sanction", "Travel Ban", "Arms Embargo", "Maritime Restriction")
KNOWN = {
    *REQUIRED,
    STRENGTH,
    "Date of Birth",
    "Place of Birth",
    "Citizenship",
    "Address",
    "Additional Information",
    "Listing Information",
    "IMO Number",
    "Committees",
    "Control Date",
    "Instrument of Designation",
    *PROVISIONS,
}
# Columns that describe the listing rather than the row's name: the same on most of its rows.
LISTING_COLUMNS = tuple(sorted(KNOWN - {REFERENCE, NAME, TYPE, NAME_TYPE, STRENGTH}))
SCHEMA_BY_TYPE = {"individual": "Person", "entity": "Organization", "vessel": "Vessel"}
_REFERENCE = re.compile(r"(\d+)\s*([A-Za-z]*)")
# A workbook whose parts would expand beyond these is refused before it is read (a zip bomb):
# DFAT's sheet is 8 MB, 8.6 times its compressed size (2026-02).
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_WORKBOOK_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100  # expanded / compressed, for parts over 1 MiB
# What openpyxl and zipfile let through from a damaged archive or sheet (zipfile raises
# NotImplementedError for a compression method it does not know, openpyxl TypeError for an
# attribute its classes do not take).
_BROKEN = (
    KeyError,
    TypeError,
    ValueError,
    OSError,
    SyntaxError,
    EOFError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)


@dataclass
class _Row:
    line: int
    reference: str
    cells: dict[str, object]

    def text(self, column: str) -> str:
        return clean_text(self.cells.get(column))


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    state = ReadState(path, report, dataset, PUBLISHER, "au", PUBLISHER_NAME, SOURCE_URL)
    workbook = _open(path, report)
    rows = _rows(path, workbook)
    try:
        report.publisher_date = _workbook_date(workbook)
        columns = _header(path, next(rows, None))
        seen: dict[str, int] = {}
        group: list[_Row] = []
        for line, values in rows:
            row = _row(state, line, columns, values)
            if row is None:
                continue
            number = _number(row.reference)
            if group and number != _number(group[0].reference):
                yield from _listing(state, group, seen)
                group = []
            group.append(row)
        if group:
            yield from _listing(state, group, seen)
    finally:
        rows.close()
        workbook.close()
    if not seen:
        raise InvalidInput(
            "no listings in the DFAT consolidated list",
            [FieldError(REFERENCE, "the sheet has no data rows", f"{path}:2")],
        )


def _open(path: Path, report: ImportReport) -> Workbook:
    """The workbook, read-only; what openpyxl warns about while loading it (parts the reader
    does not use, such as styles or defined names, that it cannot read) goes to the report."""
    if not openpyxl.xml.DEFUSEDXML:
        raise ConfigurationError("openpyxl is not using defusedxml; refusing to read XLSX files")
    try:
        _check_sizes(path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for warning in caught:
            report.warn(str(path), "workbook", str(warning.message))
        return workbook
    except (InvalidFileException, zipfile.BadZipFile) as error:
        problem = "not an XLSX workbook (not a ZIP archive of the expected kind)"
        raise InvalidInput(problem, [FieldError("workbook", str(error), str(path))]) from error
    except (*_BROKEN, zipfile.LargeZipFile) as error:
        problem = "not a readable XLSX workbook"
        raise InvalidInput(problem, [FieldError("workbook", str(error), str(path))]) from error


def _check_sizes(path: Path) -> None:
    """Refuse a workbook whose parts would expand past the limits, from the sizes the archive
    declares (zipfile stops a part at its declared size and checks its CRC)."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        big = part.file_size > 1024 * 1024 and ratio > MAX_RATIO
        if part.file_size > MAX_PART_BYTES or big or total > MAX_WORKBOOK_BYTES:
            message = (
                f"{part.filename} would expand to {part.file_size:,} bytes from "
                f"{part.compress_size:,} ({ratio:,.0f} times; the workbook to {total:,}): "
                "refused as a possible zip bomb"
            )
            raise InvalidInput("workbook too large", [FieldError("workbook", message, str(path))])


def _workbook_date(workbook: Workbook) -> str | None:
    """When DFAT saved the workbook (its document properties): the list's date."""
    stamp = workbook.properties.modified or workbook.properties.created
    return stamp.strftime("%Y-%m-%d") if isinstance(stamp, datetime.datetime) else None


def _rows(path: Path, workbook: Workbook) -> Generator[tuple[int, tuple[object, ...]], None, None]:
    """The sheet's rows with their line numbers; a broken sheet raises `InvalidInput`."""
    if not workbook.sheetnames:
        raise InvalidInput("the workbook has no sheet", [FieldError("sheet", "none", str(path))])
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    line = 0
    try:
        while True:
            line += 1
            try:
                values = next(iterator)
            except StopIteration:
                return
            except _BROKEN as error:
                raise InvalidInput(
                    "the workbook's sheet cannot be read",
                    [FieldError("sheet", str(error), f"{path}:{line}")],
                ) from error
            yield line, values
    finally:
        iterator.close()  # closes the sheet's stream inside the ZIP archive


def _header(path: Path, first: tuple[int, tuple[object, ...]] | None) -> list[str]:
    header = [clean_text(cell) for cell in first[1]] if first else []
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise InvalidInput(
            "not the DFAT consolidated list",
            [
                FieldError(column, "column missing from the header row", f"{path}:1")
                for column in missing
            ],
        )
    return header


def _row(
    state: ReadState, line: int, columns: list[str], values: tuple[object, ...]
) -> _Row | None:
    cells = {column: value for column, value in zip(columns, values, strict=False) if column}
    if not any(clean_text(value) for value in cells.values()):
        return None
    reference = clean_text(cells.get(REFERENCE))
    if _REFERENCE.fullmatch(reference) is None:
        state.report.warn(
            state.at_line(line), REFERENCE, f"{reference!r} is not a DFAT reference; row left out"
        )
        return None
    for column, value in cells.items():
        if column not in KNOWN and clean_text(value):
            state.report.unmapped[column] += 1
    return _Row(line, reference, cells)


def _number(reference: str) -> str:
    match = _REFERENCE.fullmatch(reference)
    return match.group(1) if match else reference


def _listing(state: ReadState, rows: list[_Row], seen: dict[str, int]) -> Iterator[StatementEntity]:
    number = _number(rows[0].reference)
    listing = _Builder(state, number, rows).build()
    primary = any(row.reference == number for row in rows)
    if number in seen:
        listing.warn(
            REFERENCE,
            f"rows of reference {number} are not adjacent (first seen at line {seen[number]}); "
            "read as another part of the same listing",
        )
    elif primary:
        state.report.targets += 1
    else:
        first = rows[0]
        listing.warn(
            NAME_TYPE,
            f"reference {number} has no row of its own (only {first.reference}); "
            "kept as an entity named by that row, not counted as a listing",
            state.at_line(first.line),
        )
    seen.setdefault(number, rows[0].line)
    for entity in listing.entities():
        yield emit(state.report, entity)


class _Builder:
    """Builds one listing's entities from its rows."""

    def __init__(self, state: ReadState, number: str, rows: list[_Row]) -> None:
        self.state = state
        self.rows = rows
        self.number = number
        location = state.at_record(number)
        self.listing = Listing.start(state, number, self.schema(location), location)

    def schema(self, location: str) -> str:
        types = [row.text(TYPE) for row in self.rows if row.reference == self.number]
        types += [row.text(TYPE) for row in self.rows]
        types = [kind for kind in types if kind]
        kinds = {kind.lower() for kind in types}
        if len(kinds) > 1:
            self.state.report.warn(location, TYPE, f"rows disagree on the type: {sorted(kinds)}")
        schema = SCHEMA_BY_TYPE.get(types[0].lower()) if types else None
        if schema is None:
            self.state.report.warn(location, TYPE, f"unknown type {types[:1]}; read as LegalEntity")
            return "LegalEntity"
        return schema

    def build(self) -> Listing:
        if not any(row.text(NAME_TYPE).lower() == "primary name" for row in self.rows):
            first = self.rows[0]
            self.listing.put(
                "name", first.text(NAME), NAME, location=self.state.at_line(first.line)
            )
        read: set[tuple[str, ...]] = set()
        for row in self.rows:
            self.name(row)
            # Every row repeats the listing's details; read each distinct set of them once.
            details = tuple(repr(row.cells.get(column)) for column in LISTING_COLUMNS)
            if details not in read:
                read.add(details)
                self.details(row)
                self.sanction(row)
        self.un_reference()
        return self.listing

    def name(self, row: _Row) -> None:
        """The listing's own row is its primary name; a lettered row is an alias or a name in
        its original script, as "Name Type" says."""
        listing = self.listing
        name, kind = row.text(NAME), row.text(NAME_TYPE).lower()
        strength = row.text(STRENGTH).lower()
        where = self.state.at_line(row.line)
        if not name:
            listing.warn(NAME, f"row {row.reference} has no name", where)
            return
        own_row = row.reference == self.number
        if own_row or kind == "primary name":
            if own_row != (kind == "primary name"):
                listing.warn(
                    NAME_TYPE,
                    f"row {row.reference} is {row.text(NAME_TYPE)!r}; read as a primary name",
                    where,
                )
            listing.put("name", name, NAME, location=where)
        elif kind == "alias":
            if strength not in {"strong", "weak"}:
                message = f"alias strength {strength!r} unknown; read as strong"
                listing.warn(STRENGTH, message, where)
            prop = "weakAlias" if strength == "weak" else "alias"
            listing.put(prop, name, NAME, location=where)
        elif kind == "original script":
            listing.put("alias", name, NAME, location=where)
        else:
            listing.warn(NAME_TYPE, f"unknown name type {kind!r}; name read as alias", where)
            listing.put("alias", name, NAME, location=where)

    def details(self, row: _Row) -> None:
        listing, cells = self.listing, row.cells
        where = self.state.at_line(row.line)
        person = listing.entity.schema.is_a("Person")
        dates = cell_dates(cells.get("Date of Birth"))
        listing.put_all("birthDate", dates.dates, "Date of Birth")
        for date in dates.approximate:
            listing.note("Date of birth", f"approximately {date}", "Date of Birth")
        for low, high in dates.ranges:
            listing.note("Date of birth", f"between {low} and {high}", "Date of Birth")
        if dates.unread:
            text = row.text("Date of Birth")
            listing.warn("Date of Birth", f"could not read {dates.unread} in {text!r}", where)
            listing.note("Date of birth", text, "Date of Birth")
        listing.put_all(
            "birthPlace", split_enumerated(cells.get("Place of Birth")), "Place of Birth"
        )
        found = countries(cells.get("Citizenship"))
        listing.put_all("citizenship" if person else "country", found.codes, "Citizenship")
        if found.unread:
            text = row.text("Citizenship")
            listing.warn("Citizenship", f"{found.unread} not read as countries", where)
            listing.note("Citizenship", text, "Citizenship")
        for text, country in addresses(cells.get("Address")):
            parts = {"country": country} if country else {}
            listing.address(text, "Address", **parts)
        listing.put("notes", row.text("Additional Information"), "Additional Information")
        imo = row.text("IMO Number")
        if imo and not listing.put("imoNumber", imo, "IMO Number", location=where):
            listing.note("IMO number", imo, "IMO Number")

    def un_reference(self) -> None:
        """The UN reference a listing's note starts with, as `unscId` of its Sanction.

        The listing's own row decides when its rows disagree (a typo on one alias row)."""
        listing = self.listing
        found: list[tuple[_Row, str]] = []
        for row in self.rows:
            code = row.text("Committees")
            note = row.cells.get("Additional Information")
            reference = un_reference(note, loose=not code.startswith("Autonomous"))
            if reference is None:
                continue
            where = self.state.at_line(row.line)
            written = reference.as_written
            if reference.value is None:
                message = f"{written!r} looks like a UN reference but is incomplete; not carried"
                listing.warn("Additional Information", message, where)
            elif reference.repaired:
                message = f"UN reference written {written!r}; read as {reference.value}"
                listing.warn("Additional Information", message, where)
            if reference.value is not None:
                found.append((row, reference.value))
        if not found:
            return
        own = [(row, value) for row, value in found if row.reference == self.number]
        row, value = (own or found)[0]
        for other, other_value in found:
            if other_value != value:
                message = (
                    f"row {other.reference} gives UN reference {other_value}, row "
                    f"{row.reference} gives {value}; {value} kept"
                )
                listing.warn("Additional Information", message, self.state.at_line(other.line))
        sanction = listing.sanction(row.text("Committees"), "Committees")
        listing.put("unscId", value, "Additional Information", entity=sanction)

    def sanction(self, row: _Row) -> None:
        listing, cells = self.listing, row.cells
        code = row.text("Committees")
        sanction = listing.sanction(code, "Committees")
        listing.put("authorityId", self.number, REFERENCE, entity=sanction)
        info = cells.get("Listing Information")
        if isinstance(info, datetime.datetime | datetime.date):
            info = f"{info:%Y-%m-%d}"
        listing.put("summary", info, "Listing Information", entity=sanction)
        listing.put("listingDate", first_date(info), "Listing Information", entity=sanction)
        instrument = cells.get("Instrument of Designation")
        if isinstance(instrument, datetime.datetime | datetime.date):
            instrument = f"Instrument of designation dated {instrument:%Y-%m-%d}"
        listing.put("description", instrument, "Instrument of Designation", entity=sanction)
        control = cells.get("Control Date")
        if isinstance(control, datetime.datetime | datetime.date):
            listing.put("modifiedAt", f"{control:%Y-%m-%d}", "Control Date", entity=sanction)
        else:
            listing.put("modifiedAt", first_date(control), "Control Date", entity=sanction)
        for column in PROVISIONS:
            value = cells.get(column)
            if value is True or clean_text(value).lower() in {"true", "yes", "y"}:
                listing.put("provisions", column, column, entity=sanction)
