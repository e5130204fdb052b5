"""Export bundles (SECURITY.md item 45): a bundle holds the originals byte for byte, their records
and chains of custody, and a signed manifest; it verifies on a machine with no database, and any
change to it (a byte of a member, the manifest, a file removed or added, a custody entry edited,
a signature by another key) is reported with the member it concerns."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from evidence_helpers import Vault, make_vault, record
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from conftest import make_settings
from dignity.audit import record_event
from dignity.audit.models import AuditEvent
from dignity.cli import app
from dignity.cli import evidence as cli_evidence
from dignity.cli.context import state
from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.bundle_verify import BundleReport, custody_hash, verify_bundle
from dignity.evidence.custody import append_custody
from dignity.evidence.models import CORRUPT, EvidenceItem
from dignity.exc import Conflict, InvalidInput, NotFound, PermissionDenied
from dignity.security.keys import key_id
from dignity.security.permissions import Role
from dignity.security.projects import create_project
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from factories.documentation import story
from factories.monitoring import reviewer

PDF = b"%PDF-1.7\n" + b"stream of a statement\n" * 30  # several 64-byte chunks
NOTES = b"what the witness saw at the well\n" * 12
PURPOSE = "referral to the prosecutor of case 17"
Members = dict[str, bytes]


@dataclass
class Exported:
    vault: Vault
    items: dict[str, EvidenceItem]
    key: Ed25519PrivateKey
    result: evidence.ExportedBundle

    @property
    def path(self) -> Path:
        return self.result.path

    def members(self) -> Members:
        with zipfile.ZipFile(self.path) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist()}

    def manifest(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.members()["manifest.json"])
        return loaded

    def member(self, item: str, part: str) -> str:
        """The path of an item's `content`, `metadata` or `custody` member."""
        manifest = self.manifest()
        for entry in manifest["items"]:  # type: ignore[attr-defined]
            if entry["id"] == self.items[item].id:
                path: str = entry["files"][part]
                return path
        raise AssertionError(f"{item} is not in the bundle")


@pytest.fixture
def vault(session: Session, tmp_path: Path) -> Vault:
    return make_vault(session, tmp_path)


@pytest.fixture
def exported(vault: Vault, tmp_path: Path) -> Exported:
    """An event's two originals (one named like a path), a working copy of the first, and an
    item of the project that documents nothing; the event exported with working copies."""
    event = story(vault.session, vault.investigator, vault.project)["event"]
    statement = vault.add(PDF, "statement.pdf", event_id=event, second_digest=True)
    notes = vault.add(NOTES, "../../etc/passwd", event_id=event)
    other = vault.add(b"not part of the event", "other.txt")
    redacted = evidence.add_working_copy(
        vault.session,
        vault.investigator,
        vault.keyring,
        vault.store,
        statement.id,
        [b"%PDF-1.7\n" + b"[redacted]\n" * 10],
        filename="statement-redacted.pdf",
        operation="redaction",
        max_bytes=10**6,
        chunk_bytes=64,
    )
    vault.read(statement)  # one more custody entry before the export
    key = Ed25519PrivateKey.generate()
    out = tmp_path / "outgoing"
    out.mkdir()
    result = evidence.export_bundle(
        vault.session,
        vault.investigator,
        vault.keyring,
        vault.store,
        out / "bundle.zip",
        event_id=event,
        include_working_copies=True,
        signing_key=key,
        purpose=PURPOSE,
    )
    items = {"statement": statement, "notes": notes, "other": other, "redacted": redacted}
    return Exported(vault, items, key, result)


def _rewrite(source: Path, target: Path, change: Callable[[Members], Members]) -> Path:
    """A copy of the bundle with its members changed, as a well-formed ZIP (CRCs correct)."""
    with zipfile.ZipFile(source) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data in change(members).items():
            archive.writestr(name, data)
    return target


def _resign(members: Members, key: Ed25519PrivateKey) -> Members:
    """Recompute every file hash in the manifest and sign it with `key`, as a forger would."""
    manifest = json.loads(members["manifest.json"])
    for entry in manifest["files"]:
        entry["size"] = len(members[entry["path"]])
        entry["sha256"] = hashlib.sha256(members[entry["path"]]).hexdigest()
    manifest["signing_key_id"] = key_id(key.public_key())
    data = json.dumps(manifest).encode()
    raw = key.public_key().public_bytes_raw()
    signature = {
        "algorithm": "Ed25519",
        "signed_file": "manifest.json",
        "key_id": key_id(key.public_key()),
        "public_key": base64.b64encode(raw).decode(),
        "signature": base64.b64encode(key.sign(data)).decode(),
    }
    return {**members, "manifest.json": data, "manifest.sig": json.dumps(signature).encode()}


