"""`ftm`: FollowTheMoney entity files, the interchange format of OpenSanctions and Aleph.

JSON lines, one entity a line: `{"id": ..., "schema": ..., "properties": {"name": [...], ...}}`.
Each line is checked against the FollowTheMoney model as it is read: an unknown schema or
property, a line that is not a JSON object, a file that is not UTF-8 are fatal (`InvalidInput`
naming the file, the line and the field); a value its property's type refuses is left out with a
warning. Other top-level keys OpenSanctions writes (`datasets`, `referents`, `first_seen`, ...)
describe the publisher's own records, not the entity: they are counted in `report.unmapped`.

`report.targets` counts entities marked `"target": true`, or, in a file without that key, the
entities that can be listed (legal entities, vessels, aircraft). `write_entities` writes any
entities in the same format, for `dignity sources export`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from followthemoney import StatementEntity, model
from followthemoney.dataset import Dataset
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema

from dignity.exc import FieldError, InvalidInput
from dignity.sources.entities import emit, make_entity
from dignity.sources.report import ImportReport

FORMAT = "ftm"
PUBLISHER = "ftm"
DEFAULT_LIST = "ftm"
TITLE = "FollowTheMoney entities (JSON lines)"

# Keys read from each line; `caption` is derived from the properties and so not carried.
CARRIED = {"id", "schema", "properties", "caption", "target"}
TARGET_SCHEMATA = ("LegalEntity", "Vessel", "Airplane")
# The registry's entity_id column; a longer id could not be stored.
MAX_ID_LENGTH = 200
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _fatal(problem: str, field: str, message: str, location: str) -> InvalidInput:
    return InvalidInput(problem, [FieldError(field, message, location)])


def read(path: Path, report: ImportReport, dataset: Dataset) -> Iterator[StatementEntity]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise _fatal("cannot read the file", "file", str(error), str(path)) from error
    count = 0
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            location = f"{path}:{line_number}"
            data = _decode(raw, line_number, location)
            if data is None:
                continue
            entity = _entity(data, report, dataset, location)
            count += 1
            yield emit(report, entity)
    if count == 0:
        raise _fatal("no entities in the file", "id", "the file has no entity lines", str(path))


def _decode(raw: bytes, line_number: int, location: str) -> dict[str, Any] | None:
    if line_number == 1:
        if raw.startswith(_UTF16_32_BOMS) or b"\x00" in raw[:4]:
            raise _fatal("wrong encoding", "encoding", "the file is UTF-16 or UTF-32", location)
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _fatal(
            "wrong encoding", "encoding", f"not UTF-8 ({error.reason})", location
        ) from error
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"{error.msg} at column {error.colno}"
        raise _fatal("not a FollowTheMoney entity line", "json", message, location) from error
    if not isinstance(data, dict):
        raise _fatal("not a FollowTheMoney entity line", "json", "not a JSON object", location)
    return data


def _schema(data: dict[str, Any], location: str) -> Schema:
    name = data.get("schema")
    schema = model.get(name) if isinstance(name, str) else None
    if schema is None:
        raise _fatal(
            "unknown schema", "schema", f"{name!r} is not a FollowTheMoney schema", location
        )
    if schema.abstract:
        message = f"{schema.name} is abstract; entities must have a concrete schema"
        raise _fatal("unknown schema", "schema", message, location)
    return schema


def _entity(
    data: dict[str, Any], report: ImportReport, dataset: Dataset, location: str
) -> StatementEntity:
    entity_id = data.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise _fatal("entity without an id", "id", "missing or not a string", location)
    problem = _unstorable(entity_id)
    if problem is None and len(entity_id.strip()) > MAX_ID_LENGTH:
        problem = f"longer than {MAX_ID_LENGTH} characters"
    if problem is not None:
        raise _fatal("invalid entity id", "id", problem, location)
    schema = _schema(data, location)
    properties = data.get("properties", {})
    if not isinstance(properties, dict):
        raise _fatal("invalid properties", "properties", "not a JSON object", location)
    entity = make_entity(dataset, schema.name, entity_id.strip())
    for name, values in properties.items():
        _add(entity, str(name), values, report, location)
    target = data.get("target")
    if target is True or (target is None and any(schema.is_a(s) for s in TARGET_SCHEMATA)):
        report.targets += 1
    if schema.is_a("Sanction"):
        for code in entity.get("programId") or entity.get("program"):
            report.programs[code] += 1
    for key, value in data.items():
        if key not in CARRIED and value not in (None, "", [], {}):
            report.unmapped[key] += 1
    return entity


def _add(
    entity: StatementEntity, name: str, values: object, report: ImportReport, location: str
) -> None:
    field = f"properties.{name}"
    prop = entity.schema.get(name)
    if prop is None:
        message = f"{name!r} is not a property of {entity.schema.name}"
        raise _fatal("unknown property", field, message, location)
    if prop.stub:
        message = f"{name!r} is a reverse property of {entity.schema.name} and cannot be set"
        raise _fatal("unknown property", field, message, location)
    if isinstance(values, str):
        report.warn(location, field, "a single value where a list is expected; read as a list")
        values = [values]
    if not isinstance(values, list):
        raise _fatal("invalid property values", field, "not a list of strings", location)
    for value in values:
        if not isinstance(value, str):
            report.warn(location, field, f"{value!r} is not a string; value left out")
            continue
        problem = _unstorable(value)
        if problem is not None:
            report.warn(location, field, f"{value!r} {problem}; value left out")
            continue
        try:
            cleaned = prop.type.clean_text(value, proxy=entity, format=prop.format)
        except InvalidData as error:  # an entity that refers to itself
            report.warn(location, field, f"{error}; value left out")
            continue
        if cleaned is None:
            message = f"{value!r} is not a valid {prop.type.name}; value left out"
            report.warn(location, field, message)
            continue
        entity.unsafe_add(prop, cleaned, cleaned=True, original_value=value)


def _unstorable(text: str) -> str | None:
    """Why `text` cannot be stored as it is, if it cannot: JSON escapes can write a NUL
    (`\\u0000`, which PostgreSQL's text refuses) or half of a surrogate pair (not UTF-8)."""
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds an unpaired surrogate (not a character)"
    return None


def write_entities(entities: Iterable[EntityProxy], handle: IO[str]) -> int:
    """Write `entities` as FollowTheMoney JSON lines, sorted by id, properties and values sorted,
    so the same entities always give the same bytes. Entities sharing an id are merged (their
    schemata must be compatible). Returns the number of lines written.

    The entities are gathered before writing (the order is only known at the end); memory grows
    with the export, not with the files it came from.
    """
    merged: dict[str, tuple[Schema, dict[str, set[str]]]] = {}
    for entity in entities:
        if entity.id is None:
            raise InvalidInput("entity without an id", [FieldError("id", "missing", "")])
        schema, properties = merged.get(entity.id, (entity.schema, {}))
        if schema is not entity.schema:
            schema = model.common_schema(schema, entity.schema)
        for prop, values in entity.properties.items():
            properties.setdefault(prop, set()).update(values)
        merged[entity.id] = (schema, properties)
    for entity_id in sorted(merged):
        schema, properties = merged[entity_id]
        data = {
            "id": entity_id,
            "schema": schema.name,
            "properties": {prop: sorted(values) for prop, values in sorted(properties.items())},
        }
        handle.write(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        handle.write("\n")
    return len(merged)
