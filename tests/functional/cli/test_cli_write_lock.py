"""Commands that read and then write take the write lock as their transaction begins, so that a
server writing to the same store meanwhile cannot make them fail. (On SQLite a transaction that
has read cannot write once another writer has committed: "database is locked", whatever the busy
timeout. PostgreSQL has no such failure; the test runs on both.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import make_settings
from dignity.audit import record_event
from dignity.audit.models import AuditEvent
from dignity.cli import app
from dignity.cli.context import state
from dignity.screening import batch
from dignity.security import accounts
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate


@pytest.fixture
def cli_settings(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    engine.dispose()
    state.configure(settings)
    yield settings
    state.configure(None)


def test_a_server_writing_meanwhile_does_not_make_an_account_creation_fail(
    cli_settings: Settings, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(fresh_store_url)
    factory = make_sessionmaker(engine)
    real = accounts.create_user
    writers: list[threading.Thread] = []

    def write_elsewhere() -> None:
        with factory() as other, other.begin():
            record_event(other, actor="server", action="test.meanwhile", object_type="test")

    def interleaved(session: Session, **kwargs: object) -> object:
        session.execute(select(func.count()).select_from(AuditEvent))  # it has read
        writer = threading.Thread(target=write_elsewhere)
        writers.append(writer)
        writer.start()
        writer.join(timeout=1)  # committed by now, unless the command holds the lock
        return real(session, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(accounts, "create_user", interleaved)
    try:
        result = CliRunner().invoke(app, ["users", "create", "ana", "--role", "viewer"])
        assert result.exit_code == 0, result.output
        writers[0].join(timeout=30)
        with factory() as session:
            actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        # both committed (on SQLite the server's write waited for the command's)
        assert sorted(actions[-2:]) == ["test.meanwhile", "user.created"]
    finally:
        engine.dispose()


def test_a_server_writing_during_a_screening_export_does_not_make_it_fail(
    cli_settings: Settings,
    fresh_store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # An export reads for long, then records itself in the audit log: recorded in a short
    # transaction of its own, after the file is written, a server's write meanwhile is no harm.
    engine = create_engine(fresh_store_url)
    factory = make_sessionmaker(engine)
    real = batch.export_screenings

    def write_elsewhere() -> None:
        with factory() as other, other.begin():
            record_event(other, actor="server", action="test.meanwhile", object_type="test")

    def interleaved(session: Session, *args: object, **kwargs: object) -> int:
        session.execute(select(func.count()).select_from(AuditEvent))  # it has read
        writer = threading.Thread(target=write_elsewhere)
        writer.start()
        writer.join(timeout=30)
        return real(session, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "export_screenings", interleaved)
    out = tmp_path / "screenings.jsonl"
    try:
        result = CliRunner().invoke(app, ["screen", "export", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.exists()
        with factory() as session:
            actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        assert actions[-2:] == ["test.meanwhile", "screening.exported"]
    finally:
        engine.dispose()
