"""Checking an evidence export bundle on any machine: no database, no keys, no settings.

This module imports only the standard library and `cryptography`, so a recipient (a court, a
prosecutor, a journalist's lawyer) can run it with nothing but the package installed:

    python -c "from dignity.evidence.bundle_verify import verify_bundle; ..."
    dignity evidence verify-bundle BUNDLE.zip --key-id KEY_ID

A bundle is a ZIP archive (members stored uncompressed) made by `bundles.export_bundle`:

    manifest.json                     what the bundle holds; signed
    manifest.sig                      Ed25519 signature of manifest.json's exact bytes, with the
                                      public key and its id (SHA-256 of the raw public key)
    items/<item id>/content.<ext>     the file byte for byte as received (or the working copy)
    items/<item id>/metadata.json     the item and its collection record, sealed fields opened
    items/<item id>/custody.json      the item's whole chain of custody, every entry with its hash

`verify_bundle` checks that the signature holds under the key in `manifest.sig` (and, when given,
that the key is the one the recipient was told about out of band: a key carried inside the bundle
proves nothing by itself, since whoever changed the bundle could sign it again with a key of their
own); that every file the manifest lists is present with its size and SHA-256; that nothing else
is; and that every custody chain links up, entry by entry, and ends at the head the manifest
names. Every problem is reported with the member it concerns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "dignity-evidence-bundle/1"
CUSTODY_FORMAT = "dignity-evidence-custody/1"
METADATA_FORMAT = "dignity-evidence-item/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_ALGORITHM = "Ed25519"
GENESIS_HASH = "0" * 64
# Member names are ours: ids and fixed words, never a name that came with a file (SECURITY.md 31).
MEMBER = re.compile(
    r"^items/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/"
    r"(content\.[a-z0-9]{1,10}|metadata\.json|custody\.json)$"
)
# Limits for reading a bundle that may have been made to hurt the reader (SECURITY.md 32).
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_SIGNATURE_BYTES = 64 * 1024
MAX_JSON_MEMBER_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 1_000_000
READ_BYTES = 1024 * 1024

# What an entry's hash covers (`custody.entry_payload`): every field but the hash.
CUSTODY_FIELDS = (
    "item",
    "seq",
    "action",
    "actor",
    "at",
    "purpose",
    "sha256",
    "details",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """The audit log's canonical JSON (`dignity.audit.chain`), for values read from JSON."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def custody_hash(entry: dict[str, Any]) -> str:
    """An entry's hash as `dignity.evidence.custody.entry_hash` computes it: every field but
    `hash`."""
    payload = {name: entry.get(name) for name in CUSTODY_FIELDS}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def key_id(public_key: bytes) -> str:
    """The SHA-256 fingerprint of a raw Ed25519 public key, in hex (as `security.keys.key_id`)."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle: the member (or "bundle") and what."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class BundleReport:
    """What `verify_bundle` found. `ok` only when there is no problem at all."""

    path: Path
    key_id: str = ""
    trusted_key: bool = False  # the key id was compared with one given by the caller, and matched
    created_at: str = ""
    exporter: str = ""
    purpose: str = ""
    items: int = 0
    files: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, path: str, problem: str) -> None:
        self.problems.append(Problem(path, problem))


class _TooLarge(Exception):
    pass


def _chunks(handle: IO[bytes], limit: int) -> Iterator[bytes]:
    """The member's bytes, at most `limit`; `_TooLarge` past it (whatever its header claims)."""
    read = 0
    while block := handle.read(READ_BYTES):
        read += len(block)
        if read > limit:
            raise _TooLarge
        yield block


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as handle:
        return b"".join(_chunks(handle, limit))


def _digest(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, keep: bool
) -> tuple[int, str, bytes]:
    """(size, SHA-256, the bytes when `keep`) of a member, reading at most `limit` + 1 bytes."""
    sha256, size, kept = hashlib.sha256(), 0, bytearray()
    with archive.open(info) as handle:
        for block in _chunks(handle, limit):
            sha256.update(block)
            size += len(block)
            if keep:
                kept += block
    return size, sha256.hexdigest(), bytes(kept)


def _json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def verify_bundle(path: Path | str, *, trusted_key_id: str | None = None) -> BundleReport:
    """Check a bundle completely and report every problem found (see the module docstring)."""
    report = BundleReport(Path(path))
    try:
        archive = zipfile.ZipFile(report.path)
    except (OSError, zipfile.BadZipFile) as error:
        report.add("bundle", f"cannot be read as a ZIP archive ({error})")
        return report
    with archive:
        _check_archive(archive, report, trusted_key_id)
    return report


