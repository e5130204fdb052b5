"""Rows of a batch file as screening queries: which column holds which property.

A column maps to a FollowTheMoney property by `--map property=column`, or by its own name when
that is a property's (`name`, `Birth Date`, `passport_number`, and a few common others such as
`DOB`). Each row is a query of the schema in its `schema` column, or else of `--schema`.

A row that cannot be screened (no name or identifier, an unknown schema, unreadable) gets an error
naming the row and the field. A value that cannot be read (a date that is not a date, a country
that is no country) is left out and named in a warning, and the row is screened on the rest:
leaving out a date or a country can only widen what the row matches, never hide a listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from followthemoney import model

from dignity.exc import FieldError, InvalidInput
from dignity.screening.batch_files import Row
from dignity.screening.records import (
    COUNTRY_PROPS,
    DATE_PROPS,
    IDENTIFIER_PROPS,
    MATCHABLE,
    Record,
    query_record,
)
from dignity.screening.text import NAME_KINDS

SCHEMA_FIELD = "schema"
# Parts of a person's name: joined into `name` when a row has no full name.
NAME_PARTS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
# Properties a column maps to by its name: what the matcher reads, and the parts of a name.
BY_NAME = (*NAME_KINDS, *DATE_PROPS, *COUNTRY_PROPS, *IDENTIFIER_PROPS, "gender", *NAME_PARTS)
SYNONYMS = {
    "fullname": "name",
    "dob": "birthDate",
    "dateofbirth": "birthDate",
    "imo": "imoNumber",
    "passport": "passportNumber",
}
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_CACHE_MAX = 1000  # JSON lines may name different fields on every line


def _simple(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


_BY_SIMPLE_NAME = {_simple(p): p for p in BY_NAME} | SYNONYMS | {SCHEMA_FIELD: SCHEMA_FIELD}
_SCHEMATA = {name.lower(): name for name in MATCHABLE}
_PROPERTIES = {p for name in MATCHABLE for p in model.schemata[name].properties}


@dataclass
class Prepared:
    """One row as a query, or why it is none."""

    number: int
    key: str  # the caller's id for the row (its number when there is no id column)
    schema: str
    properties: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    record: Record | None = None


def parse_schema(value: str) -> str | None:
    """The screenable schema a value names (any case), or None."""
    return _SCHEMATA.get(value.strip().lower())


class ColumnMap:
    """Turns rows into queries; built once per run, and checked against the header when known."""

    def __init__(
        self,
        mapping: Sequence[tuple[str, str]],
        schema: str,
        id_column: str | None,
        header: Sequence[str] | None,
        where: str,
    ) -> None:
        default = parse_schema(schema)
        if default is None:
            raise InvalidInput("unknown schema", [FieldError("--schema", _schema_problem(schema))])
        self.schema = default
        self.id_column = id_column
        self._explicit: dict[str, str] = {}
        for prop, column in mapping:
            if prop != SCHEMA_FIELD and prop not in _PROPERTIES:
                problem = f"{prop}={column}: {prop!r} is not a property of a screenable schema"
                raise InvalidInput("bad column mapping", [FieldError("--map", problem)])
            if self._explicit.get(column, prop) != prop:
                problem = f"column {column!r} is mapped twice"
                raise InvalidInput("bad column mapping", [FieldError("--map", problem)])
            self._explicit[column] = prop
        self._cache: dict[tuple[str, ...], dict[str, str]] = {}
        self._header: dict[str, str] = {}
        if header is not None:
            self._check_header(header, where)

    def _check_header(self, header: Sequence[str], where: str) -> None:
        named = [("--map", column) for column in self._explicit]
        if self.id_column is not None:
            named.append(("--id-column", self.id_column))
        for option, column in named:
            if column not in header:
                columns = ", ".join(repr(c) for c in header)
                problem = f"no column {column!r}; the columns are {columns}"
                raise InvalidInput("no such column", [FieldError(option, problem, where)])
        resolved = self._header = self.resolve(header)
        if SCHEMA_FIELD in resolved.values():
            return
        schema = model.schemata[self.schema]
        for column, prop in resolved.items():
            if prop not in schema.properties:
                problem = (
                    f"maps to {prop}, which a {self.schema} does not have; pass --schema "
                    "(Person, ...) or add a schema column"
                )
                problems = [FieldError(column, problem)]
                raise InvalidInput("a column does not fit the schema", problems)

    def resolve(self, columns: Iterable[str]) -> dict[str, str]:
        """column -> property (or `schema`) for the columns that map to one."""
        key = tuple(columns)
        found = self._cache.get(key)
        if found is not None:
            return found
        found = {}
        taken = set(self._explicit.values())
        for column in key:
            if column in self._explicit:
                found[column] = self._explicit[column]
            elif column != self.id_column:
                prop = _BY_SIMPLE_NAME.get(_simple(column))
                if prop is not None and prop not in taken:
                    found[column] = prop
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = found
        return found

    def prepare(self, row: Row) -> Prepared:
        """The row as a query (with its matchable record), or with the error that stops it."""
        where = f"row {row.number}"
        key = str(row.number)
        warnings = [f"{where}, {note}" for note in row.notes]
        if self.id_column is not None:
            ids = row.values.get(self.id_column)
            if ids:
                key = ids[0]
            elif not row.unreadable:
                problem = f"column {self.id_column!r}: empty; the row number is used"
                warnings.append(f"{where}, {problem}")
        if row.unreadable:
            return Prepared(row.number, key, "", {}, warnings, f"{where}: {row.unreadable}")
        columns = self.resolve(row.values)
        schema = self.schema
        for column, prop in columns.items():
            if prop == SCHEMA_FIELD:
                value = row.values[column][0]
                found = parse_schema(value)
                if found is None:
                    error = f"{where}, column {column!r}: {_schema_problem(value)}"
                    properties = {p: row.values[c] for c, p in columns.items() if p != prop}
                    return Prepared(row.number, key, value, properties, warnings, error)
                schema = found
        properties = self._properties(row, where, columns, schema, warnings)
        prepared = Prepared(row.number, key, schema, properties, warnings)
        try:
            prepared.record = query_record(schema, properties, key="q")
        except InvalidInput as error:
            known = {**self._explicit, **self._header, **columns}
            prepared.error = "; ".join(_describe(where, e, known) for e in error.errors)
        return prepared

    def _properties(
        self,
        row: Row,
        where: str,
        columns: dict[str, str],
        schema_name: str,
        warnings: list[str],
    ) -> dict[str, list[str]]:
        schema = model.schemata[schema_name]
        properties: dict[str, list[str]] = {}
        for column, prop_name in columns.items():
            if prop_name == SCHEMA_FIELD:
                continue
            prop = schema.get(prop_name)
            if prop is None:
                warnings.append(f"{where}, column {column!r}: a {schema_name} has no {prop_name}")
                continue
            for value in row.values[column]:
                if prop.type.name != "name" and prop.type.clean(value, proxy=None) is None:
                    label = prop.type.label.lower()
                    warnings.append(
                        f"{where}, column {column!r} ({prop_name}): {value!r} is not a {label}; "
                        "screened without it"
                    )
                    continue
                properties.setdefault(prop_name, []).append(value)
        if "name" not in properties:
            parts = [v for part in NAME_PARTS for v in properties.get(part, ())[:1]]
            if parts:
                properties["name"] = [" ".join(parts)]
        return properties


def _schema_problem(value: str) -> str:
    return f"{value!r} is not a schema that can be screened; use one of {', '.join(MATCHABLE)}"


def _describe(where: str, error: FieldError, columns: dict[str, str]) -> str:
    """A matcher's complaint (`q.properties.name: ...`) in the row's own terms."""
    prop = error.field.removeprefix("q.").removeprefix("properties.")
    column = next((c for c, p in columns.items() if p == prop), None)
    field_name = f"column {column!r} ({prop})" if column else f"field {prop}"
    return f"{where}, {field_name}: {error.message}"
