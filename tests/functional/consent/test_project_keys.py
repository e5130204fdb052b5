"""Per-project data keys: stored only wrapped, nonces never repeat, sealing round-trips and fails
closed on any change, and the key-encryption key can be rotated and the old one destroyed
(SECURITY.md items 1, 2, 3 and 7)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from vault_helpers import identifying, new_canary, project_with_investigator

from dignity.consent.keys import MAGIC, ProjectCipher
from dignity.consent.models import Identity, ProjectKey
from dignity.consent.services import (
    project_cipher,
    read_identity,
    rewrap_project_keys,
    store_identity,
)
from dignity.exc import IntegrityError, NotFound
from dignity.security.crypto import Keyring, add_key_version, load_keyring
from dignity.store.types import new_id

KEY = os.urandom(32)
CIPHER = ProjectCipher("project-a", 1, KEY)
WHERE = ("identities", "row-a", "values")


def test_a_project_key_is_made_once_and_stored_only_wrapped(
    session: Session, keyring: Keyring
) -> None:
    project, _ = project_with_investigator(session)
    first = project_cipher(session, keyring, project.id)
    sealed = first.seal(b"who", *WHERE)
    again = project_cipher(session, keyring, project.id)
    assert again.open(sealed, *WHERE) == b"who"
    rows = session.execute(select(ProjectKey)).scalars().all()
    assert [(row.project_id, row.version, row.kek_version) for row in rows] == [
        (project.id, 1, keyring.current)
    ]
    # Wrapped: sealed by the KEK for this project only; another project's row cannot use it.
    dek = keyring.open(rows[0].wrapped_key, "project_keys", project.id, "dek-v1")
    assert len(dek) == 32
    assert dek not in rows[0].wrapped_key
    with pytest.raises(IntegrityError):
        keyring.open(rows[0].wrapped_key, "project_keys", "another-project", "dek-v1")
    assert repr(again) == f"ProjectCipher(project={project.id}, version=1)"
    with pytest.raises(NotFound):  # no key for a project that does not exist
        project_cipher(session, keyring, new_id())
    assert session.execute(select(ProjectKey.project_id)).scalars().all() == [project.id]


def test_each_project_has_its_own_key(session: Session, keyring: Keyring) -> None:
    darfur, _ = project_with_investigator(session)
    myanmar, _ = project_with_investigator(session, "Myanmar 2021", "other")
    sealed = project_cipher(session, keyring, darfur.id).seal(b"who", *WHERE)
    with pytest.raises(IntegrityError, match="does not decrypt"):
        project_cipher(session, keyring, myanmar.id).open(sealed, *WHERE)


def test_ten_thousand_seals_of_one_plaintext_share_no_nonce_and_no_ciphertext() -> None:
    sealed = [CIPHER.seal(b"the same name", *WHERE) for _ in range(10_000)]
    header = len(MAGIC) + 4
    nonces = {blob[header : header + 12] for blob in sealed}
    assert len(nonces) == 10_000
    assert len(set(sealed)) == 10_000
    assert all(CIPHER.open(blob, *WHERE) == b"the same name" for blob in sealed[:100])


@hypothesis_settings(max_examples=200, deadline=None)
@given(plaintext=st.binary(max_size=2048), data=st.data())
def test_sealing_round_trips_and_any_single_bit_flip_fails(
    plaintext: bytes, data: st.DataObject
) -> None:
    sealed = CIPHER.seal(plaintext, *WHERE)
    assert CIPHER.open(sealed, *WHERE) == plaintext
    bit = data.draw(st.integers(min_value=0, max_value=len(sealed) * 8 - 1))
    flipped = bytearray(sealed)
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(IntegrityError):
        CIPHER.open(bytes(flipped), *WHERE)


@pytest.mark.parametrize(
    ("table", "row_id", "field"),
    [
        ("identities", "row-b", "values"),  # another row
        ("identities", "row-a", "notes"),  # another field
        ("evidence", "row-a", "values"),  # another table
    ],
)
def test_a_value_opens_only_where_it_was_sealed(table: str, row_id: str, field: str) -> None:
    sealed = CIPHER.seal(b"who", *WHERE)
    with pytest.raises(IntegrityError, match="altered or moved"):
        CIPHER.open(sealed, table, row_id, field)


def test_an_unknown_key_version_or_format_fails_closed() -> None:
    sealed = CIPHER.seal(b"who", *WHERE)
    header = len(MAGIC)
    later = sealed[:header] + struct.pack(">I", 2) + sealed[header + 4 :]
    with pytest.raises(IntegrityError, match="unknown data key v2"):
        CIPHER.open(later, *WHERE)
    with pytest.raises(IntegrityError, match="not a value sealed"):
        CIPHER.open(b"dg1" + sealed[header:], *WHERE)  # the KEK's format is not a field's
    with pytest.raises(IntegrityError, match="not a value sealed"):
        CIPHER.open(sealed[:20], *WHERE)
    # Version 2 of the key would open only what version 2 sealed.
    assert (
        ProjectCipher("project-a", 2, KEY).open(
            ProjectCipher("project-a", 2, KEY).seal(b"who", *WHERE), *WHERE
        )
        == b"who"
    )
    with pytest.raises(IntegrityError, match="unknown data key v1"):
        ProjectCipher("project-a", 2, KEY).open(sealed, *WHERE)


def test_the_kek_is_rotated_keys_rewrapped_and_the_old_kek_destroyed(
    session: Session, tmp_path: Path
) -> None:
    directory = tmp_path / "keys"
    first = load_keyring(directory)
    canary = new_canary()
    darfur, investigator = project_with_investigator(session)
    myanmar, other = project_with_investigator(session, "Myanmar 2021", "other")
    kept = store_identity(session, investigator, first, darfur.id, identifying(canary))
    also = store_identity(session, other, first, myanmar.id, {"names": [{"name": "Ko Aung"}]})
    session.flush()

    assert add_key_version(directory) == 2
    rotated = load_keyring(directory, create=False)
    assert rotated.versions == [1, 2]
    # Before rewrapping, the old KEK is still needed: without it the data keys fail closed.
    only_new = Keyring({2: (directory / "v2.key").read_bytes()})
    with pytest.raises(IntegrityError, match="unknown key v1"):
        read_identity(session, investigator, only_new, kept.id)
    # Old wrappings still open with the rotated keyring, new projects get the new KEK.
    assert read_identity(session, investigator, rotated, kept.id).names[0].name == f"Amina {canary}"

    assert rewrap_project_keys(session, rotated, actor="operator:test") == 2
    session.flush()
    assert set(session.execute(select(ProjectKey.kek_version)).scalars()) == {2}
    (directory / "v1.key").unlink()
    after = load_keyring(directory, create=False)
    assert after.versions == [2]
    assert read_identity(session, investigator, after, kept.id).names[0].name == f"Amina {canary}"
    assert read_identity(session, other, after, also.id).names[0].name == "Ko Aung"
    # The sealed identities themselves were not rewritten: only the wrapping changed.
    session.expire_all()
    assert session.get(Identity, kept.id).revision == 1  # type: ignore[union-attr]


def test_identities_whose_project_key_is_gone_fail_closed_and_no_new_key_is_made(
    session: Session, keyring: Keyring
) -> None:
    project, investigator = project_with_investigator(session)
    stored = store_identity(session, investigator, keyring, project.id, {"names": [{"name": "A"}]})
    session.execute(delete(ProjectKey).where(ProjectKey.project_id == project.id))
    session.expire_all()
    with pytest.raises(IntegrityError, match="has no data key"):
        read_identity(session, investigator, keyring, stored.id)
    with pytest.raises(IntegrityError, match="has no data key"):
        store_identity(
            session, investigator, keyring, project.id, {}, identity_id=stored.id, revision=1
        )
    assert session.get(ProjectKey, project.id) is None
