"""A fixity check reads an item, then writes its `verification` entry: each item's transaction
takes the write lock as it begins, so an upload committing in between cannot make the check
fail. (On SQLite a transaction that has read cannot write once another has committed: "database
is locked", whatever the busy timeout; the crash harness met it. PostgreSQL has no such failure;
the test runs on both.)"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from evidence_helpers import make_vault

from dignity.audit import record_event
from dignity.evidence import fixity
from dignity.store import create_engine, make_sessionmaker, migrate


def test_a_writer_committing_during_a_fixity_check_does_not_fail_it(
    tmp_path: Path, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory() as session:
        vault = make_vault(session, tmp_path)
        vault.add(os.urandom(400), "one.bin")
        session.commit()
    real = fixity.check_blob
    writers: list[threading.Thread] = []

    def write_elsewhere() -> None:
        with factory() as other, other.begin():
            record_event(other, actor="test", action="test.meanwhile", object_type="test")

    def interleaved(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)  # the item's transaction has read it
        writer = threading.Thread(target=write_elsewhere)
        writers.append(writer)
        writer.start()
        writer.join(timeout=1)  # committed by now, unless the check holds the lock
        return found

    monkeypatch.setattr(fixity, "check_blob", interleaved)
    try:
        report = fixity.verify_all(factory, vault.keyring, vault.store, actor="test")
        assert (report.checked, report.ok, report.corrupt) == (1, 1, [])
        writers[0].join(timeout=30)
        assert not writers[0].is_alive()
    finally:
        engine.dispose()
