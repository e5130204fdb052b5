import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from dignity.exc import ConfigurationError
from dignity.store import create_engine
from dignity.store.engine import WRITE_INTENT, sqlite_pragmas

EXPECTED = {"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "secure_delete": "1"}


def test_every_sqlite_connection_gets_the_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'sub' / 'store.db'}")
    try:
        # Two connections held at once: the pool must configure each new one, not just the first.
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                values = sqlite_pragmas(connection)
                assert {name: values[name] for name in EXPECTED} == EXPECTED
    finally:
        engine.dispose()


def test_the_test_store_runs_with_the_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no pragmas; its durability is fsync=on on the server")
    with engine.connect() as connection:
        values = sqlite_pragmas(connection)
    assert {name: values[name] for name in EXPECTED} == EXPECTED


def test_postgres_runs_with_durable_commits(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only meaningful on PostgreSQL")
    with engine.connect() as connection:
        fsync = connection.exec_driver_sql("SHOW fsync").scalar()
        commit = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
    assert (fsync, commit) == ("on", "on")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "must be a file"),
        ("sqlite:///:memory:", "must be a file"),
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("not a url", "not a database URL"),
    ],
)
def test_unusable_urls_get_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        create_engine(url)


def test_write_intent_takes_the_sqlite_write_lock_at_begin(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    with engine.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    other = sqlite3.connect(tmp_path / "locks.db", timeout=0, isolation_level=None)
    try:
        with engine.connect() as reader, reader.begin():
            reader.exec_driver_sql("SELECT count(*) FROM t").scalar()
            other.execute("BEGIN IMMEDIATE")  # a plain BEGIN holds no lock: another may write
            other.execute("ROLLBACK")
        writer = engine.connect().execution_options(**{WRITE_INTENT: True})
        with writer, writer.begin():
            writer.exec_driver_sql("SELECT count(*) FROM t").scalar()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        engine.dispose()
