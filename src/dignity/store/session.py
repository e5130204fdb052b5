"""Sessions: one unit of work per request or command, committed or rolled back as a whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dignity.store.engine import WRITE_INTENT


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed when the block ends, or rolled back if it raises."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """`transaction` for work that reads and then writes: it takes the write lock as it begins
    (SQLite: BEGIN IMMEDIATE). A SQLite transaction that has read cannot write once another
    writer has committed ("database is locked", whatever the busy timeout)."""
    with factory() as session, session.begin():
        session.connection(execution_options={WRITE_INTENT: True})
        yield session
