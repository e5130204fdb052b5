"""The evidence API (issue #8 item 1; SECURITY.md items 5, 24, 30, 31): a file streamed in as the
request body comes back byte for byte; one past the limit is refused mid-stream with 413 and
leaves nothing; another project's item is the same 404 as a wrong id; downloads are attachments
with a safe name and type; a corrupt blob fails closed, and its mark and alert are committed."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from evidence_helpers import every_file_bytes, new_canary, record
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from browser import serve
from conftest import make_settings
from dignity.api.app import create_app
from dignity.audit.models import AuditEvent
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.models import CustodyEvent, EvidenceItem
from dignity.security.authz import Principal
from dignity.security.models import Project
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.documentation import story
from factories.monitoring import personal_token, reviewer, team

SCOPES = ("records:read", "records:write")
BLOCK = 4096


def _headers(token: dict[str, str], name: str = "testimony.txt", **collection: object) -> dict:
    values = record(**collection)
    values["collected_at"] = values["collected_at"].isoformat()
    return {
        **token,
        "x-evidence-filename": quote(name, safe=""),
        "x-evidence-collection": quote(json.dumps(values), safe=""),
        "content-type": "application/octet-stream",
    }


def _blocks(data: bytes) -> Iterator[bytes]:
    """The body as a stream of blocks (sent chunked, so the server reads it piece by piece)."""
    for start in range(0, len(data), BLOCK):
        yield data[start : start + BLOCK]


class Caller:
    def __init__(
        self, client: TestClient, principal: Principal, token: dict[str, str], project: str
    ) -> None:
        self.client, self.principal, self.token, self.project = client, principal, token, project

    def upload(self, data: bytes, name: str = "testimony.txt", **headers: str):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/api/projects/{self.project}/evidence",
            content=_blocks(data),
            headers={**_headers(self.token, name), **headers},
        )

    def download(self, item_id: str, purpose: str = "review for the referral"):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/api/evidence/{item_id}/content", json={"purpose": purpose}, headers=self.token
        )


def _caller(
    client: TestClient, session: Session, settings: Settings, name: str, project_name: str
) -> Caller:
    project = team(session, project_name)
    principal = reviewer(session, name, project, Role.INVESTIGATOR)
    token = personal_token(session, settings, principal, SCOPES)
    return Caller(client, principal, token, project.id)


@pytest.fixture
def ours(client: TestClient, session: Session, settings: Settings) -> Caller:
    return _caller(client, session, settings, "investigator", "Darfur 2023")


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_streamed_upload_comes_back_byte_for_byte_with_its_custody(
    ours: Caller, settings: Settings
) -> None:
    data = b"%PDF-1.7\n" + os.urandom(200_000)
    response = ours.upload(data, "report.pdf")
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["size"], item["media_type"], item["filename"]) == (
        len(data),
        "application/pdf",
        "report.pdf",
    )
    assert item["sha256"] == hashlib.sha256(data).hexdigest()
    assert item["custody"]["entries"] == 1
    assert item["collection"]["collected_by"] == "Field team 3"
    assert item["project_id"] == ours.project

    assert ours.client.get(f"/api/evidence/{item['id']}", headers=ours.token).json() == item
    listed = ours.client.get(f"/api/projects/{ours.project}/evidence", headers=ours.token)
    assert [i["id"] for i in listed.json()] == [item["id"]]

    download = ours.download(item["id"])
    assert download.status_code == 200, download.text
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-evidence-sha256"] == item["sha256"]

    custody = ours.client.get(f"/api/evidence/{item['id']}/custody", headers=ours.token).json()
    assert custody["verified"] is True
    assert [(e["action"], e["purpose"]) for e in custody["chain"]] == [
        ("ingest", "intake"),
        ("download", "review for the referral"),
    ]
    assert {e["sha256"] for e in custody["chain"]} == {item["sha256"]}
    # The stored blob holds no plaintext of the file.
    assert data[9:10_000] not in every_file_bytes(settings.evidence_dir)


def test_uploading_needs_the_write_scope_and_a_purpose_to_download(
    client: TestClient, session: Session, settings: Settings, ours: Caller
) -> None:
    reader = reviewer(session, "reader", None, Role.INVESTIGATOR)
    read_only = personal_token(session, settings, reader, ("records:read",))
    refused = client.post(
        f"/api/projects/{ours.project}/evidence", content=b"x", headers=_headers(read_only)
    )
    assert refused.status_code == 403
    item = ours.upload(b"plain words").json()
    assert ours.download(item["id"], purpose="").status_code == 422
    missing = client.post(
        f"/api/projects/{ours.project}/evidence",
        content=b"x",
        headers={**ours.token, "x-evidence-filename": "a.txt"},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "x-evidence-collection"
    assert _count(session, EvidenceItem) == 1


def test_one_byte_over_the_limit_is_refused_mid_stream_and_stores_nothing(
    tmp_path: Path, store_url: str, factory: sessionmaker[Session], session: Session
) -> None:
    settings = make_settings(tmp_path, database_url=store_url, evidence_max_bytes=100_000)
    app: FastAPI = create_app(settings, factory)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    caller = _caller(client, session, settings, "investigator", "Darfur 2023")
    response = caller.upload(b"a" * 100_001)
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "file"
    assert _count(session, EvidenceItem) == 0
    assert _count(session, CustodyEvent) == 0
    store = LocalBlobStore(settings.evidence_dir)
    assert list(store.ids()) == []
    assert list((settings.evidence_dir / "partial").iterdir()) == []
    exact = caller.upload(b"a" * 100_000)
    assert exact.status_code == 201


def test_under_a_real_server_an_oversized_upload_is_answered_413(
    tmp_path: Path, store_url: str, factory: sessionmaker[Session], session: Session
) -> None:
    """Under uvicorn (not the test client, which reads the whole body first): the client streams
    32 MB against a 1 MB limit and reads the 413 rather than a reset connection."""
    settings = make_settings(tmp_path, database_url=store_url, evidence_max_bytes=1 << 20)
    app: FastAPI = create_app(settings, factory)
    caller = _caller(TestClient(app), session, settings, "investigator", "Darfur 2023")
    with serve(app) as base:
        response = httpx.post(
            f"{base}/api/projects/{caller.project}/evidence",
            content=_blocks(b"a" * (32 << 20)),
            headers=_headers(caller.token),
            timeout=60,
        )
    assert response.status_code == 413
    assert _count(session, EvidenceItem) == 0
    assert list(LocalBlobStore(settings.evidence_dir).ids()) == []


def test_other_writers_are_not_kept_waiting_while_an_upload_streams_in(
    tmp_path: Path, fresh_store_url: str
) -> None:
    """Under uvicorn, on a store of its own (the shared test connection would hide locking):
    half-way through a slow upload, another writer commits at once. The upload's write
    transaction begins once the file is in: on SQLite, a write lock held while the body streams
    would keep every other writer waiting, then failing after busy_timeout."""
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    app: FastAPI = create_app(settings, factory)
    with factory() as session:
        caller = _caller(TestClient(app), session, settings, "investigator", "Darfur 2023")
        session.commit()
    waited: list[float] = []

    def write_elsewhere() -> None:
        started = time.monotonic()
        with factory() as other:
            team(other, "Kasai 2024")
            other.commit()
        waited.append(time.monotonic() - started)

    def slow_body() -> Iterator[bytes]:
        yield b"a" * BLOCK
        time.sleep(0.5)  # the server is reading the body by now
        writer = threading.Thread(target=write_elsewhere)
        writer.start()
        writer.join(timeout=5)
        yield b"b" * BLOCK

    try:
        with serve(app) as base:
            response = httpx.post(
                f"{base}/api/projects/{caller.project}/evidence",
                content=slow_body(),
                headers=_headers(caller.token),
                timeout=60,
            )
        assert response.status_code == 201, response.text
        assert waited, "the other writer was still waiting when the upload ended"
        assert waited[0] < 5
        with factory() as session:
            assert _count(session, EvidenceItem) == 1
    finally:
        engine.dispose()


def test_no_plaintext_reaches_a_temporary_file_or_the_store(
    ours: Caller, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    canary = new_canary().encode()
    response = ours.upload(canary * 400_000, "canary.bin")  # about 9 MB
    assert response.status_code == 201, response.text
    assert canary not in every_file_bytes(scratch)
    assert canary not in every_file_bytes(settings.evidence_dir)
    assert list(scratch.iterdir()) == []


def test_another_projects_item_is_the_same_404_as_a_wrong_id(
    client: TestClient, session: Session, settings: Settings, ours: Caller
) -> None:
    item = ours.upload(b"testimony of a witness").json()
    stranger = _caller(client, session, settings, "stranger", "Myanmar 2021")
    for item_id in (item["id"], "0" * 32):
        read = client.get(f"/api/evidence/{item_id}", headers=stranger.token)
        content = stranger.download(item_id)
        custody = client.get(f"/api/evidence/{item_id}/custody", headers=stranger.token)
        for response in (read, content, custody):
            assert response.status_code == 404
            assert response.json()["detail"] == "no such evidence item"
    for path in (f"/api/projects/{ours.project}/evidence", f"/api/projects/{'0' * 32}/evidence"):
        assert client.get(path, headers=stranger.token).status_code == 404
    upload = client.post(
        f"/api/projects/{ours.project}/evidence", content=b"x", headers=_headers(stranger.token)
    )
    assert upload.status_code == 404
    # Naming another project's event in one's own upload is refused the same way.
    their_project = session.get(Project, stranger.project)
    assert their_project is not None
    their_event = story(session, stranger.principal, their_project)["event"]
    session.commit()
    attached = ours.upload(b"x", **{"x-evidence-event": their_event})
    assert attached.status_code == 404
    assert attached.json()["detail"] == "no such events record"
    assert _count(session, EvidenceItem) == 1
    assert _count(session, CustodyEvent) == 1  # the stranger's attempts left no custody entry


@pytest.mark.parametrize(
    ("name", "ascii_name", "served_as"),
    [
        ("../../etc/passwd", "passwd", "passwd"),
        ("..\\x.txt", "x.txt", "x.txt"),
        ("photo\u202egpj.exe", "photogpj.exe", "photogpj.exe"),
        ('a"b;c\x00.txt', "a_b_c.txt", 'a"b;c.txt'),
        ("شهادة.txt", "_____.txt", "شهادة.txt"),
        ("CON", "CON", "CON"),
        ("x" * 300, "x" * 200, "x" * 200),
    ],
)
def test_downloads_are_attachments_with_an_escaped_name(
    ours: Caller, name: str, ascii_name: str, served_as: str
) -> None:
    item = ours.upload(b"\x00\x01 bytes of no known type", name)
    assert item.status_code == 201, item.text
    assert item.json()["filename"] == name
    response = ours.download(item.json()["id"])
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition == (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(served_as, safe='')}"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-security-policy"].endswith("; sandbox")  # item 31


def test_a_corrupt_blob_fails_closed_and_its_mark_and_alert_are_committed(
    ours: Caller, session: Session, settings: Settings
) -> None:
    item = ours.upload(b"video frames " * 1000, "clip.bin").json()
    row = session.get(EvidenceItem, item["id"])
    assert row is not None
    blob = LocalBlobStore(settings.evidence_dir).path(row.blob_id)
    damaged = bytearray(blob.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    blob.write_bytes(bytes(damaged))

    response = ours.download(item["id"])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "evidence_corrupt"
    assert "fails its integrity check" in body["detail"]
    assert b"video frames" not in response.content

    session.expire_all()
    assert session.get(EvidenceItem, item["id"]).state == "corrupt"  # type: ignore[union-attr]
    actions = session.execute(
        select(CustodyEvent.action, CustodyEvent.details)
        .where(CustodyEvent.item_id == item["id"])
        .order_by(CustodyEvent.seq)
    ).all()
    assert [a for a, _ in actions] == ["ingest", "verification"]
    assert actions[1][1]["result"] == "corrupt"
    alerts = session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "evidence.corrupt", AuditEvent.object_id == item["id"])
    ).scalar_one()
    assert alerts == 1
    metadata = ours.client.get(f"/api/evidence/{item['id']}", headers=ours.token).json()
    assert metadata["state"] == "corrupt"
