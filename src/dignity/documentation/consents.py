"""Consent around documented persons: the glue between person records and the consent capability.

    person_consents / record_person_consent / withdraw     a person's consent chain
    check_share(session, person_ids, recipient_kind, purpose, includes_identity) -> Decision
    share(...) -> SharePackage      the document sent, logged per person; `ShareRefused` otherwise
    person_shares / record_notification                    who received what, who is to be told
    person_promises / add_person_promise / set_promise_status / project_overdue_promises

Consent is need-to-know, as identities are: a caller without `identities:read` (or outside the
person's project) is told "not found", exactly as for a missing person. Every share that includes
a person's information is checked against their current consent (and that of each of their
testimonies that has its own); one person not covered refuses the whole share, which produces
nothing and logs only an audit event naming the person codes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.services import (
    ConsentCreate,
    ConsentRead,
    NotificationCreate,
    NotificationRead,
    PromiseCreate,
    PromiseRead,
    PromiseUpdate,
    Share,
    ShareCreate,
    ShareRead,
    WithdrawalCreate,
    add_promise,
    consent_history,
    coverage,
    describe_shares,
    log_share,
    may_see_identities,
    overdue_promises,
    promises_of_person,
    read_identity,
    record_consent,
    record_notification,
    scopes,
    set_promise_status,
    shares_of_person,
    withdraw_consent,
)
from dignity.documentation.models import Act, Event, Information, Person
from dignity.exc import FieldError, InvalidInput, NotFound, PermissionDenied
from dignity.security.authz import Principal, project_filter, visible_project
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow

__all__ = [
    "ConsentCreate",
    "ConsentRead",
    "Decision",
    "NotificationCreate",
    "NotificationRead",
    "PromiseCreate",
    "PromiseRead",
    "PromiseUpdate",
    "ShareCreate",
    "SharePackage",
    "ShareRead",
    "ShareRefused",
    "Withdrawal",
    "WithdrawalCreate",
    "add_person_promise",
    "check_share",
    "person_consents",
    "person_for_consent",
    "person_promises",
    "person_shares",
    "person_testimony",
    "project_overdue_promises",
    "record_notification",
    "record_person_consent",
    "record_person_notification",
    "set_promise_status",
    "share",
    "withdraw",
]

PERSON_NOT_FOUND = "no such persons record"
FORMAT = "dignity-share/1"
INTERNAL = ("project_id", "entered_by", "updated_by")  # staff ids stay in the organisation


@dataclass
class Decision:
    """Whether a share may go ahead; if not, what is missing, by person code."""

    allowed: bool
    reasons: dict[str, list[str]] = field(default_factory=dict)
    relied_on: dict[str, str] = field(default_factory=dict)  # person id -> consent id


class ShareRefused(PermissionDenied):
    """A share outside someone's consent: each reason names the person's code (403)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__("the share is outside the consent of " + ", ".join(decision.reasons))
        self.decision = decision
        self.errors = [
            FieldError(code, reason, "consent")
            for code, reasons in decision.reasons.items()
            for reason in reasons
        ]


@dataclass
class SharePackage:
    share: Share
    read: ShareRead
    document: dict[str, Any]
    content: bytes  # exactly what is sent; `share.sha256` is its digest


