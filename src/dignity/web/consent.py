"""Consent on the person page (need-to-know staff only): the current consent in plain words and its
history, recording a consent, sharing with a recipient (the document is downloaded, or the page
says whose consent does not cover it and why), withdrawing consent and marking the recipients of
earlier shares as notified, and promises made to the person, overdue ones highlighted.

Everyone else gets "not found" for these forms, exactly as for a missing person, and the person
page says nothing of consent to them. Sealed values (a guardian's name, conditions, notes) are
never put in an address, a log or an error message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.consent import scopes as vocab
from dignity.consent.services import parse
from dignity.documentation import consents
from dignity.documentation.models import Person
from dignity.exc import InvalidInput
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.store.types import utcnow
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_shared import ReaderDep, RecordId, WriterDep
from dignity.web.templating import render, templates

router = APIRouter(prefix="/consent", include_in_schema=False)

Text = Annotated[str, Form(max_length=5_000)]
Short = Annotated[str, Form(max_length=300)]
VOCAB = {
    "scopes": vocab.SCOPES,
    "recipients": vocab.RECIPIENT_KINDS,
    "givers": vocab.GIVERS,
    "methods": vocab.METHODS,
    "through": vocab.THROUGH,
    "languages": vocab.LANGUAGES,
    "notified_how": vocab.NOTIFIED_HOW,
    "promise_kinds": vocab.PROMISE_KINDS,
    "promise_statuses": vocab.PROMISE_STATUSES,
}
LABELS = {
    "scopes": "What was agreed",
    "given_by": "Given by",
    "representative": "Name of the guardian or representative",
    "given_on": "Date",
    "method": "How",
    "through": "Through whom",
    "language": "Language of the consent",
    "conditions": "Conditions",
    "expires_on": "Expires on",
    "information_id": "Consent for",
    "recipient_kind": "Recipient",
    "recipient_name": "Name of the recipient",
    "purpose": "Purpose",
    "person_ids": "Persons",
    "due_on": "Due on",
    "responsible": "Responsible",
    "kind": "Promise",
    "notes": "Notes",
    "notified_on": "Notified on",
    "notified_by": "Notified by",
    "how": "How",
}


def first_upper(text: str) -> str:
    """`text` with its first letter in upper case and the rest as written ("UN" stays "UN")."""
    return text[:1].upper() + text[1:]


templates.env.filters["first_upper"] = first_upper


def consent_context(
    session: Session, principal: Principal, request: Request, person: Person
) -> dict[str, Any]:
    """What the person page's consent panel shows (callers with need-to-know only)."""
    keyring = request.app.state.keyring
    history = consents.person_consents(session, principal, keyring, person.id)
    current = next((c for c in history if c.current and c.information_id is None), None)
    shares = consents.person_shares(session, principal, person.id)
    testimony = consents.person_testimony(session, principal, person.id)
    return {
        "consent": {
            "current": current,
            "history": history,
            "shares": shares,
            "to_notify": [s for s in shares if s.to_notify],
            "withdrawn": current is not None and current.action == "withdrawn",
            "promises": consents.person_promises(session, principal, keyring, person.id),
            "testimony": testimony,
            "may_write": principal.can(Permission.IDENTITIES_WRITE)
            and principal.can(Permission.RECORDS_WRITE),
            "may_share": principal.can(Permission.EXPORT_BULK),
            "vocab": VOCAB,
            "today": utcnow().date().isoformat(),
        }
    }


def _problem(
    request: Request, live: LiveSession, person_id: str, error: InvalidInput
) -> HTMLResponse:
    return render(
        request,
        "consent/problem.html",
        status=422,
        live=live,
        person_id=person_id,
        message=error.message,
        problems=[(LABELS.get(e.field.split(".")[0], e.field), e.message) for e in error.errors],
    )


def _back(session: Session, person_id: str, anchor: str) -> RedirectResponse:
    """Commit, then send the browser back to the person (it must see what was just saved)."""
    session.commit()
    return RedirectResponse(f"/records/persons/{person_id}#{anchor}", status_code=303)


def _optional(value: str) -> str | None:
    return value.strip() or None


@router.post("/persons/{person_id}/consents", response_model=None)
def record_consent(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    scopes: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    given_by: Short = "person",
    representative: Short = "",
    given_on: Short = "",
    method: Short = "",
    through: Short = "direct",
    language: Short = "",
    language_other: Short = "",
    provisional: Short = "",
    conditions: Text = "",
    expires_on: Short = "",
    information_id: Short = "",
) -> Response:
    raw = {
        "scopes": scopes,
        "given_by": given_by,
        "representative": _optional(representative),
        "given_on": given_on,
        "method": method,
        "through": through,
        "language": language_other.strip() or language,
        "provisional": provisional == "yes",
        "conditions": _optional(conditions),
        "expires_on": _optional(expires_on),
        "information_id": _optional(information_id),
    }
    try:
        body = parse(consents.ConsentCreate, raw, "consent")
        with session.begin_nested():
            consents.record_person_consent(
                session, writer, request.app.state.keyring, person_id, body
            )
    except InvalidInput as error:
        return _problem(request, live, person_id, error)
    return _back(session, person_id, "consent")


