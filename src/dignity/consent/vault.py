"""The identity vault: who a person is, sealed under the project's data key, shown on need-to-know.

Reading needs `identities:read` and membership of the identity's project; anyone else is told
"not found", exactly as for an id that does not exist. Writing needs `identities:write` as well.
A replacement names the revision it was read at (a concurrent change gets `Conflict`). Audit
events name the identity and its project, never a value; values never reach a log, an exception
message or a `repr` (see `schemas.Withheld`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dignity.audit import record_event
from dignity.consent.keys import ProjectCipher, project_cipher
from dignity.consent.models import Identity
from dignity.consent.schemas import IdentityRead, IdentityValues, identity_values
from dignity.exc import Conflict, IntegrityError, NotFound
from dignity.security.authz import Principal, project_filter, visible_project
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow

TABLE = "identities"
FIELD = "values"
NOT_FOUND = "no such identity"
STALE = "the identity was changed by someone else; reload it"


def may_see_identities(principal: Principal) -> bool:
    """Whether the caller has need-to-know of identities at all (project membership aside)."""
    return principal.can(Permission.IDENTITIES_READ)


def _seal(cipher: ProjectCipher, identity_id: str, values: IdentityValues) -> bytes:
    return cipher.seal(values.model_dump_json().encode(), TABLE, identity_id, FIELD)


def _open(cipher: ProjectCipher, identity: Identity) -> IdentityValues:
    plaintext = cipher.open(identity.sealed_values, TABLE, identity.id, FIELD)
    try:
        return IdentityValues.model_validate_json(plaintext)
    except ValidationError:
        # `from None`: the pydantic error would quote the decrypted values.
        raise IntegrityError(f"{TABLE}.{FIELD} of {identity.id}: not an identity") from None


def _find(session: Session, principal: Principal, identity_id: str) -> Identity:
    found = session.execute(
        select(Identity).where(
            Identity.id == identity_id, project_filter(principal, Identity.project_id)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def _audit(session: Session, principal: Principal, action: str, identity: Identity) -> None:
    record_event(
        session,
        actor=principal.actor,
        action=f"consent.identity-{action}",
        object_type=TABLE,
        object_id=identity.id,
        details={"project": identity.project_id, "revision": identity.revision},
    )


def store_identity(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    project_id: str,
    values: IdentityValues | Mapping[str, Any],
    *,
    identity_id: str | None = None,
    revision: int | None = None,
) -> Identity:
    """Create an identity in the project, or replace `identity_id` read at `revision`."""
    principal.require(Permission.IDENTITIES_WRITE)
    checked = values if isinstance(values, IdentityValues) else identity_values(values)
    if identity_id is None:
        if revision is not None:
            raise Conflict(STALE)  # the caller read an identity that is not there
        project = visible_project(session, principal, project_id)
        moment = utcnow()
        identity = Identity(
            id=new_id(),
            project_id=project.id,
            created_at=moment,
            created_by=principal.actor,
            updated_at=moment,
            updated_by=principal.actor,
        )
        identity.sealed_values = _seal(
            project_cipher(session, keyring, project.id), identity.id, checked
        )
        session.add(identity)
        session.flush()
        _audit(session, principal, "created", identity)
        return identity
    identity = _find(session, principal, identity_id)
    if identity.project_id != project_id:
        raise NotFound(NOT_FOUND)
    if revision is None or revision != identity.revision:
        raise Conflict(STALE)
    cipher = project_cipher(session, keyring, identity.project_id, create=False)
    identity.sealed_values = _seal(cipher, identity.id, checked)
    identity.updated_by, identity.updated_at = principal.actor, utcnow()
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(STALE) from None
    _audit(session, principal, "replaced", identity)
    return identity


def read_identity_record(
    session: Session, principal: Principal, keyring: Keyring, identity_id: str
) -> IdentityRead:
    """The identity with its revision and last change; `NotFound` without need-to-know."""
    if not may_see_identities(principal):
        raise NotFound(NOT_FOUND)
    identity = _find(session, principal, identity_id)
    values = _open(project_cipher(session, keyring, identity.project_id, create=False), identity)
    return IdentityRead(
        id=identity.id,
        project_id=identity.project_id,
        revision=identity.revision,
        updated_at=identity.updated_at,
        updated_by=identity.updated_by,
        values=values,
    )


def read_identity(
    session: Session, principal: Principal, keyring: Keyring, identity_id: str
) -> IdentityValues:
    """The identifying values; `NotFound` (as for a wrong id) without need-to-know."""
    return read_identity_record(session, principal, keyring, identity_id).values
