"""Portfolios and their watched subjects: register, update, retire, with history.

A portfolio belongs to a team (a project): its members see it and everyone else gets "not found",
as for any record of a project. A subject is stored as the FollowTheMoney properties it was
registered with, cleaned as a screening query is; every change is a new revision, kept in
`SubjectRevision`, and an edit made from an older revision is refused (no lost updates).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dignity.audit import record_event
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound
from dignity.screening.monitoring.models import Portfolio, Subject, SubjectRevision
from dignity.screening.records import Record, clean_properties, make_record
from dignity.screening.score import ALGORITHM, ALGORITHM_VERSION, DEFAULT_THRESHOLD
from dignity.security.authz import Principal, project_filter, visible_project
from dignity.security.permissions import Permission
from dignity.store.types import new_id, utcnow

REFERENCE_MAX = 200
FLUSH_EVERY = 1000


def config_for(threshold: float) -> str:
    """What a portfolio's subjects are screened with: algorithm, its version, the threshold."""
    return f"{ALGORITHM}/{ALGORITHM_VERSION}@{threshold:g}"


def create_portfolio(
    session: Session,
    principal: Principal,
    *,
    name: str,
    project_id: str,
    threshold: float = DEFAULT_THRESHOLD,
    four_eyes: bool = False,
    description: str = "",
) -> Portfolio:
    principal.require(Permission.SCREENING_WRITE)
    project = visible_project(session, principal, project_id)
    name = name.strip()
    errors = []
    if not 1 <= len(name) <= 200:
        errors.append(FieldError("name", "1 to 200 characters"))
    if not 0.5 <= threshold <= 1.0:
        errors.append(FieldError("threshold", "between 0.5 and 1.0"))
    if errors:
        raise InvalidInput("the portfolio cannot be created", errors)
    if session.execute(select(Portfolio.id).where(Portfolio.name == name)).first():
        raise Conflict(f"a portfolio named {name!r} already exists")
    portfolio = Portfolio(
        name=name,
        description=description.strip(),
        project_id=project.id,
        threshold=threshold,
        four_eyes=four_eyes,
        screened_with=config_for(threshold),  # its subjects are screened as they are registered
        created_by=principal.actor,
    )
    session.add(portfolio)
    session.flush()
    record_event(
        session,
        actor=principal.actor,
        action="portfolio.created",
        object_type="portfolio",
        object_id=portfolio.id,
        details={
            "name": name,
            "project": project.id,
            "threshold": threshold,
            "four_eyes": four_eyes,
        },
    )
    return portfolio


def visible_portfolios(session: Session, principal: Principal) -> list[Portfolio]:
    principal.require(Permission.SCREENING_READ)
    return list(
        session.execute(
            select(Portfolio)
            .where(project_filter(principal, Portfolio.project_id))
            .order_by(Portfolio.name)
        ).scalars()
    )


def get_portfolio(session: Session, principal: Principal, portfolio_id: str) -> Portfolio:
    """The portfolio if the caller's team owns it; otherwise "not found", as for a missing id."""
    principal.require(Permission.SCREENING_READ)
    portfolio = session.execute(
        select(Portfolio).where(
            Portfolio.id == portfolio_id, project_filter(principal, Portfolio.project_id)
        )
    ).scalar_one_or_none()
    if portfolio is None:
        raise NotFound("no such portfolio")
    return portfolio


def update_portfolio(
    session: Session,
    principal: Principal,
    portfolio: Portfolio,
    *,
    revision: int,
    threshold: float | None = None,
    four_eyes: bool | None = None,
) -> Portfolio:
    """Change the threshold or the four-eyes rule (a new threshold re-screens the whole book)."""
    principal.require(Permission.SCREENING_WRITE)
    if revision != portfolio.revision:
        raise Conflict("the portfolio was changed by someone else; reload it")
    if threshold is not None:
        if not 0.5 <= threshold <= 1.0:
            raise InvalidInput(
                "the portfolio cannot be changed", [FieldError("threshold", "between 0.5 and 1.0")]
            )
        portfolio.threshold = threshold
    if four_eyes is not None:
        portfolio.four_eyes = four_eyes
    _flush_versioned(session, "portfolio")
    record_event(
        session,
        actor=principal.actor,
        action="portfolio.updated",
        object_type="portfolio",
        object_id=portfolio.id,
        details={"threshold": portfolio.threshold, "four_eyes": portfolio.four_eyes},
    )
    return portfolio