def _problems(report: BundleReport) -> list[str]:
    return [str(problem) for problem in report.problems]


# --- what a bundle holds ----------------------------------------------------------------------


def test_the_bundle_verifies_elsewhere_and_holds_the_originals(
    exported: Exported, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "recipient" / "received.zip"
    elsewhere.parent.mkdir()
    shutil.copyfile(exported.path, elsewhere)
    report = verify_bundle(elsewhere, trusted_key_id=key_id(exported.key.public_key()))
    assert _problems(report) == []
    assert (report.ok, report.trusted_key, report.items, report.files) == (True, True, 3, 9)
    assert (report.purpose, report.exporter) == (PURPOSE, exported.vault.investigator.actor)
    manifest = exported.manifest()
    assert manifest["selection"] == {"event": exported.items["statement"].event_id}
    assert manifest["signing_key_id"] == exported.result.key_id

    members = exported.members()
    assert exported.result.items == [
        exported.items[name].id for name in ("statement", "notes", "redacted")
    ]
    assert members[exported.member("statement", "content")] == PDF
    assert members[exported.member("notes", "content")] == NOTES
    assert exported.member("statement", "content").endswith("/content.pdf")
    assert exported.member("notes", "content").endswith("/content.txt")
    assert exported.items["other"].id not in " ".join(members)
    for name in members:  # ids and fixed words only, never a received name (item 31)
        assert re.fullmatch(r"manifest\.(json|sig)|items/[0-9a-f-]{36}/[a-z]+\.[a-z]+", name)
    with zipfile.ZipFile(exported.path) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    assert exported.path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in exported.path.parent.iterdir()) == ["bundle.zip"]


def test_metadata_opens_the_sealed_fields_and_names_derivations(exported: Exported) -> None:
    members = exported.members()
    notes = json.loads(members[exported.member("notes", "metadata")])
    assert notes["item"]["original_filename"] == "../../etc/passwd"
    assert notes["item"]["sha256"] == hashlib.sha256(NOTES).hexdigest()
    assert notes["item"]["media_type"] == "text/plain"
    expected = record()
    for field in ("collected_by", "account_or_persona", "source", "purpose", "tool"):
        assert notes["collection"][field] == expected[field]
    assert notes["collection"]["collected_at"] == "2024-05-01T14:03:00Z"
    statement = json.loads(members[exported.member("statement", "metadata")])
    redacted = exported.items["redacted"]
    assert statement["item"]["sha3_512"] == hashlib.sha3_512(PDF).hexdigest()
    assert statement["item"]["working_copies"] == [
        {
            "id": redacted.id,
            "operation": "redaction",
            "derived_by": exported.vault.investigator.actor,
            "in_bundle": True,
        }
    ]
    copy = json.loads(members[exported.member("redacted", "metadata")])
    assert (copy["item"]["kind"], copy["item"]["derived_from"]) == (
        "working",
        exported.items["statement"].id,
    )


def test_every_item_gets_an_export_entry_naming_the_manifest(exported: Exported) -> None:
    vault, members = exported.vault, exported.members()
    manifest_sha256 = hashlib.sha256(members["manifest.json"]).hexdigest()
    assert exported.result.manifest_sha256 == manifest_sha256
    for name in ("statement", "notes", "redacted"):
        chain = evidence.custody(vault.session, vault.investigator, exported.items[name].id)
        last = chain[-1]
        assert (last.action, last.purpose, last.actor) == (
            "export",
            PURPOSE,
            vault.investigator.actor,
        )
        assert last.details["bundle_manifest_sha256"] == manifest_sha256
        assert last.details["bundle_key_id"] == key_id(exported.key.public_key())
        bundled = json.loads(members[exported.member(name, "custody")])["entries"]
        assert [e["hash"] for e in bundled] == [e.hash for e in chain[:-1]]
        assert last.prev_hash == bundled[-1]["hash"]
        assert evidence.verify_chain(vault.session, vault.investigator, last.item_id).ok
    assert [
        e.action
        for e in evidence.custody(vault.session, vault.investigator, exported.items["statement"].id)
    ] == [
        "ingest",
        "download",
        "export",
    ]
    other = evidence.custody(vault.session, vault.investigator, exported.items["other"].id)
    assert [e.action for e in other] == ["ingest"]
    event = vault.session.execute(
        select(AuditEvent).where(AuditEvent.action == "evidence.bundle-exported")
    ).scalar_one()
    assert event.object_id == manifest_sha256
    assert json.loads(event.details)["items"] == exported.result.items


