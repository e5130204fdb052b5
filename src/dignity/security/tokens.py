"""Opaque random tokens (sessions, API tokens, one-time credentials) and their stored form.

Tokens carry 256 bits from `secrets`; only an HMAC-SHA256 of a token, keyed with the deployment
secret, is stored, so a copy of the database cannot be replayed as sessions or API calls.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token(prefix: str = "") -> str:
    """A URL-safe token of 256 random bits, with an optional readable prefix (`dgt_...`)."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def one_time_password() -> str:
    """A one-time credential a person can type: 6 groups of 5 lowercase letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(6)]
    return "-".join(groups)
