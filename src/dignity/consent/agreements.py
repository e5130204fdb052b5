"""Consent as agreed with a person, or for one testimony: recorded, revised, withdrawn, checked.

A consent is never edited: a revision is a new row that supersedes the current one of its chain
(one chain per person, and one per testimony that has a consent of its own), so the history stays.
A withdrawal is a row of the chain too: what it took back, and what remains. `coverage` says, for
each person of a share, which consent it may rely on, or why none covers it.

Names of guardians and representatives, conditions and notes are sealed under the project's data
key; audit events name the consent, the person and the project, never what was agreed or said.
Callers (the documentation glue) have checked that the person belongs to the project and that the
caller may see it; these functions check need-to-know (`identities:*`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError as StoreIntegrityError
from sqlalchemy.orm import Session, aliased

from dignity.audit import record_event
from dignity.consent import scopes as vocab
from dignity.consent.keys import ProjectCipher, project_cipher
from dignity.consent.models import Consent
from dignity.consent.terms import ConsentCreate, ConsentRead, WithdrawalCreate
from dignity.exc import Conflict, FieldError, InvalidInput
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow

TABLE = "consents"
STALE = "the consent was changed by someone else; reload it"


def _seal(cipher: ProjectCipher, row_id: str, field_name: str, text: str | None) -> bytes | None:
    return None if not text else cipher.seal(text.encode(), TABLE, row_id, field_name)


def _open(cipher: ProjectCipher, row_id: str, field_name: str, blob: bytes | None) -> str | None:
    return None if blob is None else cipher.open(blob, TABLE, row_id, field_name).decode()


def _is_current() -> object:
    newer = aliased(Consent)
    return ~exists().where(newer.supersedes_id == Consent.id)


def current_consents(session: Session, person_ids: Iterable[str]) -> list[Consent]:
    """The current state of every chain (person and testimony) of these persons."""
    wanted = list(set(person_ids))
    if not wanted:
        return []
    return list(
        session.execute(
            select(Consent).where(Consent.person_id.in_(wanted), _is_current())  # type: ignore[arg-type]
        ).scalars()
    )


def _current(session: Session, person_id: str, information_id: str | None) -> Consent | None:
    chain = Consent.information_id == information_id
    if information_id is None:
        chain = Consent.information_id.is_(None)
    return session.execute(
        select(Consent).where(Consent.person_id == person_id, chain, _is_current())  # type: ignore[arg-type]
    ).scalar_one_or_none()


def _add(session: Session, row: Consent) -> Consent:
    try:
        with session.begin_nested():
            session.add(row)
    except StoreIntegrityError:
        raise Conflict(STALE) from None  # another revision of the same state won
    return row


def _audit(session: Session, principal: Principal, row: Consent) -> None:
    record_event(
        session,
        actor=principal.actor,
        action=f"consent.{row.action}",
        object_type=TABLE,
        object_id=row.id,
        details={
            "project": row.project_id,
            "person": row.person_id,
            "information": row.information_id,
            "supersedes": row.supersedes_id,
        },
    )


def record_consent(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    project_id: str,
    person_id: str,
    body: ConsentCreate,
) -> Consent:
    """A new consent of the person (or of one testimony), superseding the current one."""
    principal.require(Permission.IDENTITIES_WRITE)
    if body.expires_on is not None and body.expires_on < body.given_on:
        raise InvalidInput(
            "the consent cannot be saved", [FieldError("expires_on", "before the consent")]
        )
    previous = _current(session, person_id, body.information_id)
    cipher = project_cipher(session, keyring, project_id)
    row = Consent(
        id=new_id(),
        project_id=project_id,
        person_id=person_id,
        information_id=body.information_id,
        supersedes_id=previous.id if previous else None,
        action="given",
        scopes=sorted(set(body.scopes)),
        withdrawn=[],
        given_by=body.given_by,
        given_on=body.given_on,
        method=body.method,
        through=body.through,
        language=body.language,
        provisional=body.provisional,
        expires_on=body.expires_on,
        recorded_by=principal.actor,
        recorded_at=utcnow(),
    )
    row.sealed_representative = _seal(cipher, row.id, "representative", body.representative)
    row.sealed_notes = _seal(cipher, row.id, "notes", body.conditions)
    _add(session, row)
    _audit(session, principal, row)
    return row


def withdraw_consent(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    project_id: str,
    person_id: str,
    body: WithdrawalCreate,
) -> list[Consent]:
    """Take back all of the person's consent, or some scopes: a new state of every chain of the
    person (its own and each testimony's). Returns the withdrawal rows, the person's first."""
    principal.require(Permission.IDENTITIES_WRITE)
    cipher = project_cipher(session, keyring, project_id)
    chains = {c.information_id: c for c in current_consents(session, [person_id])}
    chains.setdefault(None, None)  # type: ignore[arg-type]
    rows = []
    for information_id in sorted(chains, key=lambda i: (i is not None, i or "")):
        previous = chains[information_id]
        before = set(previous.scopes) if previous is not None else set()
        asked = before if body.scopes is None else set(body.scopes)
        row = Consent(
            id=new_id(),
            project_id=project_id,
            person_id=person_id,
            information_id=information_id,
            supersedes_id=previous.id if previous else None,
            action="withdrawn",
            scopes=sorted(before - asked),
            withdrawn=sorted(asked),
            given_by=previous.given_by if previous else "person",
            given_on=body.given_on,
            method=body.method,
            through=body.through,
            language=previous.language if previous else "und",
            provisional=previous.provisional if previous else False,
            expires_on=previous.expires_on if previous else None,
            recorded_by=principal.actor,
            recorded_at=utcnow(),
        )
        row.sealed_notes = _seal(cipher, row.id, "notes", body.note)
        _add(session, row)
        _audit(session, principal, row)
        rows.append(row)
    return rows


def consent_history(
    session: Session, principal: Principal, keyring: Keyring, project_id: str, person_id: str
) -> list[ConsentRead]:
    """Every consent state of the person, newest first, with sealed fields opened."""
    principal.require(Permission.IDENTITIES_READ)
    rows = list(
        session.execute(
            select(Consent)
            .where(Consent.person_id == person_id, Consent.project_id == project_id)
            .order_by(Consent.recorded_at.desc(), Consent.id)
        ).scalars()
    )
    if not rows:
        return []
    cipher = project_cipher(session, keyring, project_id, create=False)
    superseded = {row.supersedes_id for row in rows if row.supersedes_id}
    return [
        ConsentRead(
            id=row.id,
            person_id=row.person_id,
            information_id=row.information_id,
            supersedes_id=row.supersedes_id,
            current=row.id not in superseded,
            action=row.action,
            scopes=row.scopes,
            withdrawn=row.withdrawn,
            given_by=row.given_by,
            representative=_open(cipher, row.id, "representative", row.sealed_representative),
            given_on=row.given_on,
            method=row.method,
            through=row.through,
            language=row.language,
            provisional=row.provisional,
            notes=_open(cipher, row.id, "notes", row.sealed_notes),
            expires_on=row.expires_on,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )
        for row in rows
    ]


@dataclass
class Coverage:
    """Whether one person's consent covers a share: the consent relied on, or what is missing."""

    consent_id: str | None = None
    problems: list[str] = field(default_factory=list)


def _problems(consent: Consent | None, needed: Sequence[str], on: date, what: str) -> list[str]:
    if consent is None:
        return [f"no consent is recorded{what}"]
    if consent.action == "withdrawn" and not consent.scopes:
        return [f"consent{what} was withdrawn on {consent.given_on.isoformat()}"]
    if consent.expires_on is not None and consent.expires_on < on:
        return [f"consent{what} expired on {consent.expires_on.isoformat()}"]
    if consent.provisional and any(scope != vocab.DOCUMENTATION for scope in needed):
        return [f"consent{what} is provisional: it covers documentation only"]
    problems = []
    for scope in needed:
        if scope in consent.scopes:
            continue
        taken = consent.action == "withdrawn" and scope in consent.withdrawn
        label = vocab.SCOPES.get(scope, scope)
        problems.append(
            f"consent{what} to {label} was withdrawn on {consent.given_on.isoformat()}"
            if taken
            else f"consent{what} does not cover {label}"
        )
    return problems


def coverage(
    session: Session,
    person_ids: Sequence[str],
    testimony: dict[str, list[str]],
    recipient_kind: str,
    includes_identity: bool,
    on: date,
) -> dict[str, Coverage]:
    """For each person, the consent a share to `recipient_kind` relies on, or why it cannot.

    `testimony` names, per person, the testimony (information ids) of theirs the share includes:
    a testimony with a consent of its own must be covered by that consent as well.
    """
    needed = [vocab.scope_for(recipient_kind)]
    if includes_identity:
        needed.append(vocab.IDENTITY)
    chains: dict[tuple[str, str | None], Consent] = {
        (c.person_id, c.information_id): c for c in current_consents(session, person_ids)
    }
    result: dict[str, Coverage] = {}
    for person_id in person_ids:
        own = chains.get((person_id, None))
        found = Coverage(own.id if own is not None else None, _problems(own, needed, on, ""))
        if recipient_kind == vocab.PUBLIC and includes_identity:
            found.problems.append("a publication never includes who a person is")
        for information_id in sorted(set(testimony.get(person_id, []))):
            specific = chains.get((person_id, information_id))
            if specific is not None:
                what = f" for testimony {information_id[:8]}"
                found.problems += _problems(specific, needed, on, what)
        if found.problems:
            found.consent_id = None
        result[person_id] = found
    return result
