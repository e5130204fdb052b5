"""Reviewing alerts: the queue of a portfolio, one alert in full, and the reviewer's decisions.

Decisions:

- `true_match`: the subject is the listed entity. Closes the alert, or, under the portfolio's
  four-eyes rule, escalates it until a second reviewer, not the first, `confirm`s it (or
  `return`s it to the queue).
- `false_positive`: with a reason from the vocabulary (`vocab/dispositions`). Closes the alert
  and suppresses the same match until the entity or the subject changes.
- `needs_info`: kept in the queue, waiting for more information (say what in the note).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from dignity.screening.monitoring.models import Alert, AlertDecision, Portfolio, Subject
from dignity.screening.monitoring.rescreen import OPEN_STATUSES
from dignity.security.authz import Principal, project_filter
from dignity.security.permissions import Permission
from dignity.store.types import utcnow
from dignity.vocab.dispositions import false_positive_reasons
from dignity.vocab.programs import vocabulary

DECISIONS = ("true_match", "false_positive", "needs_info", "confirm", "return")
STATUSES = (*OPEN_STATUSES, "true_match", "false_positive")
# decision -> the statuses it may be taken from
ALLOWED_FROM = {
    "true_match": ("open", "needs_info"),
    "false_positive": ("open", "needs_info"),
    "needs_info": ("open",),
    "confirm": ("escalated",),
    "return": ("escalated",),
}
NOTE_MAX = 4000
PAGE_MAX = 200


@dataclass(frozen=True)
class Filters:
    status: str = "open"  # a status, "open" (every open status) or "all"
    dataset: str = ""
    program: str = ""
    regime: str = ""
    min_score: float | None = None
    max_score: float | None = None
    older_than_days: int | None = None
    newer_than_days: int | None = None
    subject_id: str = ""


def _where(filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.status == "open":
        clauses.append(Alert.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        if filters.status not in STATUSES:
            raise InvalidInput("unknown status", [FieldError("status", _one_of(STATUSES))])
        clauses.append(Alert.status == filters.status)
    if filters.dataset:
        clauses.append(Alert.datasets.contains(json.dumps(filters.dataset)))
    if filters.program:
        clauses.append(Alert.programs.contains(json.dumps(filters.program)))
    if filters.regime:
        codes = _regime_codes(filters.regime)
        if not codes:
            raise InvalidInput("unknown regime", [FieldError("regime", "no program has it")])
        clauses.append(or_(*(Alert.programs.contains(json.dumps(code)) for code in codes)))
    if filters.min_score is not None:
        clauses.append(Alert.score >= filters.min_score)
    if filters.max_score is not None:
        clauses.append(Alert.score <= filters.max_score)
    now = utcnow()
    if filters.older_than_days is not None:
        clauses.append(Alert.created_at <= now - timedelta(days=filters.older_than_days))
    if filters.newer_than_days is not None:
        clauses.append(Alert.created_at >= now - timedelta(days=filters.newer_than_days))
    if filters.subject_id:
        clauses.append(Alert.subject_id == filters.subject_id)
    return clauses


def _regime_codes(regime: str) -> list[str]:
    return sorted(
        {
            code
            for entry in vocabulary().publishers.values()
            for code, program in entry.programs.items()
            if program.regime == regime
        }
    )


def regimes() -> list[str]:
    return sorted(
        {p.regime for entry in vocabulary().publishers.values() for p in entry.programs.values()}
    )


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(values)


@dataclass
class QueueRow:
    alert: Alert
    subject_reference: str
    subject_caption: str


def queue(
    session: Session,
    principal: Principal,
    portfolio: Portfolio,
    filters: Filters,
    *,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[QueueRow], int]:
    """The portfolio's alerts that pass the filters, oldest first, and how many there are."""
    principal.require(Permission.SCREENING_READ)
    clauses = [Alert.portfolio_id == portfolio.id, *_where(filters)]
    total = session.execute(select(func.count()).select_from(Alert).where(*clauses)).scalar_one()
    rows = session.execute(
        select(Alert, Subject.reference, Subject.caption)
        .join(Subject, Subject.id == Alert.subject_id)
        .where(*clauses)
        .order_by(Alert.created_at, Alert.id)
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), PAGE_MAX))
    ).all()
    return [QueueRow(alert, reference, caption) for alert, reference, caption in rows], total


def get_alert(session: Session, principal: Principal, alert_id: str) -> tuple[Alert, Portfolio]:
    """The alert if the caller's team owns its portfolio; otherwise "not found"."""
    principal.require(Permission.SCREENING_READ)
    found = session.execute(
        select(Alert, Portfolio)
        .join(Portfolio, Portfolio.id == Alert.portfolio_id)
        .where(Alert.id == alert_id, project_filter(principal, Portfolio.project_id))
    ).first()
    if found is None:
        raise NotFound("no such alert")
    return found[0], found[1]


def decisions(session: Session, alert: Alert) -> list[AlertDecision]:
    return list(
        session.execute(
            select(AlertDecision)
            .where(AlertDecision.alert_id == alert.id)
            .order_by(AlertDecision.at, AlertDecision.id)
        ).scalars()
    )


