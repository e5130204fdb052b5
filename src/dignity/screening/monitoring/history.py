"""A subject's full screening history, for an examiner: evidence of diligence.

Every revision of the subject, every pass that covered it (with the list versions it was checked
against, whether it was re-screened in full, and the screening record when it was), every alert
and every decision, in order of time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dignity.screening.models import Screening
from dignity.screening.monitoring.alerts import alert_document
from dignity.screening.monitoring.models import Alert, MonitorRun, Portfolio, Subject
from dignity.screening.monitoring.subjects import revisions
from dignity.screening.services import screening_document

MONITORING_CHANNEL = "monitoring:"


def subject_history(session: Session, subject: Subject, portfolio: Portfolio) -> dict[str, Any]:
    screenings = {
        row.channel.removeprefix(MONITORING_CHANNEL): row
        for row in session.execute(
            select(Screening)
            .where(
                Screening.query_key == subject.id,
                Screening.channel.startswith(MONITORING_CHANNEL),
            )
            .order_by(Screening.created_at)
        ).scalars()
    }
    runs = session.execute(
        select(MonitorRun)
        .where(
            MonitorRun.started_at >= subject.created_at,
            MonitorRun.status == "done",
            or_(MonitorRun.portfolio_id.is_(None), MonitorRun.portfolio_id == portfolio.id),
        )
        .order_by(MonitorRun.started_at)
    ).scalars()
    passes = []
    for run in runs:
        screening = screenings.get(run.id)
        if screening is None and run.kind == "subjects":
            continue  # a pass over other subjects just registered or changed
        passes.append(
            {
                "run": run.id,
                "kind": run.kind,
                "trigger": run.trigger,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "algorithm": {"name": run.algorithm, "version": run.algorithm_version},
                "list_versions": json.loads(run.list_versions),
                # A delta pass checks every active subject against what changed; it screens
                # in full only those that could match, and keeps a record of those.
                "rescreened": screening is not None,
                "screening": screening_document(screening) if screening is not None else None,
            }
        )
    alerts = session.execute(
        select(Alert).where(Alert.subject_id == subject.id).order_by(Alert.created_at, Alert.id)
    ).scalars()
    return {
        "subject": {
            "id": subject.id,
            "reference": subject.reference,
            "portfolio": {"id": portfolio.id, "name": portfolio.name},
            "schema": subject.schema,
            "caption": subject.caption,
            "active": subject.active,
            "revision": subject.revision,
            "created_at": _iso(subject.created_at),
            "created_by": subject.created_by,
        },
        "revisions": [
            {
                "revision": r.revision,
                "action": r.action,
                "schema": r.schema,
                "properties": json.loads(r.properties),
                "active": r.active,
                "reason": r.reason,
                "actor": r.actor,
                "at": _iso(r.at),
            }
            for r in revisions(session, subject)
        ],
        "passes": passes,
        "alerts": [alert_document(session, alert) for alert in alerts],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