def subject_properties(subject: Subject) -> dict[str, list[str]]:
    loaded: dict[str, list[str]] = json.loads(subject.properties)
    return loaded


def subject_record(subject_id: str, schema: str, properties: str) -> Record:
    """The subject as the matcher sees it (values were cleaned when it was registered)."""
    return make_record(subject_id, schema, json.loads(properties))


def _cleaned(
    schema: str, properties: Mapping[str, object], where: str
) -> tuple[str, dict[str, list[str]], str]:
    """Schema, cleaned values and caption; refused with the field named when unusable."""
    schema_name, cleaned = clean_properties(schema, properties, key=where)
    record = make_record(where, schema_name, cleaned)
    if not record.names and not record.identifiers:
        raise InvalidInput(
            "the subject cannot be screened",
            [FieldError(f"{where}.properties.name", "a name or an identifier is needed")],
        )
    return schema_name, cleaned, record.caption[:500]


def _check_reference(reference: str, where: str) -> str:
    reference = reference.strip()
    if not 1 <= len(reference) <= REFERENCE_MAX:
        raise InvalidInput(
            "the subject needs a reference",
            [FieldError(f"{where}.reference", f"1 to {REFERENCE_MAX} characters")],
        )
    return reference


def add_subject(
    session: Session,
    principal: Principal,
    portfolio: Portfolio,
    *,
    reference: str,
    schema: str,
    properties: Mapping[str, object],
) -> Subject:
    """Register one subject (the caller then screens it: see `rescreen.screen_subjects`)."""
    principal.require(Permission.SCREENING_WRITE)
    reference = _check_reference(reference, "subject")
    schema_name, cleaned, caption = _cleaned(schema, properties, "subject")
    taken = session.execute(
        select(Subject.id).where(
            Subject.portfolio_id == portfolio.id, Subject.reference == reference
        )
    ).first()
    if taken:
        raise Conflict(f"the portfolio already has a subject with reference {reference!r}")
    subject = _new_subject(portfolio, reference, schema_name, cleaned, caption, principal.actor)
    session.add(subject)
    session.flush()
    _revision(session, subject, "created", principal.actor, "")
    _subject_event(session, principal.actor, "subject.created", subject)
    return subject


def _new_subject(
    portfolio: Portfolio,
    reference: str,
    schema: str,
    cleaned: dict[str, list[str]],
    caption: str,
    actor: str,
) -> Subject:
    return Subject(
        id=new_id(),
        portfolio_id=portfolio.id,
        reference=reference,
        schema=schema,
        properties=json.dumps(cleaned, sort_keys=True, ensure_ascii=False),
        caption=caption,
        created_by=actor,
        updated_by=actor,
    )


def get_subject(
    session: Session, principal: Principal, subject_id: str
) -> tuple[Subject, Portfolio]:
    principal.require(Permission.SCREENING_READ)
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such subject")
    try:
        portfolio = get_portfolio(session, principal, subject.portfolio_id)
    except NotFound:
        raise NotFound("no such subject") from None
    return subject, portfolio


def update_subject(
    session: Session,
    principal: Principal,
    subject: Subject,
    *,
    revision: int,
    schema: str,
    properties: Mapping[str, object],
    reason: str = "",
) -> bool:
    """New values for a subject; True when they differ from the current ones (re-screen it)."""
    principal.require(Permission.SCREENING_WRITE)
    if revision != subject.revision:
        raise Conflict("the subject was changed by someone else; reload it")
    schema_name, cleaned, caption = _cleaned(schema, properties, "subject")
    new_properties = json.dumps(cleaned, sort_keys=True, ensure_ascii=False)
    if schema_name == subject.schema and new_properties == subject.properties:
        return False
    subject.schema, subject.properties, subject.caption = schema_name, new_properties, caption
    subject.updated_by = principal.actor
    subject.updated_at = utcnow()
    _flush_versioned(session, "subject")
    session.refresh(subject)
    _revision(session, subject, "updated", principal.actor, reason)
    _subject_event(session, principal.actor, "subject.updated", subject)
    return True


def set_active(
    session: Session,
    principal: Principal,
    subject: Subject,
    *,
    active: bool,
    revision: int,
    reason: str,
) -> None:
    """Retire a subject (no longer screened; its alerts and history stay) or bring it back."""
    principal.require(Permission.SCREENING_WRITE)
    if revision != subject.revision:
        raise Conflict("the subject was changed by someone else; reload it")
    if subject.active == active:
        return
    if not active and not reason.strip():
        raise InvalidInput("say why the subject is retired", [FieldError("reason", "required")])
    subject.active = active
    subject.updated_by = principal.actor
    _flush_versioned(session, "subject")
    action = "reactivated" if active else "retired"
    _revision(session, subject, action, principal.actor, reason.strip())
    _subject_event(session, principal.actor, f"subject.{action}", subject)


