"""`dignity evidence` end to end on a store of its own: add files with a collection record, list
them, read a chain of custody, and check fixity before and after a blob is damaged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_settings
from dignity.cli import app
from dignity.cli.context import state
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.models import EvidenceItem
from dignity.security.projects import create_project
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

runner = CliRunner()
STORED = re.compile(r"^(?P<path>.+): stored as (?P<id>[0-9a-f-]{36}) ", re.MULTILINE)
COLLECTION = [
    "--project",
    "Darfur 2023",
    "--collected-by",
    "Field team 3",
    "--source",
    "https://video.example/watch?v=abc",
    "--collected-at",
    "2024-05-01T14:03:00+00:00",
    "--method",
    "download",
    "--tool",
    "yt-dlp",
    "--tool-version",
    "2024.04.09",
    "--clock-source",
    "ntp",
    "--purpose",
    "raid on the market",
]


def _setup(tmp_path: Path, store_url: str, **overrides: object) -> Settings:
    engine = create_engine(store_url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        create_project(session, "Darfur 2023", "", actor="test")
    engine.dispose()
    settings = make_settings(tmp_path, database_url=store_url, **overrides)
    state.configure(settings)
    return settings


@pytest.fixture
def cli(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    yield _setup(tmp_path, fresh_store_url)
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _files(tmp_path: Path) -> list[Path]:
    first, second = tmp_path / "statement.pdf", tmp_path / "notes from the well.txt"
    first.write_bytes(b"%PDF-1.7\n" + b"stream of a statement\n" * 500)
    second.write_text("what the witness saw\n" * 50, encoding="utf-8")
    return [first, second]


def test_add_list_custody_and_verify(cli: Settings, tmp_path: Path) -> None:
    files = _files(tmp_path)
    code, out, err = _run("evidence", "add", *map(str, files), *COLLECTION)
    assert code == 0, err or out
    stored = {Path(m["path"]).name: m["id"] for m in STORED.finditer(out)}
    assert set(stored) == {"statement.pdf", "notes from the well.txt"}
    assert "application/pdf" in out
    assert "text/plain" in out

    code, out, err = _run("evidence", "list", "--project", "Darfur 2023")
    assert code == 0, err or out
    assert "Darfur 2023: 2 items" in out

    code, out, err = _run("evidence", "verify")
    assert code == 0, err or out
    assert "checked 2 items: 2 ok, 0 corrupt, 0 orphan blobs" in out

    item_id = stored["statement.pdf"]
    code, out, err = _run("evidence", "custody", item_id)
    assert code == 0, err or out
    assert f"{item_id}: the chain of custody verifies (2 entries)" in out
    assert "ingest" in out
    assert "verification" in out

    with make_sessionmaker(state.engine)() as session:
        item = session.get(EvidenceItem, item_id)
        assert item is not None
        blob = LocalBlobStore(cli.evidence_dir).path(item.blob_id)
    damaged = bytearray(blob.read_bytes())
    damaged[40] ^= 0x01
    blob.write_bytes(bytes(damaged))
    code, out, err = _run("evidence", "verify")
    assert code == 1
    assert f"corrupt: {item_id}" in out
    assert "checked 2 items: 1 ok, 1 corrupt" in out
    code, out, err = _run("evidence", "custody", item_id)
    assert code == 0, err or out
    assert "(3 entries)" in out


def test_refusals_are_one_clean_line(tmp_path: Path, fresh_store_url: str) -> None:
    _setup(tmp_path, fresh_store_url, evidence_max_bytes=1000)
    try:
        files = _files(tmp_path)
        code, out, err = _run("evidence", "add", str(files[0]), *COLLECTION)
        assert code == 1
        assert (
            "'statement.pdf': nothing was stored: file: larger than the limit of 1,000 bytes" in err
        )
        small = tmp_path / "page.pdf"
        small.write_bytes(b"<html><body>not a pdf</body></html>")
        code, out, err = _run("evidence", "add", str(small), *COLLECTION)
        assert code == 1
        assert "not what its name says" in err
        code, out, err = _run(
            "evidence", "add", str(small), *COLLECTION, "--collected-at", "2024-05-01"
        )
        assert code == 1
        assert "--collected-at" in err
        code, out, err = _run("evidence", "custody", "0" * 36)
        assert code == 1
        assert "no such evidence item" in err
        code, out, err = _run("evidence", "verify")
        assert code == 0
        assert "checked 0 items" in out
    finally:
        state.configure(None)
