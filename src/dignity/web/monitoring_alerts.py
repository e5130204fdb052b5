"""Alert pages: a portfolio's queue with filters and bulk decisions, and one alert in full.

The queue is a GET form (filters in the address, so a view can be bookmarked); decisions are POST
forms with the session's CSRF token. A decision on one alert carries the alert's revision: when
someone else moved it in the meantime the page says so (409) and shows the alert as it now is.
Keyboard shortcuts (static/monitoring.js) only press these forms' buttons and move the focus:
every page works the same without script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.exc import Conflict, InvalidInput, NotFound, PermissionDenied
from dignity.registry import services as registry
from dignity.screening.monitoring import alerts as review
from dignity.screening.monitoring import subjects as watched
from dignity.screening.monitoring.entities import IDENTIFIERS_KEY, LISTS_KEY, PROGRAMS_KEY
from dignity.screening.monitoring.models import Alert, Portfolio, Subject
from dignity.screening.score import Feature
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.store.types import utcnow
from dignity.vocab.dispositions import false_positive_reasons
from dignity.web.csrf import CsrfDep
from dignity.web.monitoring_forms import (
    ObjectId,
    ReaderDep,
    WriterDep,
    actor_names,
    clean_back,
    notice,
)
from dignity.web.screening import _explain
from dignity.web.templating import render

router = APIRouter(prefix="/monitoring", include_in_schema=False)

PAGE_SIZE = 50
FILTER_KEYS = frozenset(
    {"status", "dataset", "program", "regime", "min_score", "max_score", "older", "newer", "page"}
)
STATUS_LABELS = {
    "open": "Still to decide",
    "needs_info": "Needs information",
    "escalated": "Awaiting a second reviewer",
    "true_match": "True match",
    "false_positive": "False positive",
    "all": "Every alert",
}
DECISION_LABELS = {
    "true_match": "True match",
    "false_positive": "False positive",
    "needs_info": "Needs information",
    "confirm": "Confirmed true match",
    "return": "Returned to the queue",
}
PROPERTY_LABELS = {
    LISTS_KEY: "Lists",
    PROGRAMS_KEY: "Programs",
    IDENTIFIERS_KEY: "Identifiers",
    "name": "Name",
    "alias": "Other names",
    "birthDate": "Date of birth",
    "nationality": "Nationality",
    "country": "Country",
    "idNumber": "Id number",
    "passportNumber": "Passport number",
}
LAST_PROPS = frozenset({"notes", "summary", "description", "addressEntity", "topics", "sourceUrl"})


@dataclass
class QueueQuery:
    """The queue's filters as typed, and what they mean (or what is wrong with them)."""

    values: dict[str, str]
    filters: review.Filters = field(default_factory=review.Filters)
    errors: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1

    @property
    def query_string(self) -> str:
        return urlencode([(k, v) for k, v in self.values.items() if v and k != "page"])


def _number(
    values: dict[str, str], name: str, errors: dict[str, list[str]], kind: type
) -> Any | None:
    text = values.get(name, "")
    if not text:
        return None
    try:
        number = kind(text)
    except ValueError:
        errors[name] = ["Write a number" + (" of days." if kind is int else " from 0 to 1.")]
        return None
    if number < 0 or (kind is float and number > 1):
        errors[name] = ["Out of range" + (": days from 0." if kind is int else ": from 0 to 1.")]
        return None
    return number


def parse_queue(raw: dict[str, str]) -> QueueQuery:
    values = {k: raw.get(k, "").strip()[:100] for k in FILTER_KEYS}
    values["status"] = values["status"] or "open"
    errors: dict[str, list[str]] = {}
    if values["status"] not in STATUS_LABELS:
        errors["status"] = ["Choose one of the statuses offered."]
        values["status"] = "open"
    if values["regime"] and values["regime"] not in review.regimes():
        errors["regime"] = ["Choose one of the regimes offered."]
        values["regime"] = ""
    filters = review.Filters(
        status=values["status"],
        dataset=values["dataset"],
        program=values["program"],
        regime=values["regime"],
        min_score=_number(values, "min_score", errors, float),
        max_score=_number(values, "max_score", errors, float),
        older_than_days=_number(values, "older", errors, int),
        newer_than_days=_number(values, "newer", errors, int),
    )
    page = _number(values, "page", errors, int) or 1
    return QueueQuery(values, filters, errors, max(1, min(page, 100_000)))


def _queue_url(portfolio_id: str, back: str) -> str:
    query = clean_back(back, FILTER_KEYS)
    return f"/monitoring/portfolios/{portfolio_id}/alerts" + (f"?{query}" if query else "")