def test_verification_needs_no_database(exported: Exported, tmp_path: Path) -> None:
    """Only `dignity.evidence.bundle_verify` is imported, in a fresh interpreter, and neither
    SQLAlchemy nor any store, audit or settings module is loaded."""
    script = (
        "import sys\n"
        "from dignity.evidence.bundle_verify import verify_bundle\n"
        "report = verify_bundle(sys.argv[1], trusted_key_id=sys.argv[2])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'psycopg', 'pydantic_settings') or m.startswith(('dignity.store', "
        "'dignity.audit', 'dignity.settings', 'dignity.security')))\n"
        "print(report.ok, report.items, loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGNITY_")}
    found = subprocess.run(
        [sys.executable, "-I", "-c", script, str(exported.path), exported.result.key_id],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
        timeout=60,
    )
    assert (found.returncode, found.stderr) == (0, "")
    assert found.stdout == "True 3 []\n"


# --- any change is caught -----------------------------------------------------------------------


def _flip_raw(path: Path, member: str) -> None:
    """Flip one byte in the middle of a member's stored data, in place (its CRC now wrong)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.file_size // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("manifest.json", "manifest.json: was changed after it was written"),
        ("manifest.sig", "manifest.sig: is not a readable signature"),
        (
            "statement.content",
            "{path}: was changed: its bytes no longer match the archive's CRC-32",
        ),
        ("notes.metadata", "{path}: was changed: its bytes no longer match the archive's CRC-32"),
        ("redacted.custody", "{path}: was changed: its bytes no longer match the archive's CRC-32"),
    ],
)
def test_a_flipped_byte_in_any_member_is_caught(
    exported: Exported, member: str, expected: str
) -> None:
    if "." in member and not member.startswith("manifest"):
        item, part = member.split(".")
        member = exported.member(item, part)
    _flip_raw(exported.path, member)
    problems = _problems(verify_bundle(exported.path))
    assert any(p.startswith(expected.format(path=member)) for p in problems), problems


@pytest.mark.parametrize("part", ["content", "metadata", "custody"])
def test_a_changed_member_no_longer_matches_its_sha256(
    exported: Exported, tmp_path: Path, part: str
) -> None:
    path = exported.member("notes", part)

    original = exported.members()[path]
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x20  # one bit of one byte

    def change(members: Members) -> Members:
        return {**members, path: bytes(changed)}

    problems = _problems(verify_bundle(_rewrite(exported.path, tmp_path / "x.zip", change)))
    # The first problem named is the hash; a changed JSON member may not parse any more either.
    assert problems[0] == (
        f"{path}: SHA-256 is {hashlib.sha256(changed).hexdigest()}, "
        f"the manifest lists {hashlib.sha256(original).hexdigest()}"
    )
    assert all(p.startswith(path) for p in problems), problems


def test_an_edited_manifest_breaks_the_signature(exported: Exported, tmp_path: Path) -> None:
    def change(members: Members) -> Members:
        text = members["manifest.json"].replace(PURPOSE.encode(), b"routine backup of case 17")
        return {**members, "manifest.json": text}

    report = verify_bundle(_rewrite(exported.path, tmp_path / "x.zip", change))
    assert _problems(report) == [
        f"manifest.sig: does not verify under key {exported.result.key_id}: manifest.json was "
        "changed after it was signed, or the signature was replaced"
    ]


def test_a_removed_and_an_added_file_are_named(exported: Exported, tmp_path: Path) -> None:
    removed = exported.member("redacted", "metadata")
    added = removed.replace("metadata.json", "content.exe")

    def change(members: Members) -> Members:
        kept = {name: data for name, data in members.items() if name != removed}
        return {**kept, added: b"MZ\x90\x00 not from the exporter", "../escape.txt": b"x"}

    problems = _problems(verify_bundle(_rewrite(exported.path, tmp_path / "x.zip", change)))
    assert problems == [
        f"{added}: is in the bundle but not in the manifest (a file was added)",
        "'../escape.txt': is in the bundle but not in the manifest (a file was added)",
        f"{removed}: is listed in the manifest but missing from the bundle",
    ]


def test_an_edited_custody_entry_is_caught_even_when_rehashed_and_resigned(
    exported: Exported, tmp_path: Path
) -> None:
    path = exported.member("statement", "custody")
    forger = Ed25519PrivateKey.generate()

    def edit(members: Members) -> Members:
        document = json.loads(members[path])
        document["entries"][1]["actor"] = "user:someone-else"
        return {**members, path: json.dumps(document).encode()}

    plain = _problems(verify_bundle(_rewrite(exported.path, tmp_path / "a.zip", edit)))
    size = len(exported.members()[path])
    edited = len(edit(exported.members())[path])
    assert plain[0] == f"{path}: is {edited:,} bytes, the manifest lists {size:,}"
    assert plain[1].startswith(f"{path}: entry 2 was changed after it was written (its hash is ")
    assert len(plain) == 2, plain

    # Re-signed with another key, the files match their manifest; the chain still does not.
    resigned = _rewrite(exported.path, tmp_path / "b.zip", lambda m: _resign(edit(m), forger))
    problems = _problems(verify_bundle(resigned))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: entry 2 was changed after it was written")


def test_a_rewritten_chain_resigned_with_another_key_fails_against_the_trusted_key(
    exported: Exported, tmp_path: Path
) -> None:
    """A forger who rewrites an entry, re-hashes the whole chain, updates the manifest's head and
    signs with a key of their own makes a bundle that holds together: only the key id, obtained
    out of band, shows it is not the exporter's."""
    path = exported.member("statement", "custody")
    item_id = exported.items["statement"].id
    forger = Ed25519PrivateKey.generate()

    def forge(members: Members) -> Members:
        document = json.loads(members[path])
        previous = "0" * 64
        for entry in document["entries"]:
            if entry["action"] == "download":
                entry["purpose"] = "nothing happened"
            entry["prev_hash"] = previous
            entry["hash"] = previous = custody_hash(entry)
        manifest = json.loads(members["manifest.json"])
        for item in manifest["items"]:
            if item["id"] == item_id:
                item["custody"]["head"] = previous
        changed = {**members, path: json.dumps(document).encode()}
        return _resign({**changed, "manifest.json": json.dumps(manifest).encode()}, forger)

    forged = _rewrite(exported.path, tmp_path / "forged.zip", forge)
    untrusted = verify_bundle(forged)
    assert (untrusted.ok, untrusted.key_id) == (True, key_id(forger.public_key()))
    assert untrusted.key_id != exported.result.key_id
    trusted = verify_bundle(forged, trusted_key_id=exported.result.key_id)
    assert _problems(trusted) == [
        f"manifest.sig: is signed by key {key_id(forger.public_key())}, not by the trusted key "
        f"{exported.result.key_id}"
    ]


