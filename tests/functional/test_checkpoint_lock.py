"""Signing a checkpoint reads the log's head, then writes the checkpoint: its transaction takes
the write lock from the start, so a writer that commits in between cannot make it fail. (On
SQLite a transaction that has read cannot write once another has committed: "database is
locked", whatever the busy timeout. PostgreSQL has no such failure; the test runs on both.)"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import dignity.audit.maintenance as maintenance
from dignity.audit import record_event
from dignity.audit.services import log_size
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate


def test_a_writer_committing_while_a_checkpoint_is_signed_does_not_undo_it(
    settings: Settings, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        record_event(session, actor="test", action="test.ran", object_type="test")
    real = maintenance.make_checkpoint
    writers: list[threading.Thread] = []

    def write_elsewhere() -> None:
        with factory() as other, other.begin():
            record_event(other, actor="test", action="test.meanwhile", object_type="test")

    def interleaved(session: Session, key: object) -> object:
        log_size(session)  # the checkpoint's transaction has read the log
        writer = threading.Thread(target=write_elsewhere)
        writers.append(writer)
        writer.start()
        writer.join(timeout=1)  # committed by now, unless the checkpoint holds the lock
        return real(session, key)  # type: ignore[arg-type]

    monkeypatch.setattr(maintenance, "make_checkpoint", interleaved)
    try:
        checkpoint = maintenance.checkpoint_now(settings, factory)
        assert checkpoint is not None
        writers[0].join(timeout=30)
        with factory() as session:
            assert log_size(session) == 2  # the other writer committed too, after it
    finally:
        engine.dispose()