def _queue_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    portfolio: Portfolio,
    query: QueueQuery,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    rows: list[review.QueueRow] = []
    total = 0
    if not query.errors:
        rows, total = review.queue(
            session,
            principal,
            portfolio,
            query.filters,
            offset=(query.page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    now = utcnow()
    return render(
        request,
        "monitoring/alerts.html",
        status=status,
        live=live,
        portfolio=portfolio,
        rows=[
            {
                "alert": row.alert,
                "reference": row.subject_reference,
                "caption": row.subject_caption,
                "lists": json.loads(row.alert.datasets),
                "programs": json.loads(row.alert.programs),
                "age": (now - row.alert.created_at).days,
            }
            for row in rows
        ],
        total=total,
        page=query.page,
        pages=max(1, -(-total // PAGE_SIZE)),
        values=query.values,
        errors=query.errors,
        back=query.query_string,
        page_query=lambda n: urlencode(
            [*((k, v) for k, v in query.values.items() if v and k != "page"), ("page", n)]
        ),
        statuses=STATUS_LABELS,
        lists=[s.id for s, v in registry.source_lists(session) if v is not None],
        regimes=review.regimes(),
        reasons=false_positive_reasons(),
        can_write=principal.can(Permission.SCREENING_WRITE),
        **{"notice": None, "error": None, "form": {}, **context},
    )


@router.get("/portfolios/{portfolio_id}/alerts", response_class=HTMLResponse)
def alert_queue(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    portfolio_id: ObjectId,
    done: Annotated[str | None, Query(max_length=32)] = None,
    count: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> HTMLResponse:
    portfolio = watched.get_portfolio(session, reader, portfolio_id)
    query = parse_queue(dict(request.query_params))
    message = notice(done)
    if done == "bulk" and count is not None:
        message = f"{count} alert{'s' if count != 1 else ''} decided."
    return _queue_page(
        request,
        session,
        live,
        reader,
        portfolio,
        query,
        status=422 if query.errors else 200,
        notice=message,
    )


@router.post("/portfolios/{portfolio_id}/alerts/decide", response_class=HTMLResponse)
def decide_selected(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    portfolio_id: ObjectId,
    alert: Annotated[list[str] | None, Form(max_length=64)] = None,
    decision: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=20000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """One decision on the selected alerts of the queue, all or none."""
    portfolio = watched.get_portfolio(session, writer, portfolio_id)
    chosen = list(dict.fromkeys(alert or []))
    form = {"decision": decision, "reason": reason, "note": note, "selected": chosen}
    error: str | None = None
    status = 422
    if decision not in ("false_positive", "needs_info", "true_match"):
        error = "Choose what to decide: false positive, needs information or true match."
    elif chosen:
        owned = set(
            session.execute(
                select(Alert.id).where(Alert.id.in_(chosen), Alert.portfolio_id == portfolio.id)
            ).scalars()
        )
        if owned != set(chosen):
            raise NotFound("no such alert")
    if error is None:
        try:
            with session.begin_nested():  # all or none
                decided = review.decide_many(
                    session,
                    writer,
                    chosen,
                    decision=decision,
                    reason_code=reason if decision == "false_positive" else "",
                    note=note,
                )
        except InvalidInput as problem:
            error = _sentence(problem.message) + " " + _problems(problem)
        except Conflict as problem:
            error = _sentence(problem.message) + " Nothing was decided: reload the queue."
            status = 409
        else:
            session.commit()
            url = _queue_url(portfolio.id, back)
            joiner = "&" if "?" in url else "?"
            return RedirectResponse(f"{url}{joiner}done=bulk&count={decided}", 303)
    portfolio = watched.get_portfolio(session, writer, portfolio_id)
    query = parse_queue(dict(_pairs(back)))
    return _queue_page(
        request, session, live, writer, portfolio, query, status=status, error=error, form=form
    )


def _pairs(back: str) -> list[tuple[str, str]]:
    return parse_qsl(clean_back(back, FILTER_KEYS))


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}."


def _problems(error: InvalidInput) -> str:
    words = {"reason": "Reason", "note": "Note", "alerts": "Alerts", "decision": "Decision"}
    return " ".join(_sentence(f"{words.get(e.field, e.field)}: {e.message}") for e in error.errors)


# --- one alert -------------------------------------------------------------------------------


def _values(snapshot: dict[str, list[str]], changes: dict[str, Any]) -> dict[str, Any]:
    """prop -> [(value, "added"|"")...] and the removed values, for one side of the comparison."""
    shown: dict[str, Any] = {}
    for prop in sorted(set(snapshot) | set(changes)):
        moved = changes.get(prop, {})
        added = set(moved.get("added", ()))
        shown[prop] = {
            "values": [(v, v in added) for v in snapshot.get(prop, [])],
            "removed": list(moved.get("removed", ())),
        }
    return shown


def alert_context(session: Session, alert: Alert, portfolio: Portfolio) -> dict[str, Any]:
    document = review.alert_document(session, alert)
    changes = document["changes"] or {}
    entity = _values(document["entity"]["values"], changes.get("entity", {}))
    subject_props = watched.revision_properties(session, alert.subject_id, alert.subject_revision)
    subject = _values(
        subject_props or document["subject"]["properties"], changes.get("subject", {})
    )
    props = [p for p in entity if not p.startswith("(")]
    # The properties a reviewer compares first, then the rest, long notes last.
    order = list(PROPERTY_LABELS)
    props = sorted(
        set(props) | set(subject),
        key=lambda p: (p in LAST_PROPS, order.index(p) if p in order else len(order), p),
    )
    side_by_side = [
        {
            "prop": p,
            "label": PROPERTY_LABELS.get(p, p),
            "subject": subject.get(p),
            "entity": entity.get(p),
        }
        for p in props
    ]
    extra = [
        {"prop": p, "label": PROPERTY_LABELS[p], "entity": entity[p]}
        for p in (LISTS_KEY, PROGRAMS_KEY, IDENTIFIERS_KEY)
        if p in entity
    ]
    features = [_explain(Feature(**f)) for f in json.loads(alert.features)]
    history = review.decisions(session, alert)
    escalated_by = next((d.actor for d in reversed(history) if d.status_after == "escalated"), "")
    stored = session.get(Subject, alert.subject_id)
    return {
        "alert": alert,
        "portfolio": portfolio,
        "document": document,
        "subject": stored,
        "rows": side_by_side,
        "extra": extra,
        "changed": bool(changes.get("entity") or changes.get("subject")),
        "features": features,
        "history": history,
        "actors": actor_names(session, [d.actor for d in history]),
        "escalated_by": escalated_by,
        "list_versions": document["list_versions"],
        "reasons": false_positive_reasons(),
        "decision_labels": DECISION_LABELS,
        "allowed": {d: alert.status in s for d, s in review.ALLOWED_FROM.items()},
    }


def _alert_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    alert: Alert,
    portfolio: Portfolio,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "monitoring/alert.html",
        status=status,
        live=live,
        can_write=principal.can(Permission.SCREENING_WRITE),
        me_actor=principal.actor,
        **alert_context(session, alert, portfolio),
        **{"notice": None, "error": None, "form": {}, "errors": {}, "back": "", **context},
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def show_alert(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    alert_id: ObjectId,
    done: Annotated[str | None, Query(max_length=32)] = None,
    back: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    alert, portfolio = review.get_alert(session, reader, alert_id)
    return _alert_page(
        request,
        session,
        live,
        reader,
        alert,
        portfolio,
        notice=notice(done),
        back=clean_back(back, FILTER_KEYS),
        next_alert=_next_open(session, reader, portfolio, alert) if done else None,
    )


def _next_open(
    session: Session, principal: Principal, portfolio: Portfolio, current: Alert
) -> Alert | None:
    rows, _ = review.queue(session, principal, portfolio, review.Filters(), limit=2)
    return next((row.alert for row in rows if row.alert.id != current.id), None)


@router.post("/alerts/{alert_id}/decide", response_class=HTMLResponse)
def decide_alert(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    alert_id: ObjectId,
    decision: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=20000)] = "",
    revision: Annotated[int | None, Form()] = None,
    back: Annotated[str, Form(max_length=2000)] = "",
    to: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """One decision on one alert, from its page (or from its row of the queue: `to=queue`)."""
    alert, portfolio = review.get_alert(session, writer, alert_id)
    form = {"decision": decision, "reason": reason, "note": note}
    try:
        with session.begin_nested():
            review.decide(
                session,
                writer,
                alert,
                portfolio,
                decision=decision,
                revision=revision if revision is not None else -1,
                reason_code=reason if decision == "false_positive" else "",
                note=note,
            )
    except InvalidInput as problem:
        errors = {decision: {e.field: e.message for e in problem.errors}}
        error, status = _sentence(problem.message) + " " + _problems(problem), 422
    except Conflict as problem:
        errors = {}
        error = (
            _sentence(problem.message)
            + " Nothing was recorded: the alert as it is now is shown below."
        )
        status = 409
    except PermissionDenied as problem:
        errors, error, status = {}, _sentence(problem.message), 403
    else:
        session.commit()
        back = clean_back(back, FILTER_KEYS)
        if to == "queue":
            url = _queue_url(portfolio.id, back)
            joiner = "&" if "?" in url else "?"
            return RedirectResponse(f"{url}{joiner}done=decided", 303)
        tail = f"&back={_quote(back)}" if back else ""
        return RedirectResponse(f"/monitoring/alerts/{alert.id}?done=decided{tail}", 303)
    alert, portfolio = review.get_alert(session, writer, alert_id)
    if to == "queue":
        query = parse_queue(dict(_pairs(back)))
        return _queue_page(
            request, session, live, writer, portfolio, query, status=status, error=error
        )
    return _alert_page(
        request,
        session,
        live,
        writer,
        alert,
        portfolio,
        status=status,
        error=error,
        errors=errors,
        form=form,
        back=clean_back(back, FILTER_KEYS),
    )


def _quote(text: str) -> str:
    return quote(text, safe="")
