"""Monitoring pages: the caller's portfolios, their passes, and one portfolio with its subjects.

Reading needs `screening:read`, every form `screening:write` and the session's CSRF token. A
portfolio of another team answers "not found", exactly like a missing id (the services say so).
Re-screening runs in the background (`MonitorJobs`): the pages start it and return at once, and the
passes panel polls its progress with htmx while one runs. Alerts are in `monitoring_alerts`,
subjects in `monitoring_subjects`, subject files in `monitoring_upload`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.exc import Conflict, FieldError, InvalidInput
from dignity.screening.monitoring import subjects as watched
from dignity.screening.monitoring.models import Alert, Notification, Portfolio, Subject
from dignity.screening.monitoring.rescreen import OPEN_STATUSES, screen_subjects
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.security.authz import Principal, project_filter
from dignity.security.models import Project
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.monitoring_forms import (
    LABELS,
    SCHEMA_LABELS,
    SCHEMATA,
    UPLOAD_MAX_MB,
    UPLOAD_MAX_ROWS,
    FormText,
    ObjectId,
    ReaderDep,
    SubjectForm,
    WriterDep,
    field_errors,
    index_cache,
    notice,
    runs_context,
    start_pass,
    subject_errors,
)
from dignity.web.templating import render

router = APIRouter(prefix="/monitoring", include_in_schema=False)

PAGE_SIZE = 50
NOTIFICATIONS_SHOWN = 10
SUBJECT_STATES = ("active", "retired", "all")


class PortfolioForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: FormText = ""
    project_id: FormText = ""
    threshold: FormText = str(DEFAULT_THRESHOLD)
    four_eyes: bool = False


def _teams(session: Session, principal: Principal) -> list[Project]:
    """The projects the caller may make a portfolio for (their own; every one for an admin)."""
    return list(
        session.execute(
            select(Project).where(project_filter(principal, Project.id)).order_by(Project.name)
        ).scalars()
    )


def _counts(session: Session, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {str(key): int(total) for key, total in rows}


def _overview(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    portfolios = watched.visible_portfolios(session, principal)
    ids = [p.id for p in portfolios]
    teams = dict(
        session.execute(
            select(Project.id, Project.name).where(
                Project.id.in_({p.project_id for p in portfolios})
            )
        ).all()
    )
    names = {p.id: p.name for p in portfolios}
    notifications = list(
        session.execute(
            select(Notification)
            .where(Notification.portfolio_id.in_(ids))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(NOTIFICATIONS_SHOWN)
        ).scalars()
    )
    return render(
        request,
        "monitoring/overview.html",
        status=status,
        live=live,
        portfolios=portfolios,
        teams=teams,
        names=names,
        subjects=_counts(
            session, Subject.portfolio_id, Subject.portfolio_id.in_(ids), Subject.active.is_(True)
        ),
        open_alerts=_counts(
            session,
            Alert.portfolio_id,
            Alert.portfolio_id.in_(ids),
            Alert.status.in_(OPEN_STATUSES),
        ),
        notifications=notifications,
        projects=_teams(session, principal),
        can_write=principal.can(Permission.SCREENING_WRITE),
        values={"threshold": str(DEFAULT_THRESHOLD), **(values or {})},
        errors=errors or {},
        error=error,
        notice=notice(done),
        **runs_context(request, session, ids),
    )


@router.get("", response_class=HTMLResponse)
def overview(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    return _overview(request, session, live, reader, done=done)


@router.get("/runs", response_class=HTMLResponse)
def runs_panel(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    portfolio: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The passes panel alone, which the pages fetch every two seconds while a pass runs.

    Opened as a page (a bookmark, no HTMX), it sends the browser to the page that holds it."""
    if portfolio:
        ids = [watched.get_portfolio(session, reader, portfolio).id]
    else:
        ids = [p.id for p in watched.visible_portfolios(session, reader)]
    if request.headers.get("HX-Request") != "true":
        page = f"/monitoring/portfolios/{ids[0]}" if portfolio else "/monitoring"
        return RedirectResponse(page, status_code=303)
    return render(
        request,
        "monitoring/_runs.html",
        live=live,
        oob=True,
        scope=portfolio or "",
        **runs_context(request, session, ids),
    )