def test_a_dropped_custody_entry_is_caught(exported: Exported, tmp_path: Path) -> None:
    path = exported.member("statement", "custody")
    forger = Ed25519PrivateKey.generate()

    def drop(members: Members) -> Members:
        document = json.loads(members[path])
        document["entries"] = document["entries"][:-1]
        return _resign({**members, path: json.dumps(document).encode()}, forger)

    problems = _problems(verify_bundle(_rewrite(exported.path, tmp_path / "x.zip", drop)))
    head = json.loads(exported.members()[path])["entries"][-1]["hash"]
    dropped_to = json.loads(exported.members()[path])["entries"][-2]["hash"]
    assert problems == [
        f"{path}: has 1 entries, the manifest records 2",
        f"{path}: ends at {dropped_to}, not at the head {head} the manifest records",
    ]


def test_what_is_not_a_bundle_is_reported(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    assert _problems(verify_bundle(junk))[0].startswith("bundle: cannot be read as a ZIP archive")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    assert _problems(verify_bundle(empty)) == [
        "manifest.json: is missing: nothing in the bundle can be checked"
    ]


# --- refusals -------------------------------------------------------------------------------------


def test_a_corrupt_blob_stops_the_export_and_leaves_no_file(vault: Vault, tmp_path: Path) -> None:
    good = vault.add(NOTES, "notes.txt")
    bad = vault.add(PDF, "statement.pdf")
    blob = vault.blob(bad)
    damaged = bytearray(blob.read_bytes())
    damaged[-5] ^= 0x01
    blob.write_bytes(bytes(damaged))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(evidence.CorruptEvidence, match="the export was stopped"):
        evidence.export_bundle(
            vault.session,
            vault.investigator,
            vault.keyring,
            vault.store,
            out / "bundle.zip",
            item_ids=[good.id, bad.id],
            signing_key=Ed25519PrivateKey.generate(),
            purpose=PURPOSE,
        )
    assert list(out.iterdir()) == []
    assert bad.state == CORRUPT
    chain = evidence.custody(vault.session, vault.investigator, bad.id)
    assert (chain[-1].action, chain[-1].details["result"]) == ("verification", "corrupt")
    assert [e.action for e in evidence.custody(vault.session, vault.investigator, good.id)] == [
        "ingest"
    ]


def test_refusals(vault: Vault, tmp_path: Path) -> None:
    item = vault.add(NOTES, "notes.txt")
    key = Ed25519PrivateKey.generate()

    def export(who: object = None, out: Path | None = None, **selection: object) -> None:
        evidence.export_bundle(
            vault.session,
            who or vault.investigator,  # type: ignore[arg-type]
            vault.keyring,
            vault.store,
            out or tmp_path / "b.zip",
            signing_key=key,
            purpose=PURPOSE,
            **selection,  # type: ignore[arg-type]
        )

    existing = tmp_path / "exists.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(Conflict, match="exists already"):
        export(out=existing, item_ids=[item.id])
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(InvalidInput, match="what should be exported"):
        export()
    with pytest.raises(InvalidInput, match="what should be exported"):
        export(item_ids=[item.id], project_id=vault.project.id)
    with pytest.raises(InvalidInput, match="why is it exported"):
        evidence.export_bundle(
            vault.session,
            vault.investigator,
            vault.keyring,
            vault.store,
            tmp_path / "b.zip",
            item_ids=[item.id],
            signing_key=key,
            purpose="  ",
        )
    analyst = reviewer(vault.session, "analyst", vault.project, Role.ANALYST)
    with pytest.raises(PermissionDenied, match="export:bulk"):
        export(analyst, item_ids=[item.id])
    other = make_vault(vault.session, tmp_path / "other", "Kasai 2024")
    with pytest.raises(NotFound):
        export(other.investigator, item_ids=[item.id])
    with pytest.raises(NotFound):
        export(other.investigator, project_id=vault.project.id)
    assert not (tmp_path / "b.zip").exists()
    assert [e.action for e in evidence.custody(vault.session, vault.investigator, item.id)] == [
        "ingest"
    ]


# --- the command line -------------------------------------------------------------------------

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
]
SIGNED = re.compile(r"^signed with key (?P<key>[0-9a-f]{64}):", re.MULTILINE)


