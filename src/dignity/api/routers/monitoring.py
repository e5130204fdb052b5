"""Monitoring API: portfolios, watched subjects, re-screening passes, alerts and decisions.

Reading needs `screening:read`, changing `screening:write`. Portfolios belong to a team (a
project): a staff member's personal token sees the portfolios of their teams, and any other id is
"not found"; service accounts belong to no team and see none. Edits take the `revision` the
caller read (a subject, a portfolio or an alert changed since gets 409). A subject registered or
changed is screened at once; passes over whole portfolios run in the background (202).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.audit import record_event
from dignity.exc import NotFound
from dignity.screening.monitoring import alerts as review
from dignity.screening.monitoring import subjects as book
from dignity.screening.monitoring.history import subject_history
from dignity.screening.monitoring.jobs import MonitorJobs
from dignity.screening.monitoring.models import MonitorRun, Notification, Portfolio, Subject
from dignity.screening.monitoring.rescreen import screen_subjects
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.screening.services import IndexCache
from dignity.security.authz import Principal, project_filter
from dignity.security.permissions import Permission

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.SCREENING_READ))]
WriterDep = Annotated[Principal, Depends(api_permission(Permission.SCREENING_WRITE))]
Values = dict[
    str, list[Annotated[str, Field(max_length=1000)]] | Annotated[str, Field(max_length=1000)]
]
PAGE = 50


class PortfolioCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    team: str = Field(max_length=36, description="Id of the project (team) that owns it.")
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0.5, le=1.0)
    four_eyes: bool = False
    description: str = Field("", max_length=2000)


class PortfolioUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int
    threshold: float | None = Field(None, ge=0.5, le=1.0)
    four_eyes: bool | None = None


class SubjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    reference: str = Field(max_length=200, description="Your own id for the subject.")
    schema_: str = Field("Person", alias="schema", max_length=32)
    properties: Values = Field(max_length=50)


class SubjectUpdate(SubjectCreate):
    revision: int
    reason: str = Field("", max_length=2000)


class SubjectStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int
    reason: str = Field("", max_length=2000)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: str = Field(max_length=16, description=", ".join(review.DECISIONS))
    revision: int
    reason: str = Field("", max_length=64, description="For a false positive: a reason code.")
    note: str = Field("", max_length=review.NOTE_MAX)


class BulkDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alerts: list[Annotated[str, Field(max_length=36)]] = Field(max_length=review.PAGE_MAX)
    decision: str = Field(max_length=16)
    reason: str = Field("", max_length=64)
    note: str = Field("", max_length=review.NOTE_MAX)


class RunStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    portfolio: str | None = Field(None, max_length=36, description="Re-screen it in full.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _portfolio_json(session: Session, portfolio: Portfolio) -> dict[str, Any]:
    subjects = session.execute(
        select(func.count()).select_from(Subject).where(Subject.portfolio_id == portfolio.id)
    ).scalar_one()
    return {
        "id": portfolio.id,
        "name": portfolio.name,
        "description": portfolio.description,
        "team": portfolio.project_id,
        "threshold": portfolio.threshold,
        "four_eyes": portfolio.four_eyes,
        "revision": portfolio.revision,
        "subjects": subjects,
        "created_at": _iso(portfolio.created_at),
    }


def _subject_json(subject: Subject) -> dict[str, Any]:
    return {
        "id": subject.id,
        "portfolio": subject.portfolio_id,
        "reference": subject.reference,
        "schema": subject.schema,
        "caption": subject.caption,
        "properties": book.subject_properties(subject),
        "active": subject.active,
        "revision": subject.revision,
        "created_at": _iso(subject.created_at),
        "updated_at": _iso(subject.updated_at),
    }


def _run_json(run: MonitorRun, principal: Principal) -> dict[str, Any]:
    """A pass over every portfolio counts other teams' subjects and alerts too: only an
    administrator sees those counts; others see its progress as a share."""
    if run.portfolio_id is None and not principal.is_admin:
        return {
            "id": run.id,
            "kind": run.kind,
            "trigger": run.trigger,
            "status": run.status,
            "progress": round(run.subjects_checked / run.subjects_total, 3)
            if run.subjects_total
            else 1.0,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
        }
    return {
        "id": run.id,
        "kind": run.kind,
        "trigger": run.trigger,
        "portfolio": run.portfolio_id,
        "status": run.status,
        "algorithm": {"name": run.algorithm, "version": run.algorithm_version},
        "entities_changed": run.entities_changed,
        "entities_removed": run.entities_removed,
        "subjects_total": run.subjects_total,
        "subjects_checked": run.subjects_checked,
        "subjects_rescreened": run.subjects_rescreened,
        "alerts_new": run.alerts_new,
        "alerts_changed": run.alerts_changed,
        "suppressed": run.suppressed,
        "matches_gone": run.matches_gone,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error": run.error,
    }


def _screen(request: Request, session: Session, principal: Principal, ids: list[str]) -> Any:
    index = _indexes(request).get(session)
    run = screen_subjects(session, index, ids, actor=principal.actor, trigger="registered via API")
    return {"pass": run.id, "alerts_new": run.alerts_new, "alerts_changed": run.alerts_changed}


def _indexes(request: Request) -> IndexCache:
    cache: IndexCache = request.app.state.screening_index
    return cache


def _jobs(request: Request) -> MonitorJobs:
    jobs: MonitorJobs = request.app.state.monitor_jobs
    return jobs


@router.get("/portfolios")
def list_portfolios(session: SessionDep, principal: ReaderDep) -> list[dict[str, Any]]:
    return [_portfolio_json(session, p) for p in book.visible_portfolios(session, principal)]


@router.post("/portfolios", status_code=201)
def create_portfolio(
    body: PortfolioCreate, session: SessionDep, principal: WriterDep
) -> dict[str, Any]:
    portfolio = book.create_portfolio(
        session,
        principal,
        name=body.name,
        project_id=body.team,
        threshold=body.threshold,
        four_eyes=body.four_eyes,
        description=body.description,
    )
    return _portfolio_json(session, portfolio)


@router.get("/portfolios/{portfolio_id}")
def read_portfolio(portfolio_id: str, session: SessionDep, principal: ReaderDep) -> Any:
    return _portfolio_json(session, book.get_portfolio(session, principal, portfolio_id))


@router.patch("/portfolios/{portfolio_id}")
def update_portfolio(
    portfolio_id: str,
    body: PortfolioUpdate,
    request: Request,
    session: SessionDep,
    principal: WriterDep,
) -> dict[str, Any]:
    """A new threshold re-screens the portfolio in full, in the background."""
    portfolio = book.get_portfolio(session, principal, portfolio_id)
    before = portfolio.threshold
    book.update_portfolio(
        session,
        principal,
        portfolio,
        revision=body.revision,
        threshold=body.threshold,
        four_eyes=body.four_eyes,
    )
    if portfolio.threshold != before:
        _jobs(request).start_after_commit(
            session, actor=principal.actor, trigger="threshold changed", portfolio_id=portfolio.id
        )
    return _portfolio_json(session, portfolio)


@router.get("/portfolios/{portfolio_id}/subjects")
def list_subjects(
    portfolio_id: str,
    session: SessionDep,
    principal: ReaderDep,
    q: Annotated[str, Query(max_length=200)] = "",
    active: bool | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE,
) -> dict[str, Any]:
    portfolio = book.get_portfolio(session, principal, portfolio_id)
    query = select(Subject).where(Subject.portfolio_id == portfolio.id)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Subject.reference).like(pattern),
                func.lower(Subject.caption).like(pattern),
            )
        )
    if active is not None:
        query = query.where(Subject.active.is_(active))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Subject.reference).offset(offset).limit(limit)).scalars()
    return {"total": total, "offset": offset, "results": [_subject_json(s) for s in rows]}


@router.post("/portfolios/{portfolio_id}/subjects", status_code=201)
def add_subject(
    portfolio_id: str,
    body: SubjectCreate,
    request: Request,
    session: SessionDep,
    principal: WriterDep,
) -> dict[str, Any]:
    """Register a subject and screen it at once; the answer says what alerts it raised."""
    portfolio = book.get_portfolio(session, principal, portfolio_id)
    subject = book.add_subject(
        session,
        principal,
        portfolio,
        reference=body.reference,
        schema=body.schema_,
        properties=body.properties,
    )
    screened = _screen(request, session, principal, [subject.id])
    return {**_subject_json(subject), "screening": screened}


@router.get("/subjects/{subject_id}")
def read_subject(subject_id: str, session: SessionDep, principal: ReaderDep) -> dict[str, Any]:
    subject, _ = book.get_subject(session, principal, subject_id)
    return _subject_json(subject)


@router.put("/subjects/{subject_id}")
def update_subject(
    subject_id: str,
    body: SubjectUpdate,
    request: Request,
    session: SessionDep,
    principal: WriterDep,
) -> dict[str, Any]:
    """New values for a subject (409 if changed since `revision`); re-screened when they differ."""
    subject, _ = book.get_subject(session, principal, subject_id)
    changed = book.update_subject(
        session,
        principal,
        subject,
        revision=body.revision,
        schema=body.schema_,
        properties=body.properties,
        reason=body.reason,
    )
    screened = _screen(request, session, principal, [subject.id]) if changed else None
    return {**_subject_json(subject), "screening": screened}


@router.post("/subjects/{subject_id}/retire")
def retire_subject(
    subject_id: str, body: SubjectStatus, session: SessionDep, principal: WriterDep
) -> dict[str, Any]:
    subject, _ = book.get_subject(session, principal, subject_id)
    book.set_active(
        session, principal, subject, active=False, revision=body.revision, reason=body.reason
    )
    return _subject_json(subject)


@router.post("/subjects/{subject_id}/reactivate")
def reactivate_subject(
    subject_id: str,
    body: SubjectStatus,
    request: Request,
    session: SessionDep,
    principal: WriterDep,
) -> dict[str, Any]:
    subject, _ = book.get_subject(session, principal, subject_id)
    book.set_active(
        session, principal, subject, active=True, revision=body.revision, reason=body.reason
    )
    screened = _screen(request, session, principal, [subject.id])
    return {**_subject_json(subject), "screening": screened}


@router.post("/subjects/{subject_id}/history")
def export_history(subject_id: str, session: SessionDep, principal: ReaderDep) -> Any:
    """The subject's full screening history for an examiner (the export is audit-logged)."""
    subject, portfolio = book.get_subject(session, principal, subject_id)
    document = subject_history(session, subject, portfolio)
    record_event(
        session,
        actor=principal.actor,
        action="subject.history_exported",
        object_type="subject",
        object_id=subject.id,
        details={"portfolio": portfolio.id, "channel": "api"},
    )
    return document


