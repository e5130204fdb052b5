"""Survivor access (Murad Code): everything the organisation holds about one person, in one
report the person can read on request: who they are in the vault, the acts recorded against them,
what they told (testimony) and what others said about them, alleged involvement as a perpetrator,
their consent history, every share of their information and its recipients, the promises made to
them, and the changes made to their record.

Only staff with need-to-know in the person's project produce it (it shows the identity), and each
report leaves an audit event naming the person's code, never its content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.services import ConsentRead, IdentityValues, PromiseRead, ShareRead
from dignity.documentation.consents import (
    person_consents,
    person_for_consent,
    person_promises,
    person_shares,
)
from dignity.documentation.identities import person_identity
from dignity.documentation.models import (
    Act,
    Event,
    Information,
    Involvement,
    Person,
    RecordChange,
)
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.store.types import utcnow


@dataclass
class AccessReport:
    person: Person
    identity: IdentityValues | None
    made_by: str
    made_at: datetime
    acts: list[tuple[Act, Event]] = field(default_factory=list)
    involvements: list[tuple[Involvement, Act, Event]] = field(default_factory=list)
    testimony: list[Information] = field(default_factory=list)
    about: list[Information] = field(default_factory=list)
    consents: list[ConsentRead] = field(default_factory=list)
    shares: list[ShareRead] = field(default_factory=list)
    promises: list[PromiseRead] = field(default_factory=list)
    changes: list[RecordChange] = field(default_factory=list)


def _events(session: Session, ids: set[str]) -> dict[str, Event]:
    if not ids:
        return {}
    return {e.id: e for e in session.execute(select(Event).where(Event.id.in_(ids))).scalars()}


def access_report(
    session: Session, principal: Principal, keyring: Keyring, person_id: str
) -> AccessReport:
    """Everything held about the person; `NotFound` for a caller without need-to-know."""
    person = person_for_consent(session, principal, person_id)
    project = person.project_id
    acts = list(
        session.execute(
            select(Act)
            .where(Act.victim_id == person.id, Act.project_id == project)
            .order_by(Act.start_date, Act.entered_at)
        ).scalars()
    )
    involved = list(
        session.execute(
            select(Involvement, Act)
            .join(Act, Act.id == Involvement.act_id)
            .where(Involvement.perpetrator_id == person.id, Involvement.project_id == project)
            .order_by(Involvement.entered_at)
        ).all()
    )
    information = list(
        session.execute(
            select(Information)
            .where(
                (Information.source_id == person.id) | (Information.person_id == person.id),
                Information.project_id == project,
            )
            .order_by(Information.entered_at)
        ).scalars()
    )
    events = _events(
        session,
        {a.event_id for a in acts}
        | {act.event_id for _, act in involved}
        | {i.event_id for i in information if i.event_id},
    )
    report = AccessReport(
        person=person,
        identity=person_identity(session, principal, keyring, person.id),
        made_by=principal.actor,
        made_at=utcnow(),
        acts=[(a, events[a.event_id]) for a in acts],
        involvements=[(inv, act, events[act.event_id]) for inv, act in involved],
        testimony=[i for i in information if i.source_id == person.id],
        about=[i for i in information if i.source_id != person.id],
        consents=person_consents(session, principal, keyring, person.id),
        shares=person_shares(session, principal, person.id),
        promises=person_promises(session, principal, keyring, person.id),
        changes=list(
            session.execute(
                select(RecordChange)
                .where(RecordChange.record_type == "persons", RecordChange.record_id == person.id)
                .order_by(RecordChange.revision)
            ).scalars()
        ),
    )
    record_event(
        session,
        actor=principal.actor,
        action="consent.access_report",
        object_type="persons",
        object_id=person.id,
        details={"project": project, "code": person.code},
    )
    return report
