"""`dignity backup`: the restore drill (SECURITY.md item 46, issue 8 item 9).

A store with accounts, a project, documentation records, an identity in the vault, evidence with
custody and audit events (and a signed checkpoint) is backed up while another thread keeps
appending to the audit log, then restored into a new, empty store with new directories. The
restored store must hold the same rows, every blob must pass fixity and decrypt, every chain of
custody and the audit log must verify, and the identity must decrypt with the restored keys.
A damaged backup is refused, naming the member, and nothing is stored.

Runs on SQLite, and on PostgreSQL through pg_dump/pg_restore when DIGNITY_DATABASE_URL names a
server (skipped when the client tools are missing, except in CI, where that is a failure).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import PostgresDatabases, make_settings
from dignity.audit import record_event
from dignity.audit.maintenance import checkpoint_now
from dignity.audit.models import AuditEvent
from dignity.audit.services import latest_checkpoint
from dignity.cli import app
from dignity.cli.context import state
from dignity.consent import services as consent
from dignity.evidence import fixity
from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.exc import ConfigurationError
from dignity.security.authz import Principal
from dignity.security.crypto import load_keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from dignity.store.backup import DATABASE_MEMBERS, MANIFEST, count_rows
from factories.documentation import story
from factories.monitoring import reviewer, team

runner = CliRunner()
COLLECTION = {
    "collected_by": "Field team 3",
    "method": "download",
    "tool": "yt-dlp",
    "tool_version": "2024.04.09",
    "account_or_persona": "research persona B",
    "source": "https://video.example/watch?v=abc",
    "collected_at": datetime(2024, 5, 1, 14, 3, tzinfo=UTC),
    "clock_source": "ntp",
    "purpose": "documents the raid on the market",
}
FILES = {
    "statement.pdf": b"%PDF-1.7\n" + b"stream of a statement\n" * 700 + b"%%EOF\n",
    "notes.txt": b"what the witness saw at the well\n" * 90,
    "frames.bin": bytes(range(256)) * 300,
}


@pytest.fixture(autouse=True)
def _client_tools() -> None:
    if not os.environ.get("DIGNITY_DATABASE_URL", "").startswith("postgresql"):
        return
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian package postgresql-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the PostgreSQL backup tests: {message}", pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _reset_cli() -> Iterator[None]:
    yield
    state.configure(None)


def _new_store(postgres: PostgresDatabases | None, directory: Path) -> str:
    return postgres.create() if postgres is not None else f"sqlite:///{directory / 'dignity.db'}"


def _place(tmp_path: Path, name: str, postgres: PostgresDatabases | None) -> Settings:
    """Settings for a deployment of its own: a new database and new directories."""
    root = tmp_path / name
    return make_settings(root, database_url=_new_store(postgres, root))


def _run(settings: Settings, *args: str) -> tuple[int, str, str]:
    state.configure(settings)
    result = runner.invoke(app, list(args))
    state.configure(None)
    return result.exit_code, result.stdout, result.stderr


def _counts(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as connection:
            return count_rows(connection)
    finally:
        engine.dispose()


def _files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


@dataclass
class Source:
    settings: Settings
    investigator: Principal
    identity_id: str
    canary: str
    items: dict[str, str]  # file name -> item id


@pytest.fixture
def source(tmp_path: Path, postgres: PostgresDatabases | None) -> Source:
    settings = _place(tmp_path, "source", postgres)
    engine = create_engine(settings.sqlalchemy_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    keyring, store = load_keyring(settings.key_dir), LocalBlobStore(settings.evidence_dir)
    canary = "canary" + os.urandom(8).hex()
    with factory() as session:  # the account factories commit as they go
        project = team(session, "Darfur 2023")
        investigator = reviewer(session, "investigator", project, Role.INVESTIGATOR)
        reviewer(session, "analyst", project, Role.ANALYST)
        story(session, investigator, project)
        identity = consent.store_identity(
            session,
            investigator,
            keyring,
            project.id,
            {"names": [{"name": f"Amina {canary}"}], "contacts": [f"+249 {canary}"]},
        )
        items = {
            name: evidence.add_evidence(
                session,
                investigator,
                keyring,
                store,
                project.id,
                [data],
                filename=name,
                collection=COLLECTION,
                max_bytes=10**6,
                chunk_bytes=4096,
            ).id
            for name, data in FILES.items()
        }
        session.commit()
    with transaction(factory) as session:  # one more custody entry on an item
        _, chunks = evidence.open_original(
            session, investigator, keyring, store, items["notes.txt"], purpose="review"
        )
        assert b"".join(chunks) == FILES["notes.txt"]
    assert checkpoint_now(settings, factory) is not None
    engine.dispose()
    return Source(settings, investigator, identity.id, canary, items)


class Writer(threading.Thread):
    """Appends audit events in transactions of its own until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.written, self.errors = url, 0, list[BaseException]()
        self.stop = threading.Event()

    def run(self) -> None:
        engine = create_engine(self.url)
        factory = make_sessionmaker(engine)
        try:
            while not self.stop.is_set():
                with transaction(factory) as session:
                    record_event(session, actor="test:writer", action="test.tick", object_type="t")
                self.written += 1
                time.sleep(0.002)
        except BaseException as error:
            self.errors.append(error)
        finally:
            engine.dispose()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.written < count and not self.errors:
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.01)


