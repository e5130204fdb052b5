"""Intake and reading of evidence (SECURITY.md items 5, 6, 30, 31, 45): limits while streaming,
types by content, file names as data, fail-closed reads, write-once originals, working copies,
and project boundaries."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from evidence_helpers import CHUNK, Vault, make_vault, record, vault
from sqlalchemy import func, select

from dignity.audit.models import AuditEvent
from dignity.evidence import intake
from dignity.evidence import services as evidence
from dignity.evidence.models import EvidenceItem
from dignity.evidence.stream import HEADER_BYTES, TAG_BYTES
from dignity.exc import IntegrityError, InvalidInput, NotFound, PermissionDenied
from dignity.security.permissions import Role
from factories.documentation import story
from factories.monitoring import reviewer

__all__ = ["vault"]  # the fixture, used by name

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20


def _count(vault: Vault) -> int:
    return vault.session.execute(select(func.count()).select_from(EvidenceItem)).scalar_one()


def _alerts(vault: Vault, item: EvidenceItem) -> list[AuditEvent]:
    return list(
        vault.session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "evidence.corrupt", AuditEvent.object_id == item.id
            )
        ).scalars()
    )


def test_a_file_goes_in_in_pieces_and_comes_back_whole(vault: Vault) -> None:
    data = os.urandom(5 * CHUNK + 17)
    pieces = [data[i : i + 50] for i in range(0, len(data), 50)]
    done: list[int] = []
    item = vault.add(pieces, "clip.bin", second_digest=True, progress=done.append)
    assert vault.read(item) == data
    assert (item.size, item.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert item.sha3_512 == hashlib.sha3_512(data).hexdigest()
    assert done[-1] == len(data)
    assert (item.kind, item.state, item.media_type) == (
        "original",
        "stored",
        "application/octet-stream",
    )
    assert evidence.filename_of(vault.session, vault.keyring, item) == "clip.bin"
    stored = evidence.collection_of(vault.session, vault.keyring, item)
    assert stored == evidence.collection(**record())
    assert item.blob_id not in "clip.bin"
    assert vault.blob(item).name == item.blob_id
    actions = [e.action for e in evidence.custody(vault.session, vault.investigator, item.id)]
    assert actions == ["ingest", "download"]


def test_an_item_can_document_an_event_of_its_own_project_only(
    vault: Vault, tmp_path: Path
) -> None:
    event = story(vault.session, vault.investigator, vault.project)["event"]
    item = vault.add(b"photo notes", event_id=event)
    assert item.event_id == event
    other = make_vault(vault.session, tmp_path / "other", "Yemen 2022")
    theirs = story(vault.session, other.investigator, other.project)["event"]
    with pytest.raises(NotFound):
        vault.add(b"x", event_id=theirs)


def _damage(path: Path, how: str) -> None:
    sealed = bytearray(path.read_bytes())
    body, size = sealed[HEADER_BYTES:], CHUNK + TAG_BYTES
    chunks = [bytes(body[i : i + size]) for i in range(0, len(body), size)]
    if how == "flip one byte":
        sealed[HEADER_BYTES + 70] ^= 0x01
        damaged = bytes(sealed)
    elif how == "truncate":
        damaged = bytes(sealed[:-9])
    elif how == "swap two chunks":
        chunks[0], chunks[1] = chunks[1], chunks[0]
        damaged = bytes(sealed[:HEADER_BYTES]) + b"".join(chunks)
    else:
        damaged = b""
        path.unlink()
    if damaged:
        path.write_bytes(damaged)


@pytest.mark.parametrize("how", ["flip one byte", "truncate", "swap two chunks", "delete"])
def test_a_damaged_blob_fails_closed_marks_the_item_and_raises_an_alert(
    vault: Vault, how: str
) -> None:
    data = os.urandom(4 * CHUNK + 5)
    item = vault.add(data)
    _damage(vault.blob(item), how)
    with pytest.raises(evidence.CorruptEvidence):
        vault.read(item)
    assert item.state == "corrupt"
    assert len(_alerts(vault, item)) == 1
    chain = evidence.custody(vault.session, vault.investigator, item.id)
    assert [e.action for e in chain] == ["ingest", "verification"]
    assert chain[-1].details["result"] == "corrupt"
    assert evidence.verify_chain(vault.session, vault.investigator, item.id).ok


def test_a_blob_swapped_for_another_items_blob_fails_closed(vault: Vault) -> None:
    first, second = vault.add(b"first " * 30), vault.add(b"second " * 30)
    vault.blob(first).write_bytes(vault.blob(second).read_bytes())
    with pytest.raises(IntegrityError):
        vault.read(first)
    assert vault.read(second) == b"second " * 30


def _pieces(n: int, size: int, taken: list[int]) -> Iterator[bytes]:
    for i in range(n):
        taken.append(i)
        yield bytes([65 + i]) * size


def test_the_size_limit_is_enforced_while_streaming_and_stores_nothing(vault: Vault) -> None:
    before, taken = _count(vault), list[int]()
    with pytest.raises(evidence.EvidenceTooLarge, match=r"'big\.mp4'.*550"):
        vault.add(_pieces(10, 100, taken), "big.mp4", max_bytes=550)
    assert len(taken) == 6  # reading stopped at the piece that passed the limit
    assert _count(vault) == before
    assert [p for p in vault.store.root.rglob("*") if p.is_file()] == []
    assert vault.add(_pieces(10, 55, []), "fits.bin", max_bytes=550).size == 550


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("page.html", b"<html><body>phishing</body></html>"),
        ("photo.jpg", PDF),
        ("drawing.svg.txt", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("installer", b"MZ\x90\x00" + b"\x00" * 100),
    ],
)
def test_active_or_mislabelled_content_is_refused_unless_allowed(
    vault: Vault, name: str, content: bytes
) -> None:
    before = _count(vault)
    with pytest.raises(InvalidInput, match="nothing was stored"):
        vault.add(content, name)
    assert _count(vault) == before
    assert not list(vault.store.root.glob("blobs/*/*/*"))
    kept = vault.add(content, name, allow_active=True)
    assert vault.read(kept) == content
    assert evidence.custody(vault.session, vault.investigator, kept.id)[0].details["allowed"]


def test_the_type_comes_from_the_content(vault: Vault) -> None:
    assert vault.add(PDF, "scan").media_type == "application/pdf"
    assert vault.add(PDF, "scan.pdf").media_type == "application/pdf"
    assert vault.add("نص الشهادة".encode(), "notes.txt").media_type == "text/plain"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\x",
        "/etc/shadow",
        "a\x00b.txt",
        "evil\u202egnp.exe",
        "x" * 300,
        "CON",
        "шахід \udcff.txt",
    ],
)
def test_file_names_are_data_never_paths(vault: Vault, name: str) -> None:
    item = vault.add(b"plain words", name)
    assert evidence.filename_of(vault.session, vault.keyring, item) == name
    assert vault.blob(item).is_relative_to(vault.store.root / "blobs")
    assert [p.name for p in vault.store.root.glob("blobs/*/*/*")] == [item.blob_id]


def test_a_working_copy_records_its_original_which_stays_unchanged(vault: Vault) -> None:
    original = vault.add(PDF, "statement.pdf")
    sealed_before = vault.blob(original).read_bytes()
    digests_before = (original.size, original.sha256, original.sha3_512)
    redacted = PDF.replace(b"Catalog", b"XXXXXXX")
    vault.read(original)
    copy = evidence.add_working_copy(
        vault.session,
        vault.investigator,
        vault.keyring,
        vault.store,
        original.id,
        [redacted],
        filename="statement-redacted.pdf",
        operation="redaction",
        max_bytes=10**6,
    )
    assert (copy.kind, copy.derived_from, copy.operation) == ("working", original.id, "redaction")
    assert copy.derived_by == vault.investigator.actor
    assert copy.blob_id != original.blob_id
    assert vault.read(copy) == redacted
    assert vault.read(original) == PDF
    assert vault.blob(original).read_bytes() == sealed_before
    assert (original.size, original.sha256, original.sha3_512) == digests_before
    assert evidence.collection_of(vault.session, vault.keyring, copy) == evidence.collection(
        **record()
    )
    with pytest.raises(InvalidInput, match="operation"):
        evidence.add_working_copy(
            vault.session,
            vault.investigator,
            vault.keyring,
            vault.store,
            original.id,
            [b"x"],
            filename="x",
            operation="enhance",
            max_bytes=10,
        )


def test_another_projects_member_is_told_not_found(vault: Vault, tmp_path: Path) -> None:
    item = vault.add(b"testimony")
    other = make_vault(vault.session, tmp_path / "other", "Yemen 2022")
    outsider = other.investigator
    calls: dict[str, Callable[[], object]] = {
        "get": lambda: evidence.get_item(vault.session, outsider, item.id),
        "open": lambda: vault.read(item, outsider),
        "custody": lambda: evidence.custody(vault.session, outsider, item.id),
        "chain": lambda: evidence.verify_chain(vault.session, outsider, item.id),
        "list": lambda: evidence.list_items(vault.session, outsider, vault.project.id),
        "add": lambda: evidence.add_evidence(
            vault.session,
            outsider,
            vault.keyring,
            vault.store,
            vault.project.id,
            [b"x"],
            filename="x",
            collection=record(),
            max_bytes=10,
        ),
        "derive": lambda: evidence.add_working_copy(
            vault.session,
            outsider,
            vault.keyring,
            vault.store,
            item.id,
            [b"x"],
            filename="x",
            operation="crop",
            max_bytes=10,
        ),
    }
    for what, call in calls.items():
        with pytest.raises(NotFound):
            call()
        assert what
    with pytest.raises(NotFound, match="no such evidence item"):
        evidence.get_item(vault.session, vault.investigator, "0" * 36)
    assert [i.id for i in evidence.list_items(vault.session, vault.investigator, vault.project.id)]
    analyst = reviewer(vault.session, "analyst", vault.project, Role.ANALYST)
    with pytest.raises(PermissionDenied):
        evidence.add_evidence(
            vault.session,
            analyst,
            vault.keyring,
            vault.store,
            vault.project.id,
            [b"x"],
            filename="x",
            collection=record(),
            max_bytes=10,
        )
    assert vault.read(item, analyst) == b"testimony"


def test_a_collection_record_needs_who_where_and_an_aware_time(vault: Vault) -> None:
    with pytest.raises(InvalidInput) as refused:
        vault.add(b"x", collection=record(collected_by="", collected_at="2024-05-01T10:00"))
    fields = {problem.field for problem in refused.value.errors}
    assert fields == {"collected_by", "collected_at"}
    with pytest.raises(InvalidInput, match="purpose"):
        evidence.open_original(
            vault.session,
            vault.investigator,
            vault.keyring,
            vault.store,
            vault.add(b"y").id,
            purpose=" ",
        )


@pytest.mark.parametrize("step", ["custody entry", "blob commit"])
def test_a_failure_at_any_write_step_leaves_neither_row_nor_blob(
    vault: Vault, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(f"injected failure at the {step}")

    if step == "custody entry":
        monkeypatch.setattr(intake, "append_custody", fail)
    else:
        monkeypatch.setattr(vault.store, "commit", fail)
    before = _count(vault)
    with pytest.raises(OSError, match="injected"):
        vault.add(PDF, "statement.pdf")
    assert _count(vault) == before
    assert [p for p in vault.store.root.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    assert vault.read(vault.add(PDF, "statement.pdf")) == PDF  # the session is still usable
