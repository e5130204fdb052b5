"""TOTP: 160-bit secrets, single-use codes and a window of one step either side (items 12-13)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from dignity.security import totp

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30
# A fixed secret: its codes from 3 steps back to 3 ahead are all different (checked below), so a
# refused code is refused for its step, not by a chance collision.
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def secret() -> str:
    return SECRET


def code(secret: str, seconds: int) -> str:
    """The code of `secret` at NOW plus `seconds`."""
    return pyotp.TOTP(secret).at(NOW + timedelta(seconds=seconds))


def test_secrets_have_160_random_bits() -> None:
    secrets = {totp.new_secret() for _ in range(100)}
    assert len(secrets) == 100
    for secret in secrets:
        assert len(base64.b32decode(secret)) == 20


def test_the_fixed_secret_has_distinct_codes_around_now() -> None:
    codes = [code(SECRET, 30 * n) for n in range(-3, 4)]
    assert len(set(codes)) == len(codes)
    assert len(base64.b32decode(SECRET)) == 20


def test_the_current_code_is_accepted_for_its_step(secret: str) -> None:
    assert totp.accepted_step(secret, code(secret, 0), None, NOW) == STEP


@pytest.mark.parametrize(("offset", "step"), [(-30, STEP - 1), (30, STEP + 1)])
def test_one_step_either_side_is_accepted(secret: str, offset: int, step: int) -> None:
    assert totp.accepted_step(secret, code(secret, offset), None, NOW) == step


@pytest.mark.parametrize("offset", [-90, -60, 60, 90])
def test_two_steps_away_is_refused(secret: str, offset: int) -> None:
    assert totp.accepted_step(secret, code(secret, offset), None, NOW) is None


def test_a_code_works_once(secret: str) -> None:
    current = code(secret, 0)
    last = totp.accepted_step(secret, current, None, NOW)
    assert last == STEP
    assert totp.accepted_step(secret, current, last, NOW) is None
    # Nor later in its window, nor once a later code was used.
    assert totp.accepted_step(secret, current, last, NOW + timedelta(seconds=30)) is None
    later = totp.accepted_step(secret, code(secret, 30), last, NOW)
    assert later == STEP + 1
    assert totp.accepted_step(secret, code(secret, -30), later, NOW) is None


@pytest.mark.parametrize("garbage", ["", "12345", "1234567", "12345a", "-12345", "123\n456"])
def test_malformed_codes_are_refused(secret: str, garbage: str) -> None:
    assert totp.accepted_step(secret, garbage, None, NOW) is None


@pytest.mark.parametrize("script", ["arabic-indic", "fullwidth", "devanagari"])
def test_digits_of_other_scripts_are_refused_not_an_error(secret: str, script: str) -> None:
    # str.isdigit() says yes to these; comparing them used to raise TypeError (a 500 that told an
    # attacker the password was right).
    zero = {"arabic-indic": 0x0660, "fullwidth": 0xFF10, "devanagari": 0x0966}[script]
    current = code(secret, 0)
    other = "".join(chr(zero + int(d)) for d in current)
    assert other.isdigit()
    assert totp.accepted_step(secret, other, None, NOW) is None


def test_spaces_in_a_typed_code_are_ignored(secret: str) -> None:
    current = code(secret, 0)
    assert totp.accepted_step(secret, f" {current[:3]} {current[3:]} ", None, NOW) == STEP


def test_another_secret_s_code_is_refused(secret: str) -> None:
    other = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert code(other, 0) not in {code(secret, 30 * n) for n in (-1, 0, 1)}
    assert totp.accepted_step(secret, code(other, 0), None, NOW) is None


def test_the_qr_code_is_drawn_locally(secret: str) -> None:
    uri = totp.provisioning_uri(secret, "alice")
    assert uri.startswith("otpauth://totp/Dignity:alice?secret=" + secret)
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg")
    assert "href" not in svg
    assert "<image" not in svg
