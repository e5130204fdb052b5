"""Field encryption with AES-256-GCM under versioned key-encryption keys (SECURITY.md items 1-3, 7).

Keys live in files `v<N>.key` (32 random bytes, mode 0600) in the key directory, never in the
database. The newest version encrypts; every version present decrypts. A sealed value is

    b"dg1" ‖ version (4 bytes, big-endian) ‖ nonce (12 random bytes) ‖ ciphertext+tag

and its associated data binds it to where it lives: `table|row-id|field|key-version`. Moving a
ciphertext to another row or field makes decryption fail (`IntegrityError`), never return the other
row's plaintext.

Per-case data keys (wrapped by these keys) build on this in the evidence and consent capabilities.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dignity.exc import ConfigurationError, IntegrityError
from dignity.store.files import atomic_write

MAGIC = b"dg1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_FILE = re.compile(r"^v(\d+)\.key$")


def aad(table: str, row_id: str, field: str, version: int) -> bytes:
    # Names holding the separator would make two places share associated data ("t|a|b" + "c" vs
    # "t|a" + "b|c"), so a value could be moved between them: refused.
    if any("|" in name for name in (table, row_id, field)):
        raise ValueError(f"{table}.{field} of {row_id}: names must not contain the separator '|'")
    return f"{table}|{row_id}|{field}|{version}".encode()


class Keyring:
    """The versioned key-encryption keys of a deployment."""

    def __init__(self, keys: dict[int, bytes]) -> None:
        if not keys:
            raise ConfigurationError("no encryption key is configured")
        for version, key in keys.items():
            if len(key) != KEY_BYTES:
                raise ConfigurationError(f"encryption key v{version} is not {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.current = max(keys)

    def __repr__(self) -> str:
        return f"Keyring(versions={sorted(self._keys)})"

    @property
    def versions(self) -> list[int]:
        return sorted(self._keys)

    def seal(self, plaintext: bytes, table: str, row_id: str, field: str) -> bytes:
        version = self.current
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._keys[version]).encrypt(
            nonce, plaintext, aad(table, row_id, field, version)
        )
        return MAGIC + struct.pack(">I", version) + nonce + sealed

    def open(self, blob: bytes, table: str, row_id: str, field: str) -> bytes:
        header = len(MAGIC) + 4
        if len(blob) < header + NONCE_BYTES + 16 or not blob.startswith(MAGIC):
            raise IntegrityError(f"{table}.{field} of {row_id}: not a sealed value")
        (version,) = struct.unpack(">I", blob[len(MAGIC) : header])
        key = self._keys.get(version)
        if key is None:
            raise IntegrityError(f"{table}.{field} of {row_id}: sealed with unknown key v{version}")
        nonce, sealed = blob[header : header + NONCE_BYTES], blob[header + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, sealed, aad(table, row_id, field, version))
        except InvalidTag as error:
            raise IntegrityError(
                f"{table}.{field} of {row_id}: does not decrypt (altered or moved)"
            ) from error


def load_keyring(directory: Path, *, create: bool = True) -> Keyring:
    """Read every `v<N>.key` in `directory`; with `create`, make `v1.key` when there is none."""
    keys: dict[int, bytes] = {}
    if directory.is_dir():
        for path in directory.iterdir():
            match = _KEY_FILE.match(path.name)
            if match:
                if path.stat().st_mode & 0o077:
                    raise ConfigurationError(
                        f"{path}: key file is readable by others; chmod 600 it"
                    )
                keys[int(match.group(1))] = path.read_bytes()
    if not keys:
        if not create:
            raise ConfigurationError(f"{directory}: no encryption keys (v1.key, ...)")
        atomic_write(directory / "v1.key", os.urandom(KEY_BYTES), mode=0o600)
        keys[1] = (directory / "v1.key").read_bytes()
    return Keyring(keys)


def add_key_version(directory: Path) -> int:
    """Create the next key version; new seals use it, old ones still open with theirs."""
    versions = [int(m.group(1)) for p in directory.glob("v*.key") if (m := _KEY_FILE.match(p.name))]
    version = max(versions, default=0) + 1
    atomic_write(directory / f"v{version}.key", os.urandom(KEY_BYTES), mode=0o600)
    return version
