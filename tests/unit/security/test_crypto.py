"""Field encryption at the primitive level (SECURITY.md items 1-3 and 7): AES-256-GCM with random
nonces, associated data binding a value to its table, row, field and key version, versioned keys
in files only the owner can read.
"""

from __future__ import annotations

import os
import stat
import struct
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session

from dignity.exc import ConfigurationError, IntegrityError
from dignity.security import accounts, passwords
from dignity.security.crypto import (
    KEY_BYTES,
    MAGIC,
    NONCE_BYTES,
    Keyring,
    aad,
    add_key_version,
    load_keyring,
)
from dignity.security.models import User
from dignity.settings import Settings
from dignity.store.types import new_id

HEADER = len(MAGIC) + 4  # magic, then the key version (4 bytes, big-endian)
WHERE = ("users", "3f2b9c1e-0d7a-4c55-9a43-5b1e2f6c7d80", "totp_secret")

# Two key versions: seals use v2, and a flipped version bit can land on a key that exists.
KEYRING = Keyring({1: os.urandom(KEY_BYTES), 2: os.urandom(KEY_BYTES), 3: os.urandom(KEY_BYTES)})


def _version(sealed: bytes) -> int:
    version: int = struct.unpack(">I", sealed[len(MAGIC) : HEADER])[0]
    return version


def _with_version(sealed: bytes, version: int) -> bytes:
    return sealed[: len(MAGIC)] + struct.pack(">I", version) + sealed[HEADER:]


# --- item 3: unique nonces, round trips, and any change fails -----------------------------------


def test_sealing_the_same_plaintext_10000_times_never_repeats_a_nonce_or_ciphertext() -> None:
    sealed = [KEYRING.seal(b"the same testimony", *WHERE) for _ in range(10_000)]

    nonces = {value[HEADER : HEADER + NONCE_BYTES] for value in sealed}
    ciphertexts = {value[HEADER + NONCE_BYTES :] for value in sealed}
    assert len(nonces) == 10_000
    assert len(ciphertexts) == 10_000
    assert all(len(n) == 12 for n in nonces)  # 96-bit nonces
    assert {_version(value) for value in sealed} == {3}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_open_returns_what_was_sealed(plaintext: bytes) -> None:
    sealed = KEYRING.seal(plaintext, *WHERE)
    assert plaintext not in sealed[HEADER + NONCE_BYTES :] or len(plaintext) < 8
    assert KEYRING.open(sealed, *WHERE) == plaintext


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=256), st.data())
def test_any_single_bit_flip_fails_with_an_integrity_error(
    plaintext: bytes, data: st.DataObject
) -> None:
    sealed = KEYRING.seal(plaintext, *WHERE)
    bit = data.draw(st.integers(0, len(sealed) * 8 - 1), label="bit")
    damaged = bytearray(sealed)
    damaged[bit // 8] ^= 1 << (bit % 8)

    with pytest.raises(IntegrityError):
        KEYRING.open(bytes(damaged), *WHERE)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.data())
def test_a_truncated_or_extended_value_fails(plaintext: bytes, data: st.DataObject) -> None:
    sealed = KEYRING.seal(plaintext, *WHERE)
    cut = data.draw(st.integers(0, len(sealed) - 1), label="cut")
    extra = data.draw(st.binary(min_size=1, max_size=16), label="extra")

    for damaged in (sealed[:cut], sealed + extra):
        with pytest.raises(IntegrityError):
            KEYRING.open(damaged, *WHERE)


def test_the_plaintext_is_not_in_the_sealed_value() -> None:
    canary = b"CANARY-survivor-name-" + os.urandom(8).hex().encode()
    assert canary not in KEYRING.seal(canary, *WHERE)


# --- item 2: a value is bound to its table, row, field and key version --------------------------


def test_the_associated_data_is_table_row_field_version() -> None:
    assert aad("users", "row-1", "totp_secret", 7) == b"users|row-1|totp_secret|7"


@pytest.mark.parametrize(
    ("table", "row_id", "field"),
    [("users|x", "row", "field"), ("users", "row|x", "field"), ("users", "row", "x|field")],
)
def test_names_that_would_make_the_associated_data_ambiguous_are_refused(
    table: str, row_id: str, field: str
) -> None:
    # Otherwise ("t", "a|b", "c") and ("t", "a", "b|c") would share associated data, and a value
    # could be moved between them.
    with pytest.raises(ValueError, match="separator"):
        KEYRING.seal(b"x", table, row_id, field)
    sealed = KEYRING.seal(b"x", "users", "row", "field")
    with pytest.raises(ValueError, match="separator"):
        KEYRING.open(sealed, table, row_id, field)


@pytest.mark.parametrize(
    "elsewhere",
    [
        ("cases", WHERE[1], WHERE[2]),  # another table
        (WHERE[0], "9d6c1b2a-5e4f-4a3b-8c7d-1e2f3a4b5c6d", WHERE[2]),  # another row
        (WHERE[0], WHERE[1], "display_name"),  # another field
        (WHERE[0], WHERE[1].upper(), WHERE[2]),  # the same row id, spelled differently
    ],
)
def test_a_value_opened_anywhere_else_fails(elsewhere: tuple[str, str, str]) -> None:
    sealed = KEYRING.seal(b"secret of row A", *WHERE)
    with pytest.raises(IntegrityError, match="does not decrypt"):
        KEYRING.open(sealed, *elsewhere)


