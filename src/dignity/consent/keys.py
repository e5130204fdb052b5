"""Per-project data keys (envelope encryption, SECURITY.md items 1-3 and 7).

Each project gets a random 256-bit data key (DEK) on first use. The database holds it only wrapped
by the deployment's key-encryption key (`security.crypto.Keyring`, files outside the database),
bound to `project_keys|<project>|dek-v<version>|<kek version>`. Fields are sealed under the DEK
with AES-256-GCM and a fresh 96-bit nonce from `os.urandom`; a sealed field is

    b"dk1" ‖ DEK version (4 bytes, big-endian) ‖ nonce (12 bytes) ‖ ciphertext+tag

with associated data `table|row-id|field|dek-version`, so a value moved to another row, field or
project, altered by one bit, or naming a key version this project does not hold fails closed
(`IntegrityError`) and never yields another row's plaintext.

Rotating the KEK (`crypto.add_key_version`) leaves old wrappings readable while their KEK file is
kept; `rewrap_project_keys` wraps every DEK under the newest KEK, after which the old file can be
destroyed. Sealed fields are not touched: the DEKs themselves do not change.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as StoreIntegrityError
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.models import ProjectKey
from dignity.exc import IntegrityError, NotFound
from dignity.security.crypto import KEY_BYTES, NONCE_BYTES, Keyring, aad
from dignity.store.types import utcnow

MAGIC = b"dk1"
_HEADER = len(MAGIC) + 4
_TAG_BYTES = 16
TABLE = "project_keys"
DEK_VERSION = 1


def _wrap_field(version: int) -> str:
    return f"dek-v{version}"


class ProjectCipher:
    """Seals and opens the fields of one project under its data key."""

    __slots__ = ("_aead", "project_id", "version")

    def __init__(self, project_id: str, version: int, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise IntegrityError(f"the data key of project {project_id} is damaged")
        self.project_id = project_id
        self.version = version
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"ProjectCipher(project={self.project_id}, version={self.version})"

    def seal(self, plaintext: bytes, table: str, row_id: str, field: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, aad(table, row_id, field, self.version))
        return MAGIC + struct.pack(">I", self.version) + nonce + sealed

    def open(self, blob: bytes, table: str, row_id: str, field: str) -> bytes:
        where = f"{table}.{field} of {row_id}"
        if len(blob) < _HEADER + NONCE_BYTES + _TAG_BYTES or not blob.startswith(MAGIC):
            raise IntegrityError(f"{where}: not a value sealed under a project key")
        (version,) = struct.unpack(">I", blob[len(MAGIC) : _HEADER])
        if version != self.version:
            raise IntegrityError(f"{where}: sealed with unknown data key v{version}")
        nonce, sealed = blob[_HEADER : _HEADER + NONCE_BYTES], blob[_HEADER + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, aad(table, row_id, field, version))
        except InvalidTag:
            raise IntegrityError(f"{where}: does not decrypt (altered or moved)") from None


def _new_key(session: Session, keyring: Keyring, project_id: str) -> ProjectKey:
    """Make the project's data key; if a concurrent transaction made it first, use theirs."""
    key = os.urandom(KEY_BYTES)
    row = ProjectKey(
        project_id=project_id,
        version=DEK_VERSION,
        wrapped_key=keyring.seal(key, TABLE, project_id, _wrap_field(DEK_VERSION)),
        kek_version=keyring.current,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except StoreIntegrityError:
        # Either another transaction created it (unique project) or there is no such project.
        existing = session.get(ProjectKey, project_id, populate_existing=True)
        if existing is None:
            raise NotFound("no such project") from None
        return existing
    return row


def project_cipher(
    session: Session, keyring: Keyring, project_id: str, *, create: bool = True
) -> ProjectCipher:
    """The cipher of the project's data key, created (and wrapped) on first use.

    The caller has checked that the principal may use the project; this only handles keys.
    Readers pass `create=False`: a project with sealed values but no key is damaged, not new.
    """
    row = session.get(ProjectKey, project_id)
    if row is None:
        if not create:
            raise IntegrityError(f"project {project_id} has no data key")
        row = _new_key(session, keyring, project_id)
    key = keyring.open(row.wrapped_key, TABLE, project_id, _wrap_field(row.version))
    return ProjectCipher(project_id, row.version, key)


def rewrap_project_keys(session: Session, keyring: Keyring, *, actor: str = "system") -> int:
    """Wrap every project's data key under the newest KEK; returns how many there are.

    Run it after `add_key_version`; once it has committed, no row needs an older KEK file and those
    files may be destroyed. Each key is opened with whichever KEK wrapped it; one that does not
    open stops the whole run (`IntegrityError`), and the caller's transaction is rolled back.
    """
    # Every key, not only those whose `kek_version` says so: the version inside `wrapped_key` is
    # the one that counts, and rewrapping a key costs one AES operation.
    rows = list(session.execute(select(ProjectKey).order_by(ProjectKey.project_id)).scalars())
    moment = utcnow()
    for row in rows:
        field = _wrap_field(row.version)
        key = keyring.open(row.wrapped_key, TABLE, row.project_id, field)
        row.wrapped_key = keyring.seal(key, TABLE, row.project_id, field)
        row.kek_version, row.rewrapped_at = keyring.current, moment
    session.flush()
    record_event(
        session,
        actor=actor,
        action="consent.keys-rewrapped",
        object_type="project_keys",
        details={"kek_version": keyring.current, "rewrapped": len(rows)},
    )
    return len(rows)
