"""Time-based one-time passwords (RFC 6238) with single use and a narrow window (items 12-13).

Secrets are 160 random bits. A code is accepted for the current 30-second step or one step either
side, and only when its step is later than the last step accepted for the account, so a code works
once.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "Dignity"
STEP_SECONDS = 30
VALID_WINDOW = 1


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, rendered here (no external service sees the secret)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def accepted_step(secret: str, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step `code` belongs to when it is valid and unused, else None."""
    code = code.strip().replace(" ", "")
    # ASCII only: str.isdigit() admits other scripts' digits, which compare_digest refuses.
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None
