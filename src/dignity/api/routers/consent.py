"""Consent API: a person's consent, withdrawal, the sharing log and promises (issue #9).

    GET  /api/documentation/persons/{id}/consents    the consent history (newest first)
    POST /api/documentation/persons/{id}/consents    record a consent (supersedes the current one)
    POST /api/documentation/persons/{id}/withdraw    withdraw all or some; 200 with past shares
    GET  /api/documentation/persons/{id}/shares      every share that included the person
    POST /api/projects/{project}/shares              share: 201 with the document, or 403 with
                                                     the reasons by person code
    POST /api/shares/{id}/notifications              a recipient was told of a withdrawal
    GET  /api/documentation/persons/{id}/promises    promises to the person
    POST /api/documentation/persons/{id}/promises    record one
    PATCH /api/promises/{id}                         change its status (open, done, cancelled)
    GET  /api/projects/{project}/promises/overdue    what is overdue in the project

Consent is need-to-know: without `identities:read` (or outside the person's project) every route
answers 404 as for a missing person. Writing needs `identities:write`; sharing `export:bulk`
(and `identities:read` to include identities).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.documentation import consents
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission

router = APIRouter(tags=["consent"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_READ))]
WriterDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_WRITE))]
SharerDep = Annotated[Principal, Depends(api_permission(Permission.EXPORT_BULK))]
PERSON = "/api/documentation/persons/{person_id}"


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(_keyring)]


class WithdrawalResult(BaseModel):
    consent: consents.ConsentRead
    shares: list[consents.ShareRead]


class ShareResult(BaseModel):
    share: consents.ShareRead
    document: dict[str, Any]


@router.get(f"{PERSON}/consents", summary="A person's consent history (need-to-know)")
def list_consents(
    person_id: str, session: SessionDep, principal: ReaderDep, keyring: KeyringDep
) -> list[consents.ConsentRead]:
    return consents.person_consents(session, principal, keyring, person_id)


@router.post(f"{PERSON}/consents", status_code=201, summary="Record a consent")
def create_consent(
    person_id: str,
    body: consents.ConsentCreate,
    session: SessionDep,
    principal: WriterDep,
    keyring: KeyringDep,
) -> consents.ConsentRead:
    return consents.record_person_consent(session, principal, keyring, person_id, body)


@router.post(f"{PERSON}/withdraw", summary="Withdraw consent; lists the recipients to notify")
def withdraw_consent(
    person_id: str,
    body: consents.WithdrawalCreate,
    session: SessionDep,
    principal: WriterDep,
    keyring: KeyringDep,
) -> WithdrawalResult:
    done = consents.withdraw(session, principal, keyring, person_id, body)
    return WithdrawalResult(consent=done.consent, shares=done.shares)


@router.get(f"{PERSON}/shares", summary="Every share that included the person")
def list_shares(
    person_id: str, session: SessionDep, principal: ReaderDep
) -> list[consents.ShareRead]:
    return consents.person_shares(session, principal, person_id)


def _commit_refusal(session: Session) -> None:
    session.commit()  # the audit event of the refusal outlives the failed request


@router.post(
    "/api/projects/{project}/shares",
    status_code=201,
    summary="Share persons' records with a recipient (403 with the reasons if not consented)",
)
def make_share(
    project: str,
    body: consents.ShareCreate,
    session: SessionDep,
    principal: SharerDep,
    keyring: KeyringDep,
) -> ShareResult:
    try:
        package = consents.share(session, principal, keyring, project, body)
    except consents.ShareRefused:
        _commit_refusal(session)
        raise
    return ShareResult(share=package.read, document=package.document)


@router.post(
    "/api/shares/{share_id}/notifications",
    status_code=201,
    summary="Record that a recipient was told of a withdrawal",
)
def notify(
    share_id: str,
    body: consents.NotificationCreate,
    session: SessionDep,
    principal: WriterDep,
) -> consents.NotificationRead:
    return consents.record_notification(session, principal, share_id, body)


@router.get(f"{PERSON}/promises", summary="Promises made to the person")
def list_promises(
    person_id: str, session: SessionDep, principal: ReaderDep, keyring: KeyringDep
) -> list[consents.PromiseRead]:
    return consents.person_promises(session, principal, keyring, person_id)


@router.post(f"{PERSON}/promises", status_code=201, summary="Record a promise or referral")
def create_promise(
    person_id: str,
    body: consents.PromiseCreate,
    session: SessionDep,
    principal: WriterDep,
    keyring: KeyringDep,
) -> consents.PromiseRead:
    return consents.add_person_promise(session, principal, keyring, person_id, body)


@router.patch("/api/promises/{promise_id}", summary="Change a promise's status")
def update_promise(
    promise_id: str,
    body: consents.PromiseUpdate,
    session: SessionDep,
    principal: WriterDep,
    keyring: KeyringDep,
) -> consents.PromiseRead:
    return consents.set_promise_status(session, principal, keyring, promise_id, body)


class Overdue(BaseModel):
    code: str
    promise: consents.PromiseRead


@router.get("/api/projects/{project}/promises/overdue", summary="Overdue promises of a project")
def list_overdue(
    project: str, session: SessionDep, principal: ReaderDep, keyring: KeyringDep
) -> list[Overdue]:
    found = consents.project_overdue_promises(session, principal, keyring, project)
    return [Overdue(code=code, promise=promise) for code, promise in found]