def _manifest(archive: Path) -> dict[str, object]:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(MANIFEST)
        assert handle is not None
        return json.loads(handle.read())  # type: ignore[no-any-return]


def test_restore_drill(source: Source, tmp_path: Path, postgres: PostgresDatabases | None) -> None:
    archive = tmp_path / "backups" / "store.tar"
    writer = Writer(source.settings.sqlalchemy_url)
    writer.start()
    try:
        writer.wait_for(5)
        events_before, written_before = _counts(source.settings)["audit_events"], writer.written
        code, out, err = _run(source.settings, "backup", "create", str(archive), "--include-keys")
        assert code == 0, err or out
        written_at_backup = writer.written
        assert written_at_backup > written_before  # it wrote while the backup was taken
        writer.wait_for(written_at_backup + 5)  # it keeps writing after the backup
    finally:
        writer.stop.set()
        writer.join()
    assert writer.errors == []
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = _manifest(archive)
    tables = manifest["tables"]
    assert isinstance(tables, dict)
    assert events_before <= tables["audit_events"] < _counts(source.settings)["audit_events"]

    target = _place(tmp_path, "restored", postgres)
    code, out, err = _run(target, "backup", "restore", str(archive), "--to-empty-store")
    assert code == 0, err or out
    assert f"{len(FILES)} evidence blobs" in out

    # Every table holds what the backup's snapshot held (plus the restore's own audit event),
    # and all but the audit log (which the writer kept adding to) what the source holds now.
    restored, now = _counts(target), _counts(source.settings)
    assert restored == {**tables, "audit_events": tables["audit_events"] + 1}
    assert all(restored[name] == now[name] for name in now if not name.startswith("audit_"))
    assert restored["evidence_items"] == len(FILES)
    assert restored["evidence_custody"] == len(FILES) + 1

    engine = create_engine(target.sqlalchemy_url)
    factory = make_sessionmaker(engine)
    keyring, store = load_keyring(target.key_dir, create=False), LocalBlobStore(target.evidence_dir)
    try:
        report = fixity.verify_all(factory, keyring, store, actor="test")
        assert (report.checked, report.ok, report.corrupt, report.orphans) == (3, 3, [], [])
        with transaction(factory) as session:
            for name, item_id in source.items.items():
                chain = evidence.verify_chain(session, source.investigator, item_id)
                assert chain.ok, (name, chain.problem)
                _, chunks = evidence.open_original(
                    session, source.investigator, keyring, store, item_id, purpose="drill"
                )
                assert b"".join(chunks) == FILES[name]
            values = consent.read_identity(
                session, source.investigator, keyring, source.identity_id
            )
            assert values.names[0].name == f"Amina {source.canary}"
            restored_checkpoint = latest_checkpoint(session)
            writer_events = session.execute(
                select(func.count()).where(AuditEvent.actor == "test:writer")
            ).scalar_one()
        assert writer_events >= 5  # written while the backup was being taken, or before
    finally:
        engine.dispose()
    source_engine = create_engine(source.settings.sqlalchemy_url)
    try:
        with transaction(make_sessionmaker(source_engine)) as session:
            assert latest_checkpoint(session) == restored_checkpoint is not None
    finally:
        source_engine.dispose()

    code, out, err = _run(target, "audit", "verify")
    assert code == 0, err or out
    assert "1 signed checkpoint" in out