def _flush_versioned(session: Session, what: str) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"the {what} was changed by someone else; reload it") from None


def _revision(session: Session, subject: Subject, action: str, actor: str, reason: str) -> None:
    session.add(_revision_row(subject, action, actor, reason))
    session.flush()


def _revision_row(subject: Subject, action: str, actor: str, reason: str) -> SubjectRevision:
    return SubjectRevision(
        subject_id=subject.id,
        revision=subject.revision,
        action=action,
        schema=subject.schema,
        properties=subject.properties,
        active=subject.active,
        reason=reason,
        actor=actor,
    )


def _revisions(session: Session, touched: list[tuple[Subject, str]], actor: str) -> None:
    """Write the subjects (numbering their revisions), then a revision row for each."""
    session.flush()
    session.add_all(
        _revision_row(subject, action, actor, "imported from a file") for subject, action in touched
    )
    session.flush()


def _subject_event(session: Session, actor: str, action: str, subject: Subject) -> None:
    # Ids and the revision only: who a customer is stays in the subject's own table.
    record_event(
        session,
        actor=actor,
        action=action,
        object_type="subject",
        object_id=subject.id,
        details={"portfolio": subject.portfolio_id, "revision": subject.revision},
    )


def revisions(session: Session, subject: Subject) -> list[SubjectRevision]:
    return list(
        session.execute(
            select(SubjectRevision)
            .where(SubjectRevision.subject_id == subject.id)
            .order_by(SubjectRevision.revision)
        ).scalars()
    )


def revision_properties(session: Session, subject_id: str, revision: int) -> dict[str, Any]:
    row = session.execute(
        select(SubjectRevision.properties).where(
            SubjectRevision.subject_id == subject_id, SubjectRevision.revision == revision
        )
    ).scalar_one_or_none()
    loaded: dict[str, Any] = json.loads(row) if row else {}
    return loaded


@dataclass
class SubjectRow:
    """One row of a subject file, ready to store."""

    number: int
    reference: str
    schema: str
    properties: dict[str, list[str]]
    caption: str


@dataclass
class SubjectImport:
    created: list[str] = field(default_factory=list)  # subject ids
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)


def store_subjects(
    session: Session, principal: Principal, portfolio: Portfolio, rows: Sequence[SubjectRow]
) -> SubjectImport:
    """Create or update subjects by reference, all in the caller's transaction."""
    principal.require(Permission.SCREENING_WRITE)
    existing = {
        subject.reference: subject
        for subject in session.execute(
            select(Subject).where(Subject.portfolio_id == portfolio.id)
        ).scalars()
    }
    result = SubjectImport()
    touched: list[tuple[Subject, str]] = []
    for row in rows:
        properties = json.dumps(row.properties, sort_keys=True, ensure_ascii=False)
        subject = existing.get(row.reference)
        if subject is None:
            subject = _new_subject(
                portfolio, row.reference, row.schema, row.properties, row.caption, principal.actor
            )
            session.add(subject)
            existing[row.reference] = subject
            result.created.append(subject.id)
            touched.append((subject, "created"))
        elif subject.schema == row.schema and subject.properties == properties:
            result.unchanged += 1
        else:
            subject.schema, subject.properties = row.schema, properties
            subject.caption, subject.updated_by = row.caption, principal.actor
            subject.updated_at = utcnow()
            result.updated.append(subject.id)
            touched.append((subject, "updated"))
        if len(touched) >= FLUSH_EVERY:
            _revisions(session, touched, principal.actor)
            touched = []
    _revisions(session, touched, principal.actor)
    record_event(
        session,
        actor=principal.actor,
        action="subjects.imported",
        object_type="portfolio",
        object_id=portfolio.id,
        details={
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.unchanged,
            "subjects": result.created + result.updated,
        },
    )
    return result


def subject_row(
    number: int, reference: str, schema: str, properties: Mapping[str, object]
) -> SubjectRow:
    where = f"row {number}"
    reference = _check_reference(reference, where)
    schema_name, cleaned, caption = _cleaned(schema, properties, where)
    return SubjectRow(number, reference, schema_name, cleaned, caption)
