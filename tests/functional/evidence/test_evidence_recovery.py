"""Start-up reconciliation of the blob store (issue 8 item 8, SECURITY.md item 42): partial files
and orphan blobs go to quarantine, never away; a quarantined blob an item names comes back; only
counts are logged and audited; and the app does it when it starts."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from evidence_helpers import Vault, make_vault
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.api.app import create_app
from dignity.audit.models import AuditEvent
from dignity.evidence import fixity
from dignity.evidence.blobs import LocalBlobStore, new_blob_id, writing
from dignity.evidence.recovery import RecoveryReport, recover_blobs
from dignity.store import create_engine, make_sessionmaker, migrate


def _partial(store: LocalBlobStore) -> str:
    """A partial file, as a process killed during an upload leaves it."""
    blob_id = new_blob_id()
    handle = store.create(blob_id)
    handle.write(b"first chunks of ciphertext")
    handle.close()
    return blob_id


def _orphan(store: LocalBlobStore) -> str:
    """A committed blob whose row never committed."""
    blob_id = new_blob_id()
    with writing(store, blob_id) as handle:
        handle.write(b"ciphertext of a failed intake")
    return blob_id


def _quarantined(store: LocalBlobStore) -> set[str]:
    return {path.name for path in (store.root / "quarantine").iterdir()}


def _recovery_events(factory: sessionmaker[Session]) -> list[dict[str, int]]:
    with factory() as session:
        details = session.execute(
            select(AuditEvent.details).where(AuditEvent.action == "evidence.recovered")
        ).scalars()
        return [json.loads(d) for d in details]


@pytest.fixture
def stocked(factory: sessionmaker[Session], tmp_path: Path) -> Vault:
    """A vault with two committed items."""
    with factory() as session:
        vault = make_vault(session, tmp_path)
        vault.add(os.urandom(400), "one.bin")
        vault.add(os.urandom(500), "two.bin")
        session.commit()
    return vault


def test_partial_files_and_orphans_are_quarantined_and_counted(
    stocked: Vault, factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    store = stocked.store
    partial, orphans = _partial(store), {_orphan(store), _orphan(store)}
    kept = set(store.ids()) - orphans

    with caplog.at_level(logging.WARNING, logger="dignity.evidence"):
        report = recover_blobs(factory, store, actor="system")

    assert report == RecoveryReport(partial=1, orphans=2, reinstated=0)
    assert _quarantined(store) == {partial, *orphans}
    assert set(store.ids()) == kept
    assert list((store.root / "partial").iterdir()) == []
    assert _recovery_events(factory) == [{"partial": 1, "orphans": 2, "reinstated": 0}]
    assert "1 partial files and 2 orphan blobs quarantined" in caplog.text
    assert not [blob_id for blob_id in (partial, *orphans) if blob_id in caplog.text]
    checked = fixity.verify_all(factory, stocked.keyring, store, actor="test")
    assert (checked.ok, checked.corrupt, checked.orphans) == (2, [], [])


def test_a_clean_store_is_left_alone_and_nothing_is_audited(
    stocked: Vault, factory: sessionmaker[Session]
) -> None:
    before = set(stocked.store.ids())
    assert recover_blobs(factory, stocked.store) == RecoveryReport(0, 0, 0)
    assert set(stocked.store.ids()) == before
    assert _quarantined(stocked.store) == set()
    assert _recovery_events(factory) == []


def test_a_quarantined_blob_that_an_item_names_is_moved_back(
    stocked: Vault, factory: sessionmaker[Session]
) -> None:
    """A command-line intake that committed its row just after start-up took its blob."""

    def again(session: Session) -> Vault:
        return Vault(session, stocked.project, stocked.investigator, stocked.keyring, stocked.store)

    with factory() as session:
        item = again(session).add(b"late testimony " * 30, "late.txt")
        session.commit()
    os.replace(stocked.blob(item), stocked.store.root / "quarantine" / item.blob_id)

    assert recover_blobs(factory, stocked.store) == RecoveryReport(0, 0, 1)
    assert stocked.store.exists(item.blob_id)
    assert _quarantined(stocked.store) == set()
    with factory() as session:
        assert again(session).read(item) == b"late testimony " * 30
    assert _recovery_events(factory) == [{"partial": 0, "orphans": 0, "reinstated": 1}]


def test_the_app_reconciles_the_blob_store_when_it_starts(
    tmp_path: Path, fresh_store_url: str
) -> None:
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    store = LocalBlobStore(settings.evidence_dir)
    partial, orphan = _partial(store), _orphan(store)
    app = create_app(settings, factory)
    try:
        assert _quarantined(store) == set()  # building the app is not starting it
        with TestClient(app, base_url="https://testserver"):
            assert _quarantined(store) == {partial, orphan}
            assert list(store.ids()) == []
        assert _recovery_events(factory) == [{"partial": 1, "orphans": 1, "reinstated": 0}]
    finally:
        engine.dispose()
