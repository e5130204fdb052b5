"""Everything a store holds, as bytes, for canary tests (SECURITY.md item 1): a SQLite file with
its -wal and -shm files, or every text, JSON, full-text and binary value of every table of a
PostgreSQL database. `assert_only_ciphertext` checks that a control value stored in plain text is
found (so the scan is real) while the canary is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from dignity.store import is_sqlite

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "tsvector", "bytea")


def sqlite_bytes(engine: Engine) -> bytes:
    database = Path(make_url(str(engine.url)).database or "")
    files = sorted(database.parent.glob(database.name + "*"))  # the file, -wal and -shm
    assert database in files
    return b"".join(path.read_bytes() for path in files)


def postgres_values(engine: Engine, expected_table: str) -> Iterator[bytes]:
    with engine.connect() as connection:
        columns = connection.execute(
            sa.text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = ANY(:types)"
            ),
            {"types": list(TEXT_TYPES)},
        ).all()
        assert any(table == expected_table for table, _, _ in columns)
        quote = connection.dialect.identifier_preparer.quote
        for table, column, data_type in columns:
            value = quote(column) if data_type == "bytea" else f"{quote(column)}::text"
            # Names come from the catalogue, not from input.
            query = f"SELECT {value} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL"  # noqa: S608
            for (found,) in connection.exec_driver_sql(query):
                yield bytes(found) if data_type == "bytea" else str(found).encode()


def assert_only_ciphertext(engine: Engine, canary: str, control: str, expected_table: str) -> None:
    """The store holds `control` in the clear somewhere and `canary` nowhere."""
    engine.dispose()
    if is_sqlite(engine):
        data = sqlite_bytes(engine)
        assert control.encode() in data
        assert canary.encode() not in data
    else:
        everything = list(postgres_values(engine, expected_table))
        assert any(control.encode() in value for value in everything)
        assert not [value for value in everything if canary.encode() in value]