@router.get("/portfolios/{portfolio_id}/alerts")
def alert_queue(
    portfolio_id: str,
    session: SessionDep,
    principal: ReaderDep,
    status: Annotated[str, Query(max_length=16)] = "open",
    dataset: Annotated[str, Query(max_length=100)] = "",
    program: Annotated[str, Query(max_length=100)] = "",
    regime: Annotated[str, Query(max_length=100)] = "",
    min_score: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    max_score: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=36500)] = None,
    newer_than_days: Annotated[int | None, Query(ge=0, le=36500)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=review.PAGE_MAX)] = PAGE,
) -> dict[str, Any]:
    portfolio = book.get_portfolio(session, principal, portfolio_id)
    filters = review.Filters(
        status=status,
        dataset=dataset,
        program=program,
        regime=regime,
        min_score=min_score,
        max_score=max_score,
        older_than_days=older_than_days,
        newer_than_days=newer_than_days,
    )
    rows, total = review.queue(session, principal, portfolio, filters, offset=offset, limit=limit)
    return {
        "total": total,
        "offset": offset,
        "results": [
            {
                "id": row.alert.id,
                "status": row.alert.status,
                "reason": row.alert.reason,
                "score": row.alert.score,
                "subject": {"reference": row.subject_reference, "caption": row.subject_caption},
                "entity": {"id": row.alert.entity_id, "caption": row.alert.entity_caption},
                "created_at": _iso(row.alert.created_at),
                "revision": row.alert.revision,
            }
            for row in rows
        ],
    }


