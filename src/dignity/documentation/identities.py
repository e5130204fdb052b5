"""Who a documented person is: the link from a person record to its identity in the vault.

No documentation table holds a name, contact, address or identity number; a person record refers
by `identity_id` to an identity in the consent capability's vault, sealed under the project's key.
These functions find the person with the documentation row filter (`records:read` and membership
of its project) and then ask the vault, which wants need-to-know (`identities:read`, and
`identities:write` to change). A caller without need-to-know is told "not found", exactly as for a
person that does not exist, so nothing shows whether a person has an identity.

Identities are never indexed for search, exported with the project, or listed: callers that show
a person add the identity themselves, and only when `may_see_identities` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.services import (
    IdentityRead,
    IdentityValues,
    may_see_identities,
    read_identity_record,
    store_identity,
)
from dignity.documentation.models import Person
from dignity.exc import Conflict, IntegrityError, NotFound
from dignity.security.authz import Principal, project_filter
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission

__all__ = [
    "may_see_identities",
    "person_identity",
    "person_identity_record",
    "set_person_identity",
]

# What `services.get_record` answers for a person the caller may not see or that does not exist.
PERSON_NOT_FOUND = "no such persons record"


def _person(session: Session, principal: Principal, person_id: str) -> Person:
    """The person if the caller may see its project (the row filter of `services.get_record`)."""
    principal.require(Permission.RECORDS_READ)
    found = session.execute(
        select(Person).where(Person.id == person_id, project_filter(principal, Person.project_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(PERSON_NOT_FOUND)
    return found


def person_identity_record(
    session: Session, principal: Principal, keyring: Keyring, person_id: str
) -> IdentityRead | None:
    """The person's identity with its revision; None if it has none.

    `NotFound` (as for a missing person) for a caller without need-to-know or outside the project.
    """
    if not may_see_identities(principal):
        raise NotFound(PERSON_NOT_FOUND)
    person = _person(session, principal, person_id)
    if person.identity_id is None:
        return None
    found = read_identity_record(session, principal, keyring, person.identity_id)
    if found.project_id != person.project_id:
        raise IntegrityError(f"person {person.id} refers to an identity of another project")
    return found


def person_identity(
    session: Session, principal: Principal, keyring: Keyring, person_id: str
) -> IdentityValues | None:
    """Who the person is; None if the vault holds nothing for them.

    `NotFound` (as for a missing person) for a caller without need-to-know: check
    `may_see_identities` first to leave the identity out instead.
    """
    found = person_identity_record(session, principal, keyring, person_id)
    return None if found is None else found.values


def set_person_identity(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    person_id: str,
    values: IdentityValues | Mapping[str, Any],
    revision: int | None = None,
) -> IdentityRead:
    """Create the person's identity in its project, or replace it (`revision`: the one read).

    The person record itself is not changed otherwise: its revision, history and search entry
    stay as they are (the identity id is not a documented field). Audited without values.
    """
    principal.require(Permission.RECORDS_WRITE)
    if not (may_see_identities(principal) and principal.can(Permission.IDENTITIES_WRITE)):
        raise NotFound(PERSON_NOT_FOUND)
    person = _person(session, principal, person_id)
    identity = store_identity(
        session,
        principal,
        keyring,
        person.project_id,
        values,
        identity_id=person.identity_id,
        revision=revision,
    )
    if person.identity_id is None:
        # A bulk UPDATE does not bump the person's revision; the guard refuses a second identity
        # linked by a concurrent request.
        linked = cast(
            CursorResult[Any],
            session.execute(
                update(Person)
                .where(Person.id == person.id, Person.identity_id.is_(None))
                .values(identity_id=identity.id)
            ),
        )
        if linked.rowcount != 1:
            raise Conflict("the person was given an identity by someone else; reload it")
        record_event(
            session,
            actor=principal.actor,
            action="documentation.identity-linked",
            object_type="persons",
            object_id=person.id,
            details={"project": person.project_id, "identity": identity.id},
        )
    return read_identity_record(session, principal, keyring, identity.id)