@router.post("/portfolios", response_class=HTMLResponse)
def create_portfolio(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    form: Annotated[PortfolioForm, Form()],
) -> Response:
    values = {**form.model_dump(exclude={"four_eyes"}), "four_eyes": "on" if form.four_eyes else ""}
    errors: dict[str, list[str]] = {}
    threshold = -1.0
    try:
        threshold = float(form.threshold)
    except ValueError:
        errors["threshold"] = ["Write a number from 0.5 to 1, such as 0.8."]
    if form.project_id not in {team.id for team in _teams(session, writer)}:
        errors["project_id"] = ["Choose one of your teams."]
    if errors:
        message = "The portfolio was not created: see the fields marked below."
        return _overview(
            request, session, live, writer, values=values, errors=errors, error=message, status=422
        )
    try:
        portfolio = watched.create_portfolio(
            session,
            writer,
            name=form.name,
            project_id=form.project_id,
            threshold=threshold,
            four_eyes=form.four_eyes,
        )
    except InvalidInput as error:
        return _overview(
            request,
            session,
            live,
            writer,
            values=values,
            errors=field_errors(error),
            error="The portfolio was not created: see the fields marked below.",
            status=422,
        )
    except Conflict as error:
        return _overview(
            request,
            session,
            live,
            writer,
            values=values,
            errors={"name": [error.message]},
            error="The portfolio was not created: " + error.message + ".",
            status=409,
        )
    session.commit()
    return RedirectResponse(f"/monitoring/portfolios/{portfolio.id}?done=created", 303)


@router.post("/rescreen", response_class=HTMLResponse)
def rescreen_all(
    request: Request, session: SessionDep, writer: WriterDep, live: LiveSessionDep, _csrf: CsrfDep
) -> Response:
    """A delta pass over every portfolio, in the background."""
    session.commit()  # nothing of this request's stays open while the pass writes
    if not start_pass(request, writer, "on demand (web)"):
        message = "A pass is running already: wait for it to end (its progress is below)."
        with request.app.state.sessionmaker() as fresh:
            return _overview(request, fresh, live, writer, error=message, status=409)
    return RedirectResponse("/monitoring?done=pass-started", 303)


# --- one portfolio ---------------------------------------------------------------------------


