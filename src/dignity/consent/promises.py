"""Promises made to a survivor (a referral to medical, psychosocial or legal support, a follow-up
visit, returning a copy of their testimony): who is responsible, by when, and whether it was kept.

What exactly was promised and what happened is sealed under the project's data key (it can name a
clinic, a place, a family). Need-to-know applies as for consent: `identities:read` to read,
`identities:write` to record; a promise of a project the caller is not in is "not found".
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.keys import project_cipher
from dignity.consent.models import Promise
from dignity.consent.terms import PromiseCreate, PromiseRead, PromiseUpdate
from dignity.exc import NotFound
from dignity.security.authz import Principal, project_filter
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow

TABLE = "consent_promises"
NOT_FOUND = "no such promise"


def _audit(session: Session, principal: Principal, action: str, promise: Promise) -> None:
    record_event(
        session,
        actor=principal.actor,
        action=f"consent.promise-{action}",
        object_type=TABLE,
        object_id=promise.id,
        details={
            "project": promise.project_id,
            "person": promise.person_id,
            "status": promise.status,
        },
    )


def add_promise(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    project_id: str,
    person_id: str,
    body: PromiseCreate,
) -> Promise:
    principal.require(Permission.IDENTITIES_WRITE)
    moment = utcnow()
    promise = Promise(
        id=new_id(),
        project_id=project_id,
        person_id=person_id,
        kind=body.kind,
        due_on=body.due_on,
        responsible=body.responsible,
        status="open",
        created_by=principal.actor,
        created_at=moment,
        updated_by=principal.actor,
        updated_at=moment,
    )
    if body.notes:
        cipher = project_cipher(session, keyring, project_id)
        promise.sealed_notes = cipher.seal(body.notes.encode(), TABLE, promise.id, "notes")
    session.add(promise)
    session.flush()
    _audit(session, principal, "added", promise)
    return promise


def set_promise_status(
    session: Session, principal: Principal, keyring: Keyring, promise_id: str, body: PromiseUpdate
) -> PromiseRead:
    principal.require(Permission.IDENTITIES_WRITE)
    promise = session.execute(
        select(Promise).where(
            Promise.id == promise_id, project_filter(principal, Promise.project_id)
        )
    ).scalar_one_or_none()
    if promise is None:
        raise NotFound(NOT_FOUND)
    promise.status = body.status
    if body.notes is not None:
        cipher = project_cipher(session, keyring, promise.project_id)
        promise.sealed_notes = cipher.seal(body.notes.encode(), TABLE, promise.id, "notes")
    promise.updated_by, promise.updated_at = principal.actor, utcnow()
    session.flush()
    _audit(session, principal, "updated", promise)
    return read_promises(session, keyring, [promise], utcnow().date())[0]


def read_promises(
    session: Session, keyring: Keyring, promises: list[Promise], today: date
) -> list[PromiseRead]:
    """The promises with their notes opened, each saying whether it is overdue on `today`."""
    ciphers = {
        p: project_cipher(session, keyring, p, create=False)
        for p in {x.project_id for x in promises if x.sealed_notes is not None}
    }
    return [
        PromiseRead(
            id=p.id,
            person_id=p.person_id,
            kind=p.kind,
            due_on=p.due_on,
            responsible=p.responsible,
            status=p.status,
            notes=None
            if p.sealed_notes is None
            else ciphers[p.project_id].open(p.sealed_notes, TABLE, p.id, "notes").decode(),
            overdue=p.status == "open" and p.due_on < today,
            updated_by=p.updated_by,
            updated_at=p.updated_at,
        )
        for p in promises
    ]


def promises_of_person(
    session: Session, principal: Principal, keyring: Keyring, person_id: str, today: date
) -> list[PromiseRead]:
    principal.require(Permission.IDENTITIES_READ)
    rows = session.execute(
        select(Promise)
        .where(Promise.person_id == person_id, project_filter(principal, Promise.project_id))
        .order_by(Promise.due_on, Promise.id)
    ).scalars()
    return read_promises(session, keyring, list(rows), today)


def overdue_promises(
    session: Session, principal: Principal, keyring: Keyring, project_id: str, today: date
) -> list[PromiseRead]:
    """The project's open promises whose due date has passed, the oldest first."""
    principal.require(Permission.IDENTITIES_READ)
    rows = session.execute(
        select(Promise)
        .where(
            Promise.project_id == project_id,
            project_filter(principal, Promise.project_id),
            Promise.status == "open",
            Promise.due_on < today,
        )
        .order_by(Promise.due_on, Promise.id)
    ).scalars()
    return read_promises(session, keyring, list(rows), today)