def _person(session: Session, principal: Principal, person_id: str) -> Person:
    """The person, for a caller with need-to-know in its project; otherwise `NotFound`."""
    principal.require(Permission.RECORDS_READ)
    if not may_see_identities(principal):
        raise NotFound(PERSON_NOT_FOUND)
    found = session.execute(
        select(Person).where(Person.id == person_id, project_filter(principal, Person.project_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(PERSON_NOT_FOUND)
    return found


def person_for_consent(session: Session, principal: Principal, person_id: str) -> Person:
    """The person, for a caller with need-to-know in its project; otherwise `NotFound`."""
    return _person(session, principal, person_id)


def person_testimony(session: Session, principal: Principal, person_id: str) -> list[Information]:
    """The testimony the person gave (information of which they are the source), oldest first."""
    person = _person(session, principal, person_id)
    return list(
        session.execute(
            select(Information)
            .where(Information.source_id == person.id, Information.project_id == person.project_id)
            .order_by(Information.entered_at, Information.id)
        ).scalars()
    )


def record_person_notification(
    session: Session, principal: Principal, person_id: str, share_id: str, body: NotificationCreate
) -> NotificationRead:
    """Record that the recipient of one of the person's shares was told of the withdrawal."""
    if share_id not in {s.id for s in person_shares(session, principal, person_id)}:
        raise NotFound("no such share")
    return record_notification(session, principal, share_id, body)


def _today() -> date:
    return utcnow().date()


def person_consents(
    session: Session, principal: Principal, keyring: Keyring, person_id: str
) -> list[ConsentRead]:
    """The person's consent history (every chain), newest first; `current` marks each chain's."""
    person = _person(session, principal, person_id)
    return consent_history(session, principal, keyring, person.project_id, person.id)


def record_person_consent(
    session: Session, principal: Principal, keyring: Keyring, person_id: str, body: ConsentCreate
) -> ConsentRead:
    person = _person(session, principal, person_id)
    if body.information_id is not None:
        testimony = session.execute(
            select(Information.id).where(
                Information.id == body.information_id,
                Information.project_id == person.project_id,
                Information.source_id == person.id,
            )
        ).scalar_one_or_none()
        if testimony is None:
            raise InvalidInput(
                "the consent cannot be saved",
                [FieldError("information_id", "no testimony of this person")],
            )
    row = record_consent(session, principal, keyring, person.project_id, person.id, body)
    return next(
        c for c in person_consents(session, principal, keyring, person.id) if c.id == row.id
    )


def _testimony(session: Session, person_ids: Sequence[str]) -> list[Information]:
    return list(
        session.execute(
            select(Information)
            .where(Information.source_id.in_(person_ids))
            .order_by(Information.entered_at, Information.id)
        ).scalars()
    )


def check_share(
    session: Session,
    person_ids: Sequence[str],
    recipient_kind: str,
    purpose: str,
    includes_identity: bool,
    *,
    on: date | None = None,
) -> Decision:
    """Whether every person's consent covers a share to `recipient_kind` (with their identity if
    `includes_identity`); the reasons name each person by code. `purpose` is not judged here: it
    is logged with the share for the people who review it."""
    if recipient_kind not in scopes.RECIPIENT_KINDS:
        raise InvalidInput("unknown recipient", [FieldError("recipient_kind", "not a kind")])
    if not purpose.strip():
        raise InvalidInput("a share needs a purpose", [FieldError("purpose", "required")])
    wanted = list(dict.fromkeys(person_ids))
    codes = dict(session.execute(select(Person.id, Person.code).where(Person.id.in_(wanted))).all())
    given: dict[str, list[str]] = {}
    for info in _testimony(session, wanted):
        if info.source_id in codes:
            given.setdefault(info.source_id, []).append(info.id)
    found = coverage(session, wanted, given, recipient_kind, includes_identity, on or _today())
    reasons = {codes.get(p, p): c.problems for p, c in found.items() if c.problems}
    relied = {p: c.consent_id for p, c in found.items() if c.consent_id is not None}
    return Decision(not reasons, reasons, relied)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in INTERNAL}


def _document(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    share_row: Share,
    persons: list[Person],
    event: Event | None,
) -> dict[str, Any]:
    # Imported here: `services` re-exports this module, so it is still loading at import time.
    from dignity.documentation.services import record_values

    ids = [p.id for p in persons]
    acts: dict[str, list[dict[str, Any]]] = {}
    for act in session.execute(
        select(Act).where(Act.victim_id.in_(ids)).order_by(Act.entered_at, Act.id)
    ).scalars():
        acts.setdefault(act.victim_id, []).append(_plain(record_values("acts", act)))
    # Only what the persons of the share said themselves: what someone else said about them is
    # that source's account, under that source's consent.
    testimony: dict[str, list[dict[str, Any]]] = {}
    for info in _testimony(session, ids):
        testimony.setdefault(info.source_id, []).append(_plain(record_values("information", info)))
    entries = []
    for person in persons:
        entry: dict[str, Any] = {
            "code": person.code,
            "record": _plain(record_values("persons", person)),
            "acts": acts.get(person.id, []),
            "testimony": testimony.get(person.id, []),
        }
        if share_row.includes_identity and person.identity_id is not None:
            values = read_identity(session, principal, keyring, person.identity_id)
            entry["identity"] = values.model_dump(mode="json", exclude_defaults=True)
        entries.append(entry)
    return {
        "format": FORMAT,
        "share": share_row.id,
        "recipient": {"kind": share_row.recipient_kind, "name": share_row.recipient_name},
        "purpose": share_row.purpose,
        "event": None if event is None else _plain(record_values("events", event)),
        "persons": entries,
    }


def _shared_persons(
    session: Session, principal: Principal, project_id: str, body: ShareCreate
) -> tuple[list[Person], Event | None]:
    event = None
    wanted = list(dict.fromkeys(body.person_ids))
    if body.event_id is not None:
        event = session.execute(
            select(Event).where(
                Event.id == body.event_id,
                Event.project_id == project_id,
                project_filter(principal, Event.project_id),
            )
        ).scalar_one_or_none()
        if event is None:
            raise NotFound("no such events record")
        wanted += session.execute(
            select(Act.victim_id).where(Act.event_id == event.id).order_by(Act.entered_at)
        ).scalars()
        wanted += session.execute(
            select(Information.source_id)
            .where(Information.event_id == event.id)
            .order_by(Information.entered_at)
        ).scalars()
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        raise InvalidInput(
            "nobody to share", [FieldError("person_ids", "name persons or an event")]
        )
    persons = {
        p.id: p
        for p in session.execute(
            select(Person).where(
                Person.id.in_(wanted),
                Person.project_id == project_id,
                project_filter(principal, Person.project_id),
            )
        ).scalars()
    }
    if len(persons) != len(wanted):
        raise NotFound(PERSON_NOT_FOUND)  # another project's person is no person here
    return [persons[p] for p in wanted], event


def share(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    project_id: str,
    body: ShareCreate,
) -> SharePackage:
    """Share the persons' documentation (or an event's victims and sources) with one recipient.

    Needs `export:bulk` (and `identities:read` to include identities). Refused with
    `ShareRefused` when anyone's consent does not cover it: nothing is produced, and only the
    audit event `consent.share_refused` (with person codes) is recorded; the caller commits it.
    """
    principal.require(Permission.EXPORT_BULK)
    principal.require(Permission.RECORDS_READ)
    if body.includes_identity:
        principal.require(Permission.IDENTITIES_READ)
    project = visible_project(session, principal, project_id)
    persons, event = _shared_persons(session, principal, project.id, body)
    decision = check_share(
        session, [p.id for p in persons], body.recipient_kind, body.purpose, body.includes_identity
    )
    if not decision.allowed:
        record_event(
            session,
            actor=principal.actor,
            action="consent.share_refused",
            object_type="project",
            object_id=project.id,
            details={"recipient_kind": body.recipient_kind, "persons": sorted(decision.reasons)},
        )
        raise ShareRefused(decision)
    row = Share(
        id=new_id(),
        project_id=project.id,
        recipient_kind=body.recipient_kind,
        recipient_name=body.recipient_name,
        purpose=body.purpose,
        includes_identity=body.includes_identity,
        event_id=event.id if event else None,
    )
    document = _document(session, principal, keyring, row, persons, event)
    content = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode()
    row.sha256 = hashlib.sha256(content).hexdigest()
    log_share(session, principal, row, decision.relied_on)
    document["shared_at"] = row.shared_at.isoformat()
    return SharePackage(row, describe_shares(session, [row])[0], document, content)


@dataclass
class Withdrawal:
    consent: ConsentRead
    shares: list[ShareRead]  # every past share that included the person, with its recipient


def withdraw(
    session: Session, principal: Principal, keyring: Keyring, person_id: str, body: WithdrawalCreate
) -> Withdrawal:
    """Record a withdrawal (all or some scopes; a new state of each chain of the person) and list
    every past share with its recipient, so the organisation can tell them."""
    person = _person(session, principal, person_id)
    rows = withdraw_consent(session, principal, keyring, person.project_id, person.id, body)
    history = person_consents(session, principal, keyring, person.id)
    return Withdrawal(
        next(c for c in history if c.id == rows[0].id),
        shares_of_person(session, principal, person.id),
    )


def person_shares(session: Session, principal: Principal, person_id: str) -> list[ShareRead]:
    person = _person(session, principal, person_id)
    return shares_of_person(session, principal, person.id)


def person_promises(
    session: Session, principal: Principal, keyring: Keyring, person_id: str
) -> list[PromiseRead]:
    person = _person(session, principal, person_id)
    return promises_of_person(session, principal, keyring, person.id, _today())


def add_person_promise(
    session: Session, principal: Principal, keyring: Keyring, person_id: str, body: PromiseCreate
) -> PromiseRead:
    person = _person(session, principal, person_id)
    row = add_promise(session, principal, keyring, person.project_id, person.id, body)
    return next(
        p for p in person_promises(session, principal, keyring, person.id) if p.id == row.id
    )


def project_overdue_promises(
    session: Session, principal: Principal, keyring: Keyring, project_id: str
) -> list[tuple[str, PromiseRead]]:
    """The project's overdue promises, each with the person's code, the oldest first."""
    if not may_see_identities(principal):
        raise NotFound("no such project")
    project = visible_project(session, principal, project_id)
    found = overdue_promises(session, principal, keyring, project.id, _today())
    codes = dict(
        session.execute(
            select(Person.id, Person.code).where(Person.id.in_({p.person_id for p in found}))
        ).all()
    )
    return [(codes.get(p.person_id, ""), p) for p in found]
