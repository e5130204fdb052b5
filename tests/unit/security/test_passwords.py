"""Passwords: Argon2id with current parameters (item 10) and the policy of item 11."""

from __future__ import annotations

import gzip
import socket
import unicodedata

import pytest
from argon2 import PasswordHasher

from dignity.exc import InvalidInput
from dignity.security import passwords
from factories.security import CURRENT_HASH, spy_on_verification

# Listed in the shipped common-password file, and long enough that only the list can refuse it.
COMMON = "1q2w3e4r5t6y7u8i9o0p"
# Not in the list; any length is cut from it.
PHRASE = "marigolds under the old bridge at dawn, twice " * 4


def test_hashes_are_argon2id_with_rfc_9106_low_memory_parameters() -> None:
    stored = passwords.hash_password(PHRASE[:20])
    assert CURRENT_HASH.match(stored), stored
    assert not passwords.needs_rehash(stored)
    assert passwords.verify_password(stored, PHRASE[:20])


def test_weaker_hashes_are_due_for_rehashing() -> None:
    legacy = PasswordHasher(memory_cost=8192, time_cost=1, parallelism=1).hash(PHRASE[:20])
    assert not CURRENT_HASH.match(legacy)
    assert passwords.verify_password(legacy, PHRASE[:20])
    assert passwords.needs_rehash(legacy)


@pytest.mark.parametrize(
    ("length", "accepted"), [(14, False), (15, True), (128, True), (129, False)]
)
def test_length_is_15_to_128(length: int, accepted: bool) -> None:
    candidate = PHRASE[:length]
    assert len(candidate) == length
    if accepted:
        passwords.check_policy(candidate, "new_password")
    else:
        with pytest.raises(InvalidInput) as raised:
            passwords.check_policy(candidate, "new_password")
        assert [e.field for e in raised.value.errors] == ["new_password"]


def test_length_counts_characters_not_bytes() -> None:
    # 15 characters, 45 bytes of UTF-8: accepted; 129 characters are refused however few bytes.
    passwords.check_policy("尊严属于每一个人无论何时何地都")
    with pytest.raises(InvalidInput):
        passwords.check_policy("é" * 129)


def test_no_composition_rules() -> None:
    # Only lower-case letters and spaces, no digit or symbol: fine when long and uncommon.
    passwords.check_policy("plain lower case words only")


def test_the_list_ships_in_the_repo_and_is_checked_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with gzip.open(passwords.COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        assert COMMON in {line.strip() for line in handle}
    passwords.common_passwords.cache_clear()

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the policy check tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    for listed in (COMMON, COMMON.upper()):
        with pytest.raises(InvalidInput, match="commonly used"):
            passwords.check_policy(listed)
    passwords.check_policy(COMMON + " and then some")  # the list matches whole passwords


def test_unicode_passphrases_verify_byte_exact() -> None:
    phrase = "Ünïcödé Straße — ﬁve ドラゴン"
    nfc = unicodedata.normalize("NFC", phrase)
    stored = passwords.hash_password(nfc)
    assert passwords.verify_password(stored, nfc)
    others = {
        "NFD": unicodedata.normalize("NFD", nfc),
        "NFKC": unicodedata.normalize("NFKC", nfc),  # the ligature becomes "fi"
        "case-folded": nfc.casefold(),  # "ß" becomes "ss", capitals small
    }
    for name, other in others.items():
        assert other != nfc, name
        assert not passwords.verify_password(stored, other), name


def test_long_passwords_are_not_truncated() -> None:
    longest = PHRASE[:128]
    stored = passwords.hash_password(longest)
    assert passwords.verify_password(stored, longest)
    assert not passwords.verify_password(stored, longest[:127] + "X")
    assert not passwords.verify_password(stored, longest[:72])


def test_an_unknown_account_costs_one_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = spy_on_verification(monkeypatch)
    assert passwords.verify_password(None, PHRASE[:20]) is False
    assert spy.verified == 1
    # The dummy hash is verified against, but its own password signs no one in.
    assert passwords.verify_password(None, "dignity-dummy-password-for-timing") is False
    assert spy.verified == 2
    assert passwords.verify_password("not a hash", PHRASE[:20]) is False