@pytest.fixture
def cli(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        create_project(session, "Darfur 2023", "", actor="test")
    engine.dispose()
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings)
    yield settings
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_export_and_verify_bundle(cli: Settings, tmp_path: Path) -> None:
    first, second = tmp_path / "statement.pdf", tmp_path / "notes.txt"
    first.write_bytes(PDF)
    second.write_bytes(NOTES)
    code, out, err = _run("evidence", "add", str(first), str(second), *COLLECTION)
    assert code == 0, err or out
    stored = [m["id"] for m in STORED.finditer(out)]

    bundle = tmp_path / "bundle.zip"
    code, out, err = _run(
        "evidence", "export", "--project", "Darfur 2023", "--out", str(bundle), "--purpose", PURPOSE
    )
    assert code == 0, err or out
    assert f"{bundle}: 2 items, 6 files, {len(PDF) + len(NOTES):,} bytes of evidence" in out
    match = SIGNED.search(out)
    assert match is not None, out
    signing_key = cli.evidence_signing_key_path
    assert signing_key.stat().st_mode & 0o777 == 0o600
    code, out, err = _run("evidence", "custody", stored[0])
    assert code == 0, err or out
    assert "export           operator:" in out
    assert f"{stored[0]}: the chain of custody verifies (2 entries)" in out

    code, out, err = _run("evidence", "export", stored[1], "--out", str(bundle), "--purpose", "x")
    assert code == 1
    assert "exists already" in err

    # The recipient: no database at all (any use of the store would fail), the bundle elsewhere.
    state.configure(
        make_settings(tmp_path / "recipient", database_url="sqlite:////nonexistent/dir/none.db")
    )
    received = tmp_path / "recipient.zip"
    shutil.copyfile(bundle, received)
    code, out, err = _run("evidence", "verify-bundle", str(received), "--key-id", match["key"])
    assert code == 0, err or out
    assert f"{received}: valid: 2 items, 6 files, exported " in out
    assert f"signed by the trusted key {match['key']}" in out
    code, out, err = _run("evidence", "verify-bundle", str(received))
    assert code == 0, err or out
    assert "compare it with the exporter's key id obtained out of band" in out

    code, out, err = _run("evidence", "verify-bundle", str(received), "--key-id", "ab" * 32)
    assert code == 1
    assert f"problem: manifest.sig: is signed by key {match['key']}, not by the trusted key" in out
    assert f"{received}: NOT valid: 1 problem" in out

    def change(members: Members) -> Members:
        name = next(n for n in members if n.endswith("content.txt"))
        return {**members, name: members[name].replace(b"well", b"wall")}

    tampered = _rewrite(received, tmp_path / "tampered.zip", change)
    code, out, err = _run("evidence", "verify-bundle", str(tampered), "--key-id", match["key"])
    assert code == 1
    assert re.search(r"^problem: items/[0-9a-f-]{36}/content\.txt: SHA-256 is ", out, re.M), out
    assert f"{tampered}: NOT valid: 1 problem" in out