@router.get("/alerts/{alert_id}")
def read_alert(alert_id: str, session: SessionDep, principal: ReaderDep) -> dict[str, Any]:
    alert, _ = review.get_alert(session, principal, alert_id)
    return review.alert_document(session, alert)


@router.post("/alerts/{alert_id}/decisions", status_code=201)
def decide(
    alert_id: str, body: Decision, session: SessionDep, principal: WriterDep
) -> dict[str, Any]:
    alert, portfolio = review.get_alert(session, principal, alert_id)
    review.decide(
        session,
        principal,
        alert,
        portfolio,
        decision=body.decision,
        revision=body.revision,
        reason_code=body.reason,
        note=body.note,
    )
    return review.alert_document(session, alert)


@router.post("/alerts/decisions", status_code=201)
def decide_many(body: BulkDecision, session: SessionDep, principal: WriterDep) -> dict[str, int]:
    """One decision on several alerts, all or none."""
    decided = review.decide_many(
        session,
        principal,
        body.alerts,
        decision=body.decision,
        reason_code=body.reason,
        note=body.note,
    )
    return {"decided": decided}


@router.post("/runs", status_code=202)
def start_run(
    body: RunStart, request: Request, session: SessionDep, principal: WriterDep
) -> dict[str, str]:
    """Start a pass in the background: the delta over every portfolio, or one in full."""
    if body.portfolio is not None:
        book.get_portfolio(session, principal, body.portfolio)
    trigger = "on demand, in full" if body.portfolio else "on demand"
    _jobs(request).start(actor=principal.actor, trigger=trigger, portfolio_id=body.portfolio)
    return {"status": "started"}