@router.post("/persons/{person_id}/share", response_model=None)
def share(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    recipient_kind: Short = "",
    recipient_name: Short = "",
    purpose: Text = "",
    includes_identity: Short = "",
) -> Response:
    """Share the person's records: the JSON document as a download, or the refusal's reasons."""
    person = consents.person_for_consent(session, reader, person_id)
    raw = {
        "person_ids": [person.id],
        "recipient_kind": recipient_kind,
        "recipient_name": recipient_name,
        "purpose": purpose,
        "includes_identity": includes_identity == "yes",
    }
    try:
        body = parse(consents.ShareCreate, raw, "share")
        package = consents.share(
            session, reader, request.app.state.keyring, person.project_id, body
        )
    except consents.ShareRefused as refused:
        session.commit()  # the audit event of the refusal outlives the refused request
        return render(
            request,
            "consent/refused.html",
            status=403,
            live=live,
            person=person,
            recipient=vocab.RECIPIENT_KINDS.get(recipient_kind, recipient_kind),
            reasons=refused.decision.reasons,
        )
    except InvalidInput as error:
        return _problem(request, live, person_id, error)
    session.commit()  # logged before the recipient's copy leaves
    name = f"dignity-share-{person.code}-{package.share.id[:8]}.json"
    return Response(
        package.content,
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.post("/persons/{person_id}/withdraw", response_model=None)
def withdraw(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    scope: Short = "all",
    scopes: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    given_on: Short = "",
    method: Short = "",
    through: Short = "direct",
    note: Text = "",
) -> Response:
    raw = {
        "scopes": None if scope == "all" else scopes,
        "given_on": given_on,
        "method": method,
        "through": through,
        "note": _optional(note),
    }
    try:
        body = parse(consents.WithdrawalCreate, raw, "withdrawal")
        with session.begin_nested():
            consents.withdraw(session, writer, request.app.state.keyring, person_id, body)
    except InvalidInput as error:
        return _problem(request, live, person_id, error)
    return _back(session, person_id, "consent-notify")


@router.post("/shares/{share_id}/notify", response_model=None)
def notify(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    share_id: RecordId,
    person_id: Annotated[str, Form(max_length=64)],
    how: Short = "",
    notified_on: Short = "",
    notified_by: Short = "",
) -> Response:
    person = consents.person_for_consent(session, writer, person_id)
    raw = {"how": how, "notified_on": notified_on, "notified_by": notified_by}
    try:
        body = parse(consents.NotificationCreate, raw, "notification")
        consents.record_person_notification(session, writer, person.id, share_id, body)
    except InvalidInput as error:
        return _problem(request, live, person_id, error)
    return _back(session, person.id, "consent-notify")


@router.post("/persons/{person_id}/promises", response_model=None)
def add_promise(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    kind: Short = "",
    due_on: Short = "",
    responsible: Short = "",
    notes: Text = "",
) -> Response:
    raw = {"kind": kind, "due_on": due_on, "responsible": responsible, "notes": _optional(notes)}
    try:
        body = parse(consents.PromiseCreate, raw, "promise")
        with session.begin_nested():
            consents.add_person_promise(session, writer, request.app.state.keyring, person_id, body)
    except InvalidInput as error:
        return _problem(request, live, person_id, error)
    return _back(session, person_id, "promises")


@router.post("/promises/{promise_id}/status", response_model=None)
def promise_status(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    promise_id: RecordId,
    status: Short = "",
) -> Response:
    try:
        body = parse(consents.PromiseUpdate, {"status": status}, "promise")
    except InvalidInput as error:
        return _problem(request, live, "", error)
    found = consents.set_promise_status(
        session, writer, request.app.state.keyring, promise_id, body
    )
    return _back(session, found.person_id, "promises")


@router.get("/projects/{project_id}/overdue", response_class=HTMLResponse)
def overdue(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    project_id: RecordId,
) -> HTMLResponse:
    found = consents.project_overdue_promises(
        session, reader, request.app.state.keyring, project_id
    )
    return render(
        request,
        "consent/overdue.html",
        live=live,
        overdue=found,
        kinds=vocab.PROMISE_KINDS,
    )