def _stored(tmp_path: Path) -> list[str]:
    first, second = tmp_path / "statement.pdf", tmp_path / "notes.txt"
    first.write_bytes(PDF)
    second.write_bytes(NOTES)
    code, out, err = _run("evidence", "add", str(first), str(second), *COLLECTION)
    assert code == 0, err or out
    return [m["id"] for m in STORED.finditer(out)]


def _meanwhile(
    monkeypatch: pytest.MonkeyPatch, url: str, write: Callable[[Session], object]
) -> None:
    """Make `write` commit in another connection after the CLI's export has read and written
    its bundle, before the export records it (as a server writing to the store would)."""
    real = evidence.write_bundle

    def interleaved(*args: object, **kwargs: object) -> evidence.WrittenBundle:
        written = real(*args, **kwargs)  # type: ignore[arg-type]
        engine = create_engine(url)
        try:

            def other() -> None:
                with transaction(make_sessionmaker(engine)) as session:
                    write(session)

            thread = threading.Thread(target=other)
            thread.start()
            thread.join(timeout=30)
        finally:
            engine.dispose()
        return written

    monkeypatch.setattr(evidence, "write_bundle", interleaved)


def _refused_export(tmp_path: Path, stored: list[str], error: str) -> None:
    """Run `evidence export` of `stored` into an empty directory: it must fail with `error`
    and leave nothing there (neither the bundle nor its temporary file)."""
    outgoing = tmp_path / "outgoing"
    outgoing.mkdir()
    bundle = outgoing / "bundle.zip"
    code, _out, err = _run("evidence", "export", *stored, "--out", str(bundle), "--purpose", "x")
    assert code == 1
    assert error in err
    assert list(outgoing.iterdir()) == []