def _visible_runs(principal: Principal) -> Any:
    mine = select(Portfolio.id).where(project_filter(principal, Portfolio.project_id))
    return or_(MonitorRun.portfolio_id.is_(None), MonitorRun.portfolio_id.in_(mine))


@router.get("/runs")
def list_runs(
    session: SessionDep,
    principal: ReaderDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    rows = session.execute(
        select(MonitorRun)
        .where(_visible_runs(principal))
        .order_by(MonitorRun.started_at.desc())
        .limit(limit)
    ).scalars()
    return [_run_json(run, principal) for run in rows]


@router.get("/runs/{run_id}")
def read_run(run_id: str, session: SessionDep, principal: ReaderDep) -> dict[str, Any]:
    run = session.execute(
        select(MonitorRun).where(MonitorRun.id == run_id, _visible_runs(principal))
    ).scalar_one_or_none()
    if run is None:
        raise NotFound("no such pass")
    return _run_json(run, principal)


@router.get("/notifications")
def notifications(
    session: SessionDep,
    principal: ReaderDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """New alerts in the caller's portfolios: counts and links, never subject details."""
    mine = select(Portfolio.id).where(project_filter(principal, Portfolio.project_id))
    rows = session.execute(
        select(Notification)
        .where(Notification.portfolio_id.in_(mine))
        .order_by(Notification.created_at.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "portfolio": n.portfolio_id,
            "new_alerts": n.new_alerts,
            "changed_alerts": n.changed_alerts,
            "link": n.link,
            "created_at": _iso(n.created_at),
        }
        for n in rows
    ]