def _subject_rows(
    session: Session, portfolio: Portfolio, q: str, state: str, page: int
) -> tuple[list[tuple[Subject, int]], int]:
    where = [Subject.portfolio_id == portfolio.id]
    if state != "all":
        where.append(Subject.active.is_(state == "active"))
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                Subject.reference.ilike(pattern, escape="\\"),
                Subject.caption.ilike(pattern, escape="\\"),
                Subject.properties.ilike(pattern, escape="\\"),
            )
        )
    total = session.execute(select(func.count()).select_from(Subject).where(*where)).scalar_one()
    found = list(
        session.execute(
            select(Subject)
            .where(*where)
            .order_by(Subject.reference, Subject.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).scalars()
    )
    alerts = _counts(
        session,
        Alert.subject_id,
        Alert.subject_id.in_([s.id for s in found]),
        Alert.status.in_(OPEN_STATUSES),
    )
    return [(s, alerts.get(s.id, 0)) for s in found], total


def portfolio_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    portfolio: Portfolio,
    *,
    q: str = "",
    state: str = "active",
    page: int = 1,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    state = state if state in SUBJECT_STATES else "active"
    rows, total = _subject_rows(session, portfolio, q.strip(), state, max(page, 1))
    team = session.get(Project, portfolio.project_id)
    open_alerts = session.execute(
        select(func.count())
        .select_from(Alert)
        .where(Alert.portfolio_id == portfolio.id, Alert.status.in_(OPEN_STATUSES))
    ).scalar_one()
    context.setdefault("values", {"schema": "Person"})
    context.setdefault("add_error", None)
    context.setdefault("errors", {})
    context.setdefault("upload_values", {"schema": "LegalEntity"})
    context.setdefault("upload_errors", {})
    context.setdefault("settings_values", {})
    context.setdefault("settings_errors", {})
    return render(
        request,
        "monitoring/portfolio.html",
        status=status,
        live=live,
        portfolio=portfolio,
        team=team.name if team else "",
        open_alerts=open_alerts,
        rows=rows,
        total=total,
        q=q,
        state=state,
        page=max(page, 1),
        pages=max(1, -(-total // PAGE_SIZE)),
        can_write=principal.can(Permission.SCREENING_WRITE),
        schemata=SCHEMATA,
        schema_labels=SCHEMA_LABELS,
        labels=LABELS,
        max_mb=UPLOAD_MAX_MB,
        max_rows=UPLOAD_MAX_ROWS,
        scope=portfolio.id,
        **{"notice": None, "error": None, **context},
        **runs_context(request, session, [portfolio.id]),
    )


@router.get("/portfolios/{portfolio_id}", response_class=HTMLResponse)
def show_portfolio(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    portfolio_id: ObjectId,
    q: Annotated[str, Query(max_length=200)] = "",
    state: Annotated[str, Query(max_length=16)] = "active",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    portfolio = watched.get_portfolio(session, reader, portfolio_id)
    return portfolio_page(
        request, session, live, reader, portfolio, q=q, state=state, page=page, notice=notice(done)
    )


@router.post("/portfolios/{portfolio_id}/subjects", response_class=HTMLResponse)
def add_subject(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    portfolio_id: ObjectId,
    form: Annotated[SubjectForm, Form()],
) -> Response:
    """Register one subject and screen it at once; its page then shows its alerts."""
    portfolio = watched.get_portfolio(session, writer, portfolio_id)
    schema = form.schema_ if form.schema_ in SCHEMATA else "Person"
    try:
        subject = watched.add_subject(
            session,
            writer,
            portfolio,
            reference=form.reference,
            schema=schema,
            properties=form.properties(),
        )
    except (InvalidInput, Conflict) as error:
        invalid = isinstance(error, InvalidInput)
        errors = (
            subject_errors(error, schema)
            if isinstance(error, InvalidInput)
            else {"reference": [error.message]}
        )
        return portfolio_page(
            request,
            session,
            live,
            writer,
            portfolio,
            values=form.values(),
            errors=errors,
            add_error="The subject was not added: see the fields marked below.",
            status=422 if invalid else 409,
        )
    index = index_cache(request).get(session)
    screen_subjects(session, index, [subject.id], actor=writer.actor, trigger="added on the web")
    session.commit()
    return RedirectResponse(f"/monitoring/subjects/{subject.id}?done=added", 303)


@router.post("/portfolios/{portfolio_id}/settings", response_class=HTMLResponse)
def portfolio_settings(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    portfolio_id: ObjectId,
    threshold: Annotated[str, Form(max_length=32)] = "",
    four_eyes: Annotated[bool, Form()] = False,
    revision: Annotated[int, Form()] = 0,
) -> Response:
    """The threshold and the four-eyes rule; a new threshold re-screens the portfolio in full."""
    portfolio = watched.get_portfolio(session, writer, portfolio_id)
    values = {"threshold": threshold, "four_eyes": "on" if four_eyes else ""}
    before = portfolio.threshold
    try:
        try:
            new = float(threshold)
        except ValueError:
            problem = FieldError("threshold", "a number from 0.5 to 1")
            raise InvalidInput("not a number", [problem]) from None
        with session.begin_nested():
            watched.update_portfolio(
                session, writer, portfolio, revision=revision, threshold=new, four_eyes=four_eyes
            )
    except (InvalidInput, Conflict) as error:
        portfolio = watched.get_portfolio(session, writer, portfolio_id)
        invalid = isinstance(error, InvalidInput)
        return portfolio_page(
            request,
            session,
            live,
            writer,
            portfolio,
            settings_values=values,
            settings_errors=field_errors(error) if isinstance(error, InvalidInput) else {},
            settings_error=(
                "The settings were not saved: see the fields marked below."
                if invalid
                else "The settings were not saved: someone changed this portfolio since you "
                "opened the page. Its current settings are shown; make your change again."
            ),
            status=422 if invalid else 409,
        )
    session.commit()
    done = "saved"
    if portfolio.threshold != before:
        trigger = f"threshold changed to {portfolio.threshold:g} (web)"
        started = start_pass(request, writer, trigger, portfolio.id)
        done = "settings-rescreen" if started else "settings-later"
    return RedirectResponse(f"/monitoring/portfolios/{portfolio.id}?done={done}", 303)


@router.post("/portfolios/{portfolio_id}/rescreen", response_class=HTMLResponse)
def rescreen_portfolio(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    portfolio_id: ObjectId,
) -> Response:
    """The whole portfolio screened again, in the background."""
    portfolio = watched.get_portfolio(session, writer, portfolio_id)
    session.commit()
    if not start_pass(request, writer, "portfolio re-screened on demand (web)", portfolio.id):
        message = "A pass is running already: wait for it to end (its progress is below)."
        with request.app.state.sessionmaker() as fresh:
            portfolio = watched.get_portfolio(fresh, writer, portfolio_id)
            return portfolio_page(
                request, fresh, live, writer, portfolio, error=message, status=409
            )
    return RedirectResponse(f"/monitoring/portfolios/{portfolio.id}?done=pass-started", 303)