def test_a_server_writing_during_a_cli_export_does_not_make_it_fail(
    cli: Settings, tmp_path: Path, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite a transaction that has read cannot write once another writer has committed: the
    # export reads and writes its bundle in one transaction and records it in another.
    stored = _stored(tmp_path)

    def audit(session: Session) -> None:
        record_event(session, actor="server", action="test.meanwhile", object_type="test")

    _meanwhile(monkeypatch, fresh_store_url, audit)
    bundle = tmp_path / "bundle.zip"
    code, out, err = _run("evidence", "export", *stored, "--out", str(bundle), "--purpose", "x")
    assert code == 0, err or out
    report = verify_bundle(bundle)
    assert (_problems(report), report.items) == ([], 2)
    engine = create_engine(fresh_store_url)
    try:
        with make_sessionmaker(engine)() as session:
            actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    finally:
        engine.dispose()
    assert actions[-4:] == [
        "test.meanwhile",
        "evidence.export",
        "evidence.export",
        "evidence.bundle-exported",
    ]


def test_a_corrupt_blob_found_by_a_cli_export_is_marked_while_a_server_writes(
    cli: Settings, tmp_path: Path, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The corrupt mark is written in a transaction of its own, as the bundle's record is: made
    # in the reading transaction, a server's write meanwhile lost it (SQLite: "database is
    # locked") and the command reported the lock, not the damaged file.
    stored = _stored(tmp_path)
    with transaction(state.sessionmaker) as session:
        damaged_item = session.get(EvidenceItem, stored[0])
        assert damaged_item is not None
        blob = LocalBlobStore(cli.evidence_dir).path(damaged_item.blob_id)
    damaged = bytearray(blob.read_bytes())
    damaged[-5] ^= 0x01
    blob.write_bytes(bytes(damaged))
    real = evidence.write_bundle

    def server_writes_then_fails(*args: object, **kwargs: object) -> evidence.WrittenBundle:
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        except evidence.CorruptEvidence:
            engine = create_engine(fresh_store_url)
            try:
                with transaction(make_sessionmaker(engine)) as other:
                    record_event(other, actor="server", action="test.meanwhile", object_type="t")
            finally:
                engine.dispose()
            raise

    monkeypatch.setattr(evidence, "write_bundle", server_writes_then_fails)
    damage = f"evidence item {stored[0]}: the stored file fails its integrity check"
    _refused_export(tmp_path, stored, damage)
    engine = create_engine(fresh_store_url)
    try:
        with make_sessionmaker(engine)() as session:
            item = session.get(EvidenceItem, stored[0])
            assert item is not None
            assert item.state == CORRUPT
            actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    finally:
        engine.dispose()
    assert actions[-3:] == ["test.meanwhile", "evidence.verification", "evidence.corrupt"]


def test_an_item_whose_chain_moved_on_while_it_was_exported_is_not_recorded(
    cli: Settings, tmp_path: Path, fresh_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export entry must follow the chain the bundle carries: an entry added between the
    # bundle and its record makes the export a conflict, with nothing recorded or left behind.
    stored = _stored(tmp_path)
    real = cli_evidence.write_transaction

    @contextmanager
    def after_another_entry(factory: sessionmaker[Session]) -> Iterator[Session]:
        engine = create_engine(fresh_store_url)
        try:
            with transaction(make_sessionmaker(engine)) as other:
                item = other.get(EvidenceItem, stored[1], with_for_update=True)
                assert item is not None
                append_custody(other, item, "view", actor="someone else", purpose="reading")
        finally:
            engine.dispose()
        with real(factory) as session:
            yield session

    monkeypatch.setattr(cli_evidence, "write_transaction", after_another_entry)
    _refused_export(tmp_path, stored, f"evidence item {stored[1]}: its chain of custody moved on")
    for item in stored:
        code, out, err = _run("evidence", "custody", item)
        assert code == 0, err or out
        assert "export " not in out


def test_cli_exports_items_with_their_working_copies_only_when_asked(
    cli: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "notes.txt"
    source.write_bytes(NOTES)
    code, out, err = _run("evidence", "add", str(source), *COLLECTION)
    assert code == 0, err or out
    item_id = STORED.search(out)["id"]  # type: ignore[index]
    with transaction(state.sessionmaker) as session:
        from dignity.evidence.blobs import LocalBlobStore
        from dignity.security.authz import operator_principal
        from dignity.security.crypto import load_keyring

        evidence.add_working_copy(
            session,
            operator_principal("test"),
            load_keyring(cli.key_dir),
            LocalBlobStore(cli.evidence_dir),
            item_id,
            [b"redacted notes\n"],
            filename="notes-redacted.txt",
            operation="redaction",
            max_bytes=10**6,
        )
    plain, full = tmp_path / "plain.zip", tmp_path / "full.zip"
    code, out, err = _run("evidence", "export", item_id, "--out", str(plain), "--purpose", PURPOSE)
    assert code == 0, err or out
    assert "1 item, 3 files" in out
    code, out, err = _run(
        "evidence", "export", item_id, "--working-copies", "--out", str(full), "--purpose", PURPOSE
    )
    assert code == 0, err or out
    assert "2 items, 6 files" in out
    assert verify_bundle(full).ok
    code, out, err = _run("evidence", "export", "--out", str(tmp_path / "n.zip"), "--purpose", "x")
    assert code == 1
    assert "what should be exported" in err
