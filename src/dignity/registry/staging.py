"""The staging table of an import, loaded in bulk through the database driver.

A list version has hundreds of thousands of statements; building a SQLAlchemy parameter dictionary
for each one costs more than parsing the file. Rows go to the driver as tuples instead: one
`executemany` per batch on SQLite, `COPY` on PostgreSQL. The same value twice in one file is one
statement: SQLite drops the repeat as it arrives, PostgreSQL when the copied rows are sorted into
the keyed staging table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from followthemoney import StatementEntity
from followthemoney.statement import Statement as FtmStatement
from sqlalchemy import text
from sqlalchemy.orm import Session

# stmt_id, entity_id, schema, prop, value, lang, original_value
Row = tuple[str, str, str, str, str, str | None, str | None]

COLUMNS = "stmt_id, entity_id, schema, prop, value, lang, original_value"
STAGING_TABLE = """
CREATE TEMPORARY TABLE {name} (
    stmt_id VARCHAR(40) {key}, entity_id VARCHAR(200) NOT NULL, schema VARCHAR(64) NOT NULL,
    prop VARCHAR(64) NOT NULL, value TEXT NOT NULL, lang VARCHAR(16), original_value TEXT
) {suffix}"""
SQLITE_STAGE = f"INSERT OR IGNORE INTO registry_staging ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 (constants)
POSTGRES_COPY = f"COPY registry_copied ({COLUMNS}) FROM STDIN"
# PostgreSQL: sort once to drop repeats, then key the result (faster than a keyed COPY target).
POSTGRES_SETTLE = (
    "SET LOCAL work_mem = '64MB'",
    "CREATE TEMPORARY TABLE registry_staging ON COMMIT DROP AS"
    " SELECT DISTINCT ON (stmt_id) * FROM registry_copied ORDER BY stmt_id",
    "DROP TABLE registry_copied",
    "ALTER TABLE registry_staging ADD PRIMARY KEY (stmt_id)",
    "ANALYZE registry_staging",
)
# SQLite keeps temporary tables in a file of their own; a larger page cache for this connection
# keeps the staging table's key and the statements' indexes in memory while the import runs.
SQLITE_IMPORT_CACHE_KIB = 32768


def statement_key(
    entity_id: str, schema: str, prop: str, value: str, lang: str | None, original: str | None
) -> str:
    """The identity of a value: a hash of everything that makes it this value of this entity."""
    parts = "\x1f".join((entity_id, schema, prop, value, lang or "", original or ""))
    return hashlib.sha1(parts.encode("utf-8")).hexdigest()  # noqa: S324 (an identity, not security)


def entity_rows(entity: StatementEntity) -> Iterator[Row]:
    """The statements of one entity as staging rows (its id statement is not a value)."""
    entity_id = entity.id or ""
    schema = entity.schema.name
    base = FtmStatement.BASE
    for stmt in entity.statements:
        prop = stmt.prop
        if prop == base:
            continue
        value, lang, original = stmt.value, stmt.lang, stmt.original_value
        key = statement_key(entity_id, schema, prop, value, lang, original)
        yield (key, entity_id, schema, prop, value, lang, original)


def _driver_connection(session: Session) -> Any:
    """The driver's connection under the session's transaction (same transaction, no ORM)."""
    return session.connection().connection.driver_connection


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def create(session: Session) -> None:
    """Create the empty staging table (and PostgreSQL's unkeyed copy target)."""
    drop(session)
    if _is_postgres(session):
        copied = STAGING_TABLE.format(name="registry_copied", key="NOT NULL", suffix="")
        session.execute(text(copied + " ON COMMIT DROP"))
        return
    session.execute(text(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}"))
    session.execute(
        text(STAGING_TABLE.format(name="registry_staging", key="PRIMARY KEY", suffix=""))
    )


def load(session: Session, rows: Iterable[Row]) -> None:
    """Append one batch of rows to the staging table."""
    connection = _driver_connection(session)
    if _is_postgres(session):
        with connection.cursor() as cursor, cursor.copy(POSTGRES_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = connection.cursor()
    try:
        cursor.executemany(SQLITE_STAGE, rows)
    finally:
        cursor.close()


def settle(session: Session) -> None:
    """Make the staging table whole and keyed once every batch is in."""
    if _is_postgres(session):
        for statement in POSTGRES_SETTLE:
            session.execute(text(statement))


def drop(session: Session) -> None:
    session.execute(text("DROP TABLE IF EXISTS registry_copied"))
    session.execute(text("DROP TABLE IF EXISTS registry_staging"))
    if not _is_postgres(session):
        session.execute(text("PRAGMA cache_size=-2000"))