def _members(archive: zipfile.ZipFile, report: BundleReport) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        report.add("bundle", f"has {len(infos):,} members, more than {MAX_MEMBERS:,}")
        return {}
    if archive.comment:
        report.add("bundle", "carries an archive comment that the exporter did not write")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        shown = repr(name) if not MEMBER.match(name) and name not in (MANIFEST, SIGNATURE) else name
        if name in members:
            report.add(shown, "appears more than once in the archive")
            continue
        if stat.S_ISLNK(info.external_attr >> 16) or info.is_dir():
            report.add(shown, "is a directory or a symbolic link, not a file")
            continue
        members[name] = info
    return members


def _check_archive(
    archive: zipfile.ZipFile, report: BundleReport, trusted_key_id: str | None
) -> None:
    members = _members(archive, report)
    if MANIFEST not in members:
        report.add(MANIFEST, "is missing: nothing in the bundle can be checked")
        return
    try:
        manifest_bytes = _read(archive, members[MANIFEST], MAX_MANIFEST_BYTES)
    except _TooLarge:
        report.add(MANIFEST, f"is larger than {MAX_MANIFEST_BYTES:,} bytes")
        return
    except zipfile.BadZipFile as error:
        report.add(MANIFEST, f"was changed after it was written ({error})")
        return
    _check_signature(archive, members, manifest_bytes, report, trusted_key_id)
    try:
        manifest = _json(manifest_bytes)
        files, items = _manifest_parts(manifest)
    except (ValueError, TypeError, KeyError) as error:
        report.add(MANIFEST, f"is not a bundle manifest ({error})")
        return
    report.created_at = str(manifest.get("created_at", ""))
    exporter = manifest.get("exporter")
    report.exporter = str(exporter.get("actor", "")) if isinstance(exporter, dict) else ""
    report.purpose = str(manifest.get("purpose", ""))
    report.items, report.files = len(items), len(files)
    kept = _check_files(archive, members, files, report)
    _check_items(items, files, kept, report)


def _check_signature(
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    manifest_bytes: bytes,
    report: BundleReport,
    trusted_key_id: str | None,
) -> None:
    if SIGNATURE not in members:
        report.add(SIGNATURE, "is missing: the manifest is not signed")
        return
    try:
        signature = _json(_read(archive, members[SIGNATURE], MAX_SIGNATURE_BYTES))
        if signature.get("algorithm") != SIGNATURE_ALGORITHM:
            raise ValueError(f"the algorithm is not {SIGNATURE_ALGORITHM}")
        raw_key = base64.b64decode(signature["public_key"], validate=True)
        raw_signature = base64.b64decode(signature["signature"], validate=True)
        stated_id = str(signature["key_id"]).lower()
        public = Ed25519PublicKey.from_public_bytes(raw_key)
    except (
        _TooLarge,
        zipfile.BadZipFile,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        binascii.Error,
    ) as error:
        report.add(SIGNATURE, f"is not a readable signature ({error})")
        return
    report.key_id = key_id(raw_key)
    if not hmac.compare_digest(stated_id, report.key_id):
        report.add(SIGNATURE, f"names key id {stated_id} but carries the key {report.key_id}")
    try:
        public.verify(raw_signature, manifest_bytes)
    except InvalidSignature:
        report.add(
            SIGNATURE,
            f"does not verify under key {report.key_id}: manifest.json was changed after it "
            "was signed, or the signature was replaced",
        )
    try:
        signed_id = str(_json(manifest_bytes).get("signing_key_id", ""))
    except (ValueError, AttributeError):
        signed_id = ""
    if signed_id and not hmac.compare_digest(signed_id, report.key_id):
        report.add(MANIFEST, f"names signing key {signed_id}, but it is signed by {report.key_id}")
    if trusted_key_id is not None:
        if hmac.compare_digest(trusted_key_id.strip().lower(), report.key_id):
            report.trusted_key = True
        else:
            report.add(
                SIGNATURE,
                f"is signed by key {report.key_id}, not by the trusted key "
                f"{trusted_key_id.strip()}",
            )


def _manifest_parts(manifest: Any) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"its format is not {FORMAT}")
    files: dict[str, dict[str, Any]] = {}
    for entry in manifest["files"]:
        path, size, sha256 = entry["path"], entry["size"], entry["sha256"]
        if not isinstance(path, str) or not MEMBER.match(path):
            raise ValueError(f"it lists a file with an unsafe name {path!r}")
        if not isinstance(size, int) or size < 0 or not isinstance(sha256, str):
            raise ValueError(f"{path}: size or SHA-256 is malformed")
        if path in files:
            raise ValueError(f"{path} is listed twice")
        files[path] = {"size": size, "sha256": sha256.lower()}
    items = manifest["items"]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("its item list is malformed")
    return files, items