def decide(
    session: Session,
    principal: Principal,
    alert: Alert,
    portfolio: Portfolio,
    *,
    decision: str,
    revision: int | None,
    reason_code: str = "",
    note: str = "",
) -> AlertDecision:
    """Record a reviewer's decision and move the alert on (see the module doc)."""
    principal.require(Permission.SCREENING_WRITE)
    if revision is not None and revision != alert.revision:
        raise Conflict("the alert was changed by someone else; reload it")
    _check(decision, reason_code, note, alert)
    before = alert.status
    if decision == "true_match":
        after = "escalated" if portfolio.four_eyes else "true_match"
    elif decision == "confirm":
        first = _escalated_by(session, alert)
        if first == principal.actor:
            raise PermissionDenied("a second reviewer, not the first, confirms a true match")
        after = "true_match"
    else:
        after = {"false_positive": "false_positive", "needs_info": "needs_info"}.get(
            decision, "open"
        )
    alert.status, alert.updated_at = after, utcnow()
    alert.closed_at = utcnow() if after in ("true_match", "false_positive") else None
    row = AlertDecision(
        alert_id=alert.id,
        decision=decision,
        reason_code=reason_code,
        note=note.strip(),
        status_before=before,
        status_after=after,
        actor=principal.actor,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=principal.actor,
        action="alert.decided",
        object_type="alert",
        object_id=alert.id,
        details={
            "decision": decision,
            "reason": reason_code,
            "from": before,
            "to": after,
            "portfolio": portfolio.id,
            "suppresses": after == "false_positive",
        },
    )
    return row


def _check(decision: str, reason_code: str, note: str, alert: Alert) -> None:
    errors = []
    if decision not in DECISIONS:
        raise InvalidInput("unknown decision", [FieldError("decision", _one_of(DECISIONS))])
    if alert.status not in ALLOWED_FROM[decision]:
        raise Conflict(f"an alert that is {alert.status.replace('_', ' ')} cannot take {decision}")
    if len(note) > NOTE_MAX:
        errors.append(FieldError("note", f"at most {NOTE_MAX} characters"))
    if decision == "false_positive":
        reason = false_positive_reasons().get(reason_code)
        if reason is None:
            codes = ", ".join(false_positive_reasons())
            errors.append(FieldError("reason", f"choose a reason: {codes}"))
        elif reason.note_required and not note.strip():
            errors.append(FieldError("note", f"say why ({reason.label})"))
    elif reason_code:
        errors.append(FieldError("reason", "only a false positive takes a reason"))
    if decision in ("needs_info", "return") and not note.strip():
        errors.append(FieldError("note", "say what is needed"))
    if errors:
        raise InvalidInput("the decision cannot be recorded", errors)


def _escalated_by(session: Session, alert: Alert) -> str:
    actor = session.execute(
        select(AlertDecision.actor)
        .where(AlertDecision.alert_id == alert.id, AlertDecision.status_after == "escalated")
        .order_by(AlertDecision.at.desc(), AlertDecision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return actor or ""


def decide_many(
    session: Session,
    principal: Principal,
    alert_ids: list[str],
    *,
    decision: str,
    reason_code: str = "",
    note: str = "",
) -> int:
    """The same decision on several alerts, all or none (an alert that cannot take it stops all)."""
    if not alert_ids or len(alert_ids) > PAGE_MAX:
        raise InvalidInput(
            "choose the alerts", [FieldError("alerts", f"1 to {PAGE_MAX} alerts at a time")]
        )
    chosen = [get_alert(session, principal, alert_id) for alert_id in dict.fromkeys(alert_ids)]
    for alert, portfolio in chosen:
        decide(
            session,
            principal,
            alert,
            portfolio,
            decision=decision,
            revision=None,
            reason_code=reason_code,
            note=note,
        )
    return len(chosen)


def alert_document(session: Session, alert: Alert) -> dict[str, Any]:
    """Everything a reviewer needs about one alert, as the API and the export give it."""
    subject = session.get(Subject, alert.subject_id)
    assert subject is not None  # noqa: S101 (alerts cascade with their subject)
    return {
        "id": alert.id,
        "portfolio_id": alert.portfolio_id,
        "status": alert.status,
        "reason": alert.reason,
        "revision": alert.revision,
        "score": alert.score,
        "created_at": _iso(alert.created_at),
        "updated_at": _iso(alert.updated_at),
        "closed_at": _iso(alert.closed_at),
        "gone_at": _iso(alert.gone_at),
        "previous_id": alert.previous_id,
        "run_id": alert.run_id,
        "subject": {
            "id": subject.id,
            "reference": subject.reference,
            "schema": subject.schema,
            "caption": subject.caption,
            "revision": alert.subject_revision,
            "properties": json.loads(subject.properties),
        },
        "entity": {
            "id": alert.entity_id,
            "caption": alert.entity_caption,
            "datasets": json.loads(alert.datasets),
            "programs": json.loads(alert.programs),
            "values": json.loads(alert.entity_snapshot),
        },
        "list_versions": json.loads(alert.list_versions),
        "explanation": json.loads(alert.features),
        "changes": json.loads(alert.changes),
        "decisions": [
            {
                "decision": d.decision,
                "reason": d.reason_code,
                "note": d.note,
                "from": d.status_before,
                "to": d.status_after,
                "actor": d.actor,
                "at": _iso(d.at),
            }
            for d in decisions(session, alert)
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