def test_a_value_relabelled_with_another_key_version_fails() -> None:
    sealed = KEYRING.seal(b"sealed under v3", *WHERE)
    for version in (1, 2):
        with pytest.raises(IntegrityError, match="does not decrypt"):
            KEYRING.open(_with_version(sealed, version), *WHERE)


@pytest.mark.parametrize("version", [0, 4, 99, 2**32 - 1])
def test_a_value_naming_an_unknown_key_version_fails_closed(version: int) -> None:
    sealed = KEYRING.seal(b"x", *WHERE)
    with pytest.raises(IntegrityError, match=f"unknown key v{version}"):
        KEYRING.open(_with_version(sealed, version), *WHERE)


@pytest.mark.parametrize("blob", [b"", b"dg1", b"plain text, never sealed", b"xx1" + b"\0" * 40])
def test_what_was_never_sealed_fails(blob: bytes) -> None:
    with pytest.raises(IntegrityError):
        KEYRING.open(blob, *WHERE)


def test_a_totp_secret_copied_to_another_user_does_not_decrypt(
    session: Session, settings: Settings
) -> None:
    keyring = Keyring({1: os.urandom(KEY_BYTES)})
    password_hash = passwords.hash_password("a long enough password for both")
    users = []
    for name in ("alice", "bob"):
        user = User(
            id=new_id(),
            username=name,
            username_key=name,
            display_name=name,
            role="investigator",
            password_hash=password_hash,
            must_change_password=False,
        )
        session.add(user)
        session.flush()
        secret = accounts.begin_mfa(session, user, keyring)
        now = datetime.now(UTC)
        code = pyotp.TOTP(secret).at(now.timestamp() - 30)
        accounts.confirm_mfa(session, user, keyring, code, now, None)
        users.append((user, secret))
    (alice, alice_secret), (bob, _) = users
    session.flush()

    # An attacker with write access to the store copies Alice's sealed secret onto Bob's row...
    session.execute(update(User).where(User.id == bob.id).values(totp_secret=alice.totp_secret))
    session.expire_all()
    assert bob.totp_secret is not None
    assert alice.totp_secret is not None
    assert bob.totp_secret == alice.totp_secret

    # ...which then decrypts for no one: not as Bob's secret, and Alice's codes do not sign Bob in.
    with pytest.raises(IntegrityError):
        keyring.open(bob.totp_secret, "users", bob.id, "totp_secret")
    with pytest.raises(IntegrityError):
        accounts.authenticate(
            session,
            settings,
            keyring,
            username="bob",
            password="a long enough password for both",
            code=pyotp.TOTP(alice_secret).now(),
            now=datetime.now(UTC),
        )
    assert keyring.open(alice.totp_secret, "users", alice.id, "totp_secret").decode() == (
        alice_secret
    )


# --- item 7: versioned keys in files, readable by the owner only --------------------------------


def test_a_new_key_version_seals_new_values_and_old_ones_still_open(tmp_path: Path) -> None:
    keys = tmp_path / "kek"
    first = load_keyring(keys)  # creates v1
    assert stat.S_IMODE((keys / "v1.key").stat().st_mode) == 0o600
    assert len((keys / "v1.key").read_bytes()) == 32  # AES-256
    old = first.seal(b"sealed under v1", *WHERE)

    assert add_key_version(keys) == 2
    assert stat.S_IMODE((keys / "v2.key").stat().st_mode) == 0o600
    second = load_keyring(keys)
    assert (second.versions, second.current) == ([1, 2], 2)
    new = second.seal(b"sealed under v2", *WHERE)
    assert (_version(old), _version(new)) == (1, 2)
    assert second.open(old, *WHERE) == b"sealed under v1"
    assert second.open(new, *WHERE) == b"sealed under v2"
    assert (keys / "v1.key").read_bytes() != (keys / "v2.key").read_bytes()

    # Destroying v1 makes what only v1 sealed unreadable, and nothing else.
    (keys / "v1.key").unlink()
    third = load_keyring(keys, create=False)
    with pytest.raises(IntegrityError, match="unknown key v1"):
        third.open(old, *WHERE)
    assert third.open(new, *WHERE) == b"sealed under v2"


def test_no_key_and_no_creation_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no encryption keys"):
        load_keyring(tmp_path / "empty", create=False)
    with pytest.raises(ConfigurationError):
        Keyring({})


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o620, 0o602, 0o610, 0o601])
def test_a_key_file_others_can_use_is_refused(tmp_path: Path, mode: int) -> None:
    keys = tmp_path / "kek"
    load_keyring(keys)
    (keys / "v1.key").chmod(mode)
    with pytest.raises(ConfigurationError, match="readable by others"):
        load_keyring(keys)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_file_only_the_owner_can_read_is_accepted(tmp_path: Path, mode: int) -> None:
    keys = tmp_path / "kek"
    load_keyring(keys)
    (keys / "v1.key").chmod(mode)
    assert load_keyring(keys).versions == [1]


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_of_the_wrong_size_is_refused(tmp_path: Path, size: int) -> None:
    keys = tmp_path / "kek"
    keys.mkdir()
    (keys / "v1.key").write_bytes(os.urandom(size))
    (keys / "v1.key").chmod(0o600)
    with pytest.raises(ConfigurationError, match="not 32 bytes"):
        load_keyring(keys)


def test_the_keyring_never_shows_its_keys() -> None:
    keys = {1: os.urandom(KEY_BYTES)}
    keyring = Keyring(keys)
    shown = repr(keyring) + str(keyring)
    assert shown == "Keyring(versions=[1])" * 2
    assert keys[1].hex() not in shown
