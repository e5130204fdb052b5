"""A watched subject's page: its values, edit, retire or reactivate, revisions, alerts, history.

An edit is made from the revision the page showed (an older one is refused with a message, 409)
and, when the values changed, the subject is screened again at once. The full history (revisions,
passes, alerts and decisions) downloads as JSON for an examiner; each export is audited.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.audit import record_event
from dignity.exc import Conflict, InvalidInput
from dignity.screening.monitoring import subjects as watched
from dignity.screening.monitoring.history import subject_history
from dignity.screening.monitoring.models import Alert, Portfolio, Subject
from dignity.screening.monitoring.rescreen import screen_subjects
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.monitoring_forms import (
    FORM_PROPS,
    LABELS,
    SCHEMA_LABELS,
    SCHEMATA,
    ObjectId,
    ReaderDep,
    SubjectForm,
    WriterDep,
    actor_names,
    form_values,
    index_cache,
    notice,
    subject_errors,
)
from dignity.web.templating import render

router = APIRouter(prefix="/monitoring/subjects", include_in_schema=False)


def _subject_page(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    subject: Subject,
    portfolio: Portfolio,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    properties = watched.subject_properties(subject)
    revisions = list(reversed(watched.revisions(session, subject)))
    alerts = list(
        session.execute(
            select(Alert)
            .where(Alert.subject_id == subject.id)
            .order_by(Alert.created_at.desc(), Alert.id.desc())
        ).scalars()
    )
    return render(
        request,
        "monitoring/subject.html",
        status=status,
        live=live,
        subject=subject,
        portfolio=portfolio,
        properties=properties,
        other_props={k: v for k, v in properties.items() if k not in FORM_PROPS},
        revisions=revisions,
        actors=actor_names(session, [r.actor for r in revisions] + [subject.updated_by]),
        alerts=alerts,
        can_write=principal.can(Permission.SCREENING_WRITE),
        schemata=SCHEMATA,
        schema_labels=SCHEMA_LABELS,
        labels=LABELS,
        **{
            "values": {
                **form_values(subject.reference, subject.schema, properties),
                "revision": str(subject.revision),
            },
            "errors": {},
            "error": None,
            "notice": None,
            "retire_error": None,
            **context,
        },
    )


@router.get("/{subject_id}", response_class=HTMLResponse)
def show_subject(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    subject_id: ObjectId,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    subject, portfolio = watched.get_subject(session, reader, subject_id)
    return _subject_page(request, session, live, reader, subject, portfolio, notice=notice(done))


@router.post("/{subject_id}", response_class=HTMLResponse)
def edit_subject(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    subject_id: ObjectId,
    form: Annotated[SubjectForm, Form()],
) -> Response:
    subject, portfolio = watched.get_subject(session, writer, subject_id)
    schema = form.schema_ if form.schema_ in SCHEMATA else subject.schema
    values = {**form.values(), "reference": subject.reference}
    try:
        with session.begin_nested():
            changed = watched.update_subject(
                session,
                writer,
                subject,
                revision=form.revision if form.revision is not None else -1,
                schema=schema,
                properties=form.properties(watched.subject_properties(subject)),
                reason=form.reason.strip(),
            )
    except InvalidInput as error:
        subject, portfolio = watched.get_subject(session, writer, subject_id)
        return _subject_page(
            request,
            session,
            live,
            writer,
            subject,
            portfolio,
            values=values,
            errors=subject_errors(error, schema),
            error="The subject was not saved: see the fields marked below.",
            status=422,
        )
    except Conflict:
        subject, portfolio = watched.get_subject(session, writer, subject_id)
        message = (
            "The subject was not saved: someone changed it since you opened the page. "
            f"It is now at revision {subject.revision}; the form shows its current values: "
            "make your change again."
        )
        return _subject_page(
            request, session, live, writer, subject, portfolio, error=message, status=409
        )
    if changed:
        index = index_cache(request).get(session)
        screen_subjects(session, index, [subject.id], actor=writer.actor, trigger="edited (web)")
    session.commit()
    return RedirectResponse(
        f"/monitoring/subjects/{subject.id}?done={'saved' if changed else 'unchanged'}", 303
    )


@router.post("/{subject_id}/active", response_class=HTMLResponse)
def set_active(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    subject_id: ObjectId,
    active: Annotated[bool, Form()] = False,
    reason: Annotated[str, Form(max_length=4000)] = "",
    revision: Annotated[int, Form()] = -1,
) -> Response:
    """Retire (with the reason) or reactivate; a reactivated subject is screened again at once."""
    subject, portfolio = watched.get_subject(session, writer, subject_id)
    try:
        with session.begin_nested():
            watched.set_active(
                session, writer, subject, active=active, revision=revision, reason=reason
            )
    except (InvalidInput, Conflict) as error:
        subject, portfolio = watched.get_subject(session, writer, subject_id)
        message = (
            "Say why the subject is retired."
            if isinstance(error, InvalidInput)
            else "Nothing was changed: someone changed the subject since you opened the page."
        )
        return _subject_page(
            request,
            session,
            live,
            writer,
            subject,
            portfolio,
            retire_error=message,
            retire_reason=reason,
            status=422 if isinstance(error, InvalidInput) else 409,
        )
    if active:
        index = index_cache(request).get(session)
        screen_subjects(session, index, [subject.id], actor=writer.actor, trigger="reactivated")
    session.commit()
    done = "reactivated" if active else "retired"
    return RedirectResponse(f"/monitoring/subjects/{subject.id}?done={done}", 303)


@router.post("/{subject_id}/history")
def export_history(
    session: SessionDep, reader: ReaderDep, _csrf: CsrfDep, subject_id: ObjectId
) -> Response:
    """The subject's whole screening history as a JSON file (the export is audited)."""
    subject, portfolio = watched.get_subject(session, reader, subject_id)
    history = subject_history(session, subject, portfolio)
    record_event(
        session,
        actor=reader.actor,
        action="subject.history_exported",
        object_type="subject",
        object_id=subject.id,
        details={"portfolio": portfolio.id, "revision": subject.revision},
    )
    session.commit()
    body = json.dumps(history, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="subject-{subject.id}-history.json"'
        },
    )
