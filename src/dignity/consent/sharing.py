"""The sharing log: every share names its recipient, purpose, who sent it and when, a SHA-256 of
exactly what was sent, and for each person in it the consent it relied on. After a withdrawal,
each earlier share with that person is a recipient to notify, until a notification is recorded.

The documentation glue (`documentation.consents.share`) builds the document and checks consent;
this module only keeps the log. Reading needs `identities:read`; a share of a project the caller
is not a member of is "not found", as a missing id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.models import Consent, Share, SharedPerson, ShareNotification
from dignity.consent.terms import NotificationCreate, NotificationRead, ShareRead
from dignity.exc import NotFound
from dignity.security.authz import Principal, project_filter
from dignity.security.permissions import Permission
from dignity.store.types import utcnow

NOT_FOUND = "no such share"


def log_share(
    session: Session,
    principal: Principal,
    share: Share,
    relied_on: Mapping[str, str],
) -> Share:
    """Keep `share` (its id is in the document it hashes) and one row per person in it."""
    principal.require(Permission.EXPORT_BULK)
    share.shared_by, share.shared_at = principal.actor, utcnow()
    session.add(share)
    session.flush()
    for person_id, consent_id in sorted(relied_on.items()):
        session.add(SharedPerson(share_id=share.id, person_id=person_id, consent_id=consent_id))
    session.flush()
    record_event(
        session,
        actor=principal.actor,
        action="consent.shared",
        object_type="consent_shares",
        object_id=share.id,
        details={
            "project": share.project_id,
            "recipient_kind": share.recipient_kind,
            "persons": len(relied_on),
            "sha256": share.sha256,
        },
    )
    return share


def shares_of_person(session: Session, principal: Principal, person_id: str) -> list[ShareRead]:
    """Every share that included the person, newest first, each saying whether its recipient
    is still to be told of a withdrawal by any person in it."""
    principal.require(Permission.IDENTITIES_READ)
    shares = list(
        session.execute(
            select(Share)
            .join(SharedPerson, SharedPerson.share_id == Share.id)
            .where(SharedPerson.person_id == person_id, project_filter(principal, Share.project_id))
            .order_by(Share.shared_at.desc(), Share.id)
        ).scalars()
    )
    return describe_shares(session, shares)


def describe_shares(session: Session, shares: list[Share]) -> list[ShareRead]:
    ids = [share.id for share in shares]
    persons: dict[str, list[str]] = defaultdict(list)
    for share_id, person_id in session.execute(
        select(SharedPerson.share_id, SharedPerson.person_id).where(SharedPerson.share_id.in_(ids))
    ):
        persons[share_id].append(person_id)
    notices: dict[str, list[ShareNotification]] = defaultdict(list)
    for notice in session.execute(
        select(ShareNotification)
        .where(ShareNotification.share_id.in_(ids))
        .order_by(ShareNotification.recorded_at)
    ).scalars():
        notices[notice.share_id].append(notice)
    withdrawn: dict[str, list[Consent]] = defaultdict(list)
    everyone = {p for found in persons.values() for p in found}
    for row in session.execute(
        select(Consent).where(Consent.person_id.in_(everyone), Consent.action == "withdrawn")
    ).scalars():
        withdrawn[row.person_id].append(row)
    result = []
    for share in shares:
        told = [n.recorded_at for n in notices[share.id]]
        to_notify = any(
            w.recorded_at > share.shared_at and not any(at >= w.recorded_at for at in told)
            for p in persons[share.id]
            for w in withdrawn[p]
        )
        result.append(
            ShareRead(
                id=share.id,
                recipient_kind=share.recipient_kind,
                recipient_name=share.recipient_name,
                purpose=share.purpose,
                includes_identity=share.includes_identity,
                event_id=share.event_id,
                sha256=share.sha256,
                shared_by=share.shared_by,
                shared_at=share.shared_at,
                person_ids=sorted(persons[share.id]),
                to_notify=to_notify,
                notified=[_notice(n) for n in notices[share.id]],
            )
        )
    return result


def _notice(notice: ShareNotification) -> NotificationRead:
    return NotificationRead(
        id=notice.id,
        share_id=notice.share_id,
        how=notice.how,
        notified_on=notice.notified_on,
        notified_by=notice.notified_by,
        recorded_at=notice.recorded_at,
    )


def record_notification(
    session: Session, principal: Principal, share_id: str, body: NotificationCreate
) -> NotificationRead:
    """Record that the recipient of a share was told of a withdrawal (how, when, by whom)."""
    principal.require(Permission.IDENTITIES_WRITE)
    share = session.execute(
        select(Share).where(Share.id == share_id, project_filter(principal, Share.project_id))
    ).scalar_one_or_none()
    if share is None:
        raise NotFound(NOT_FOUND)
    notice = ShareNotification(
        share_id=share.id,
        how=body.how,
        notified_on=body.notified_on,
        notified_by=body.notified_by,
        recorded_by=principal.actor,
        recorded_at=utcnow(),
    )
    session.add(notice)
    session.flush()
    record_event(
        session,
        actor=principal.actor,
        action="consent.notified",
        object_type="consent_shares",
        object_id=share.id,
        details={"project": share.project_id, "how": body.how},
    )
    return _notice(notice)
