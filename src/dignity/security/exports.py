"""Bulk exports: step-up MFA, a per-account hourly limit, an audit event, and an alert (item 27).

A stolen session or a staff device carrying spyware should not be able to walk off with a case in
bulk: every bulk export needs an MFA code entered in the last few minutes, and more than the hourly
limit is refused and raises a security alert in the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.audit.models import AuditEvent
from dignity.audit.services import utc_timestamp
from dignity.exc import NotAuthenticated, RateLimited
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.settings import Settings

EXPORT_ACTION = "export.bulk"
ALERT_ACTION = "security.alert"


def authorize_export(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    mfa_at: datetime | None,
    what: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> tuple[bool, str]:
    """Record the export, or the refusal; returns (allowed, reason).

    The caller commits, then raises `refusal_error(reason)` when not allowed: the refusal and the
    alert must survive the failed request.
    """
    principal.require(Permission.EXPORT_BULK)
    if mfa_at is None or now - mfa_at > timedelta(minutes=settings.step_up_minutes):
        record_event(
            session,
            actor=principal.actor,
            action="export.refused",
            object_type="export",
            object_id=what,
            details={"reason": "step-up"},
        )
        return False, "step-up"
    since = utc_timestamp(now - timedelta(hours=1))
    recent = session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == EXPORT_ACTION,
            AuditEvent.actor == principal.actor,
            AuditEvent.occurred_at >= since,
        )
    ).scalar_one()
    if recent >= settings.export_limit_per_hour:
        record_event(
            session,
            actor=principal.actor,
            action=ALERT_ACTION,
            object_type="export",
            object_id=what,
            details={"reason": "bulk export limit exceeded", "exports_last_hour": recent},
        )
        return False, "limit"
    record_event(
        session,
        actor=principal.actor,
        action=EXPORT_ACTION,
        object_type="export",
        object_id=what,
        details=details or {},
    )
    return True, ""


def refusal_error(reason: str) -> Exception:
    if reason == "step-up":
        return NotAuthenticated("bulk export needs a fresh MFA code (step-up)")
    return RateLimited("too many bulk exports in the last hour; this has been reported", 3600)


# A spreadsheet reads a cell starting with one of these (after any spaces) as a formula (item 29).
FORMULA_START = frozenset("=+-@\t\r\n")


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows as text: a leading `= + - @`, tab or return is quoted with `'`."""
    if text and (text[0] in FORMULA_START or text.lstrip()[:1] in FORMULA_START):
        return "'" + text
    return text


def escape_cell(text: str) -> str:
    """`safe_cell` that can be undone: a leading `'` is quoted too (see `unescape_cell`)."""
    return "'" + text if text.startswith("'") else safe_cell(text)


def unescape_cell(text: str) -> str:
    """The text `escape_cell` was given."""
    return text[1:] if text.startswith("'") else text