def _flip(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    with archive.open("r+b") as handle:
        handle.seek(info.offset_data + info.size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("kind", ["database", "blob", "key"])
def test_a_damaged_backup_is_refused_naming_the_member_and_nothing_is_stored(
    source: Source, tmp_path: Path, postgres: PostgresDatabases | None, kind: str
) -> None:
    archive = tmp_path / "store.tar"
    assert _run(source.settings, "backup", "create", str(archive), "--include-keys")[0] == 0
    members = sorted(_manifest(archive)["members"])  # type: ignore[call-overload]
    dialect = _manifest(archive)["dialect"]
    member = {
        "database": DATABASE_MEMBERS[str(dialect)],
        "blob": next(m for m in members if m.startswith("blobs/")),
        "key": next(m for m in members if m.startswith("keys/kek/")),
    }[kind]
    _flip(archive, member)

    target = _place(tmp_path, "restored", postgres)
    code, out, err = _run(target, "backup", "restore", str(archive), "--to-empty-store")
    assert code == 1, out
    assert f"backup member {member} is damaged" in err
    assert _counts(target) == {}
    assert _files_under(target.data_dir) == [] or all(
        p.name.startswith("dignity.db") for p in _files_under(target.data_dir)
    )


def test_keys_stay_out_unless_asked_and_are_restored_apart(
    source: Source, tmp_path: Path, postgres: PostgresDatabases | None
) -> None:
    archive = tmp_path / "store.tar"
    code, out, err = _run(source.settings, "backup", "create", str(archive))
    assert code == 0, err or out
    assert "keys are not in this backup" in err
    members = _manifest(archive)["members"]
    assert isinstance(members, dict)
    assert not [name for name in members if name.startswith("keys")]
    with tarfile.open(archive) as tar:
        assert not [name for name in tar.getnames() if name.startswith("keys")]

    target = _place(tmp_path, "restored", postgres)
    code, out, err = _run(target, "backup", "restore", str(archive), "--to-empty-store")
    assert code == 0, err or out
    assert "this backup holds no keys" in err
    with pytest.raises(ConfigurationError):
        load_keyring(target.key_dir, create=False)

    shutil.copytree(source.settings.key_dir, target.key_dir)  # kept apart, restored apart
    engine = create_engine(target.sqlalchemy_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            values = consent.read_identity(
                session,
                source.investigator,
                load_keyring(target.key_dir, create=False),
                source.identity_id,
            )
    finally:
        engine.dispose()
    assert values.contacts == [f"+249 {source.canary}"]


def test_a_store_that_is_not_empty_is_refused(source: Source, tmp_path: Path) -> None:
    archive = tmp_path / "store.tar"
    assert _run(source.settings, "backup", "create", str(archive))[0] == 0
    before = _counts(source.settings)
    code, out, err = _run(source.settings, "backup", "restore", str(archive), "--to-empty-store")
    assert code == 1, out
    assert "the target store is not empty" in err
    assert _counts(source.settings) == before


def test_different_keys_in_place_are_refused_before_anything_is_stored(
    source: Source, tmp_path: Path, postgres: PostgresDatabases | None
) -> None:
    archive = tmp_path / "store.tar"
    assert _run(source.settings, "backup", "create", str(archive), "--include-keys")[0] == 0
    target = _place(tmp_path, "restored", postgres)
    load_keyring(target.key_dir)  # a new deployment made a key of its own
    code, out, err = _run(target, "backup", "restore", str(archive), "--to-empty-store")
    assert code == 1, out
    assert "already holds different keys" in err
    assert _counts(target) == {}
    assert _files_under(target.evidence_dir) == []


def test_restore_needs_to_empty_store_and_never_overwrites_a_backup(
    source: Source, tmp_path: Path
) -> None:
    archive = tmp_path / "store.tar"
    assert _run(source.settings, "backup", "create", str(archive))[0] == 0
    code, _, err = _run(source.settings, "backup", "create", str(archive))
    assert code == 1
    assert "exists already" in err
    code, _, err = _run(source.settings, "backup", "restore", str(archive))
    assert code == 2
    assert "--to-empty-store" in err


def test_an_older_backup_is_upgraded_after_restore(
    tmp_path: Path, postgres: PostgresDatabases | None
) -> None:
    old = _place(tmp_path, "old", postgres)
    engine = create_engine(old.sqlalchemy_url)
    migrate.upgrade(engine, "0009")
    with transaction(make_sessionmaker(engine)) as session:
        record_event(session, actor="test", action="test.old", object_type="t")
    engine.dispose()
    archive = tmp_path / "old.tar"
    assert _run(old, "backup", "create", str(archive))[0] == 0
    assert _manifest(archive)["revision"] == "0009"

    target = _place(tmp_path, "restored", postgres)
    code, out, err = _run(target, "backup", "restore", str(archive), "--to-empty-store")
    assert code == 0, err or out
    assert f"store at revision {migrate.head_revision()}, upgraded from 0009" in out
    assert "evidence_items" in _counts(target)
    code, out, err = _run(target, "audit", "verify")
    assert code == 0, err or out
