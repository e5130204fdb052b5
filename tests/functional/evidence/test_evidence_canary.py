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
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from evidence_helpers import every_file_bytes, make_vault, new_canary, record
from sqlalchemy.engine import Engine, make_url

from dignity.evidence import services as evidence
from dignity.evidence.models import EvidenceItem
from dignity.store import create_engine, is_sqlite, make_sessionmaker, migrate

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "tsvector", "bytea")


def _sqlite_bytes(engine: Engine) -> bytes:
    database = Path(make_url(str(engine.url)).database or "")
    files = sorted(database.parent.glob(database.name + "*"))  # the file, -wal and -shm
    assert database in files
    return b"".join(path.read_bytes() for path in files)


def _postgres_values(engine: Engine) -> Iterator[bytes]:
    with engine.connect() as connection:
        columns = connection.execute(
            sa.text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = ANY(:types)"
            ),
            {"types": list(TEXT_TYPES)},
        ).all()
        assert any(table == "evidence_items" for table, _, _ in columns)
        quote = connection.dialect.identifier_preparer.quote
        for table, column, data_type in columns:
            value = quote(column) if data_type == "bytea" else f"{quote(column)}::text"
            # Names come from the catalogue, not from input.
            query = f"SELECT {value} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL"  # noqa: S608
            for (found,) in connection.exec_driver_sql(query):
                yield bytes(found) if data_type == "bytea" else str(found).encode()


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
    if is_sqlite(engine):
        engine.dispose()
        data = _sqlite_bytes(engine)
        assert control.encode() in data
        assert canary.encode() not in data
    else:
        everything = list(_postgres_values(engine))
        assert any(control.encode() in value for value in everything)
        assert not [value for value in everything if canary.encode() in value]

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
