"""Subjects in bulk from a CSV, XLSX or JSON-lines file, with the batch screener's column mapping.

All or nothing: every row is read and checked first; if any row cannot be a subject, the file is
refused with each problem named by row and column, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from dignity.exc import FieldError, InvalidInput
from dignity.screening.batch_columns import ColumnMap
from dignity.screening.batch_files import open_input, read_rows
from dignity.screening.monitoring.subjects import SubjectRow, subject_row

ERRORS_SHOWN = 20

RowProgress = Callable[[int, int | None], None]


def read_subject_file(
    path: Path,
    *,
    mapping: Sequence[tuple[str, str]],
    schema: str,
    id_column: str,
    sheet: str | None = None,
    progress: RowProgress | None = None,
) -> tuple[list[SubjectRow], list[str]]:
    """The file's rows as subjects, and the warnings (values left out); refused on any error."""
    source = open_input(path, sheet)
    columns = ColumnMap(mapping, schema, id_column, source.header, str(path))
    rows: list[SubjectRow] = []
    errors: list[FieldError] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for row in read_rows(source):
        prepared = columns.prepare(row)
        warnings.extend(w for w in prepared.warnings if "the row number is used" not in w)
        where = f"{path.name}, row {row.number}"
        if not row.values.get(id_column):
            errors.append(FieldError(id_column, "no reference in this row", where))
        elif prepared.error:
            errors.append(FieldError("row", prepared.error, where))
        elif prepared.key in seen:
            problem = f"reference {prepared.key!r} is also on row {seen[prepared.key]}"
            errors.append(FieldError(id_column, problem, where))
        else:
            seen[prepared.key] = row.number
            try:
                rows.append(
                    subject_row(row.number, prepared.key, prepared.schema, prepared.properties)
                )
            except InvalidInput as error:
                errors.extend(FieldError(e.field, e.message, where) for e in error.errors)
        if progress is not None and row.number % 1000 == 0:
            progress(row.number, source.rows)
    if errors:
        shown = errors[:ERRORS_SHOWN]
        more = len(errors) - len(shown)
        message = f"{path.name}: {len(errors):,} rows cannot be subjects; nothing was stored"
        if more:
            message += f" (the first {ERRORS_SHOWN} are listed)"
        raise InvalidInput(message, shown)
    if not rows:
        raise InvalidInput(f"{path.name}: no rows", [FieldError("file", "no subjects in it")])
    return rows, warnings
