"""Engines for the store, with the connection settings Dignity relies on.

Every SQLite connection runs with write-ahead logging, foreign keys enforced, `synchronous=FULL`
(a committed transaction survives power loss) and `secure_delete=ON` (deleted content is
overwritten, SECURITY.md items 8 and 43). Transactions are begun explicitly so that SAVEPOINTs work
as documented, which the rolled-back test transactions depend on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from dignity.exc import ConfigurationError

SQLITE_PRAGMAS = (
    ("journal_mode", "WAL"),
    ("foreign_keys", "ON"),
    ("synchronous", "FULL"),
    ("secure_delete", "ON"),
    ("busy_timeout", "10000"),
)


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for `url`, creating the SQLite file's directory when needed."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as error:
        raise ConfigurationError(f"DIGNITY_DATABASE_URL is not a database URL: {error}") from error
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ConfigurationError("the SQLite store must be a file (WAL needs one), not memory")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(parsed, **kwargs)
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Hand transaction control to SQLAlchemy (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for name, value in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {name}={value}")
    finally:
        cursor.close()


# Execution option: begin with the write lock (BEGIN IMMEDIATE). A transaction that reads and then
# writes would otherwise fail with "database is locked" if another writer committed in between.
WRITE_INTENT = "dignity_write_intent"


def _on_sqlite_begin(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_pragmas(connection: sa.Connection) -> dict[str, str]:
    """The values of the pragmas Dignity sets, as the connection reports them."""
    values: dict[str, str] = {}
    for name, _ in SQLITE_PRAGMAS:
        values[name] = str(connection.exec_driver_sql(f"PRAGMA {name}").scalar())
    return values
