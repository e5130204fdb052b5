"""Identifiers and secrets come from the operating system's CSPRNG with enough entropy (item 9):
record ids are random UUIDv4, tokens carry 256 bits, one-time credentials at least 128.
"""

from __future__ import annotations

import base64
import math
import re
import string
import uuid
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dignity.security import apitokens, projects, sessions
from dignity.security.models import User
from dignity.security.tokens import new_token, one_time_password
from dignity.settings import Settings
from dignity.store.types import new_id

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def test_new_ids_are_random_uuid4_strings() -> None:
    ids = [new_id() for _ in range(10_000)]

    assert len(set(ids)) == 10_000
    for value in ids:
        assert UUID4.fullmatch(value), value
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, value)
    # Not sequential: sorting by creation order is not sorting by value.
    assert ids != sorted(ids)


def test_stored_records_get_uuid4_ids(session: Session, settings: Settings) -> None:
    now = datetime.now(UTC)
    user = User(
        username="ids",
        username_key="ids",
        display_name="ids",
        role="viewer",
        password_hash="not-a-hash",
    )
    session.add(user)
    session.flush()
    project = projects.create_project(session, "Ids", "", "test")
    client = apitokens.create_service_account(session, "ids-client", "test")
    token, _ = apitokens.issue_token(
        session,
        settings,
        scopes=["registry:read"],
        expires_days=1,
        actor="test",
        now=now,
        service_account=client,
    )
    web_session, _ = sessions.start_session(session, settings, user, sessions.ACTIVE, now)

    for record in (user, project, client, token, web_session):
        assert UUID4.fullmatch(record.id), (type(record).__name__, record.id)


def test_tokens_carry_256_random_bits() -> None:
    tokens = [new_token() for _ in range(10_000)]

    assert len(set(tokens)) == 10_000
    for token in tokens:
        assert len(token) >= 43
        assert URL_SAFE.fullmatch(token), token
        assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits


def test_prefixed_tokens_keep_their_256_bits() -> None:
    token = new_token("dgt_")
    assert token.startswith("dgt_")
    body = token.removeprefix("dgt_")
    assert URL_SAFE.fullmatch(body)
    assert len(base64.urlsafe_b64decode(body + "=")) == 32


def test_one_time_passwords_have_at_least_128_bits_and_can_be_typed() -> None:
    samples = [one_time_password() for _ in range(3_000)]
    assert len(set(samples)) == len(samples)

    # Typeable: groups of lowercase letters and digits, without look-alikes (0/o, 1/l/i).
    shapes = {re.sub(r"[^-]", "x", sample) for sample in samples}
    assert len(shapes) == 1
    [shape] = shapes
    symbols = [c for sample in samples for c in sample.replace("-", "")]
    alphabet = set(symbols)
    assert alphabet <= set(string.ascii_lowercase + string.digits) - set("01ilo")

    # Each symbol is drawn independently and uniformly (secrets.choice) from the alphabet, so the
    # entropy is length x log2(alphabet size). 90,000 draws show the whole alphabet, each symbol
    # about equally often.
    length = shape.count("x")
    counts = Counter(symbols)
    expected = len(symbols) / len(alphabet)
    assert all(abs(n - expected) < 0.15 * expected for n in counts.values()), counts
    bits = length * math.log2(len(alphabet))
    assert bits >= 128, f"{length} symbols of {len(alphabet)}: {bits:.1f} bits"
