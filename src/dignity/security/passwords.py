"""Passwords: Argon2id hashing and the policy of SECURITY.md items 10 and 11.

Length 15 to 128 characters, any characters, no composition rules, never truncated or case-folded;
refused when it is one of the common passwords shipped in `data/common-passwords.txt.gz` (checked
offline, also in lower case).
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from dignity.exc import FieldError, InvalidInput

MIN_LENGTH = 15
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# Verified against for unknown accounts, so every failed sign-in costs one Argon2 verification.
_DUMMY_HASH = hasher.hash("dignity-dummy-password-for-timing")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def check_policy(password: str, field: str = "password") -> None:
    """Raise `InvalidInput` naming the field when `password` breaks the policy."""
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"must be at least {MIN_LENGTH} characters"
    elif len(password) > MAX_LENGTH:
        problem = f"must be at most {MAX_LENGTH} characters"
    elif password in common_passwords() or password.lower() in common_passwords():
        problem = "is a commonly used password; choose another (a long phrase works well)"
    if problem:
        raise InvalidInput(f"the {field} {problem}", [FieldError(field, problem)])


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; runs a dummy verification when there is no stored hash."""
    try:
        return hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher.check_needs_rehash(stored_hash)
