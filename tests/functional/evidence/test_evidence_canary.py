"""SECURITY.md items 1 and 5: an evidence file, its name and its collection record are in the store
only as ciphertext, and intake writes no plaintext anywhere (no temporary files).

A canary goes into the content, the file name and every sealed field of the collection record of
an item stored (and committed) in a database of its own. Then every file under the blob directory
and the temporary directory, and every byte of the SQLite files (or every text, JSON and bytea
value of every PostgreSQL table), is searched: the canary is absent, while a marker stored in
plain text (the collection method) is found, which shows the search reads the data. Reading
through the service returns the canary.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from evidence_helpers import every_file_bytes, make_vault, new_canary, record

from dignity.evidence import services as evidence
from dignity.evidence.models import EvidenceItem
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.store_scan import assert_only_ciphertext


def test_a_canary_file_is_only_ciphertext_in_the_store(
    tmp_path: Path, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary, control = new_canary(), new_canary().replace("canary", "control")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    # Two megabytes: two full chunks of the default size and a last one.
    content = (f"Testimony of {canary}. ".encode() * 100_000)[: 2 * 1024 * 1024 + 100]
    sealed_fields = {
        "collected_by": f"field contact {canary}",
        "account_or_persona": f"persona {canary}",
        "source": f"https://t.me/{canary}",
        "purpose": f"statement of {canary}",
    }
    with factory() as session:
        vault = make_vault(session, tmp_path / "vault")
        item = vault.add(
            [content[i : i + 65536] for i in range(0, len(content), 65536)],
            f"{canary}.txt",
            chunk_bytes=1024 * 1024,
            collection=record(method=f"download {control}", **sealed_fields),
        )
        session.commit()
        item_id = item.id

    assert list(temporary.iterdir()) == []
    on_disk = every_file_bytes(vault.store.root)
    assert len(on_disk) > len(content)
    assert canary.encode() not in on_disk
    assert_only_ciphertext(engine, canary, control, "evidence_items")

    with factory() as session:
        stored = session.get(EvidenceItem, item_id)
        assert stored is not None
        _, chunks = evidence.open_original(
            session, vault.investigator, vault.keyring, vault.store, item_id, purpose="check"
        )
        assert b"".join(chunks) == content
        assert evidence.filename_of(session, vault.keyring, stored) == f"{canary}.txt"
        found = evidence.collection_of(session, vault.keyring, stored)
        assert {name: getattr(found, name) for name in sealed_fields} == sealed_fields
    engine.dispose()