def _check_files(
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    files: dict[str, dict[str, Any]],
    report: BundleReport,
) -> dict[str, bytes]:
    """Size and SHA-256 of every listed file; the JSON members' bytes, for the item checks."""
    kept: dict[str, bytes] = {}
    for name in members:
        if name not in files and name not in (MANIFEST, SIGNATURE):
            shown = name if MEMBER.match(name) else repr(name)
            report.add(shown, "is in the bundle but not in the manifest (a file was added)")
    for path, expected in files.items():
        info = members.get(path)
        if info is None:
            report.add(path, "is listed in the manifest but missing from the bundle")
            continue
        # The JSON members are parsed even when they changed, to say what changed inside them.
        keep = path.endswith(".json")
        limit = MAX_JSON_MEMBER_BYTES if keep else expected["size"]
        try:
            size, sha256, data = _digest(archive, info, limit, keep)
        except _TooLarge:
            report.add(path, f"is larger than the {expected['size']:,} bytes the manifest lists")
            continue
        except zipfile.BadZipFile as error:
            report.add(
                path, f"was changed: its bytes no longer match the archive's CRC-32 ({error})"
            )
            continue
        if size != expected["size"]:
            report.add(path, f"is {size:,} bytes, the manifest lists {expected['size']:,}")
        elif not hmac.compare_digest(sha256, expected["sha256"]):
            report.add(path, f"SHA-256 is {sha256}, the manifest lists {expected['sha256']}")
        if keep:
            kept[path] = data
    return kept


def _check_items(
    items: list[dict[str, Any]],
    files: dict[str, dict[str, Any]],
    kept: dict[str, bytes],
    report: BundleReport,
) -> None:
    for number, item in enumerate(items, start=1):
        item_id = str(item.get("id", f"item {number}"))
        parts = item.get("files")
        if not isinstance(parts, dict) or set(parts) != {"content", "metadata", "custody"}:
            report.add(MANIFEST, f"item {item_id}: its files are not content, metadata, custody")
            continue
        for part, path in parts.items():
            if path not in files:
                report.add(MANIFEST, f"item {item_id}: its {part} {path!r} is not in the file list")
        content = files.get(parts["content"])
        if content is not None and (
            content["size"] != item.get("size")
            or not hmac.compare_digest(content["sha256"], str(item.get("sha256", "")))
        ):
            report.add(
                parts["content"], f"does not have the size and SHA-256 recorded for item {item_id}"
            )
        if parts["metadata"] in kept:
            _check_metadata(item, parts["metadata"], kept[parts["metadata"]], report)
        if parts["custody"] in kept:
            _check_custody(item, parts["custody"], kept[parts["custody"]], report)


def _check_metadata(item: dict[str, Any], path: str, data: bytes, report: BundleReport) -> None:
    try:
        record = _json(data)["item"]
        found = (record["id"], record["sha256"], record["size"])
    except (ValueError, TypeError, KeyError) as error:
        report.add(path, f"is not an item record ({error})")
        return
    if found != (item.get("id"), item.get("sha256"), item.get("size")):
        report.add(path, f"describes another item than {item.get('id')} (id, SHA-256 or size)")


def _check_custody(item: dict[str, Any], path: str, data: bytes, report: BundleReport) -> None:
    """Recompute the chain: numbering, links, every hash, and the head the manifest names."""
    try:
        document = _json(data)
        entries = document["entries"]
        if document.get("format") != CUSTODY_FORMAT or not isinstance(entries, list):
            raise ValueError(f"its format is not {CUSTODY_FORMAT}")
        head = item["custody"]["head"]
        count = item["custody"]["entries"]
    except (ValueError, TypeError, KeyError) as error:
        report.add(path, f"is not a chain of custody ({error})")
        return
    previous = GENESIS_HASH
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number}"
        if not isinstance(entry, dict):
            report.add(path, f"{where} is not an object")
            return
        if entry.get("seq") != number:
            report.add(
                path, f"{where} is numbered {entry.get('seq')!r} (an entry is missing or moved)"
            )
        if entry.get("item") != item.get("id"):
            report.add(path, f"{where} belongs to item {entry.get('item')!r}")
        if not hmac.compare_digest(str(entry.get("prev_hash", "")), previous):
            report.add(path, f"{where} does not follow the entry before it (prev_hash)")
        try:
            recomputed = custody_hash(entry)
        except (TypeError, ValueError) as error:
            report.add(path, f"{where} cannot be hashed ({error})")
            return
        if not hmac.compare_digest(str(entry.get("hash", "")), recomputed):
            report.add(path, f"{where} was changed after it was written (its hash is {recomputed})")
        recorded = entry.get("sha256")
        if recorded is not None and recorded != item.get("sha256"):
            report.add(path, f"{where} records SHA-256 {recorded}, not the item's")
        previous = str(entry.get("hash", ""))
    if len(entries) != count:
        report.add(path, f"has {len(entries)} entries, the manifest records {count}")
    if not hmac.compare_digest(previous, str(head)):
        report.add(path, f"ends at {previous}, not at the head {head} the manifest records")
