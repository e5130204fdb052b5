"""Tables of ongoing monitoring: portfolios of watched subjects, runs, alerts and decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow


class Portfolio(Base):
    """A book of watched subjects (customers, suppliers, vessels, trainees) kept by one team.

    The owner team is a project: its members see the portfolio, everyone else gets "not found".
    """

    __tablename__ = "portfolios"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    threshold: Mapped[float] = mapped_column(Float)
    # Closing a true match needs a second reviewer who is not the first.
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=False)
    # The algorithm and threshold its subjects were last screened with in full ("dignity-v1/1@0.8"):
    # when either changes, the next pass re-screens the whole portfolio, not just the delta.
    screened_with: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy's declaration)


class Subject(Base):
    """One watched subject: who or what it is, as FollowTheMoney properties (JSON)."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    portfolio_id: Mapped[str] = mapped_column(
        ID, ForeignKey("portfolios.id", ondelete="CASCADE"), index=True
    )
    # The team's own reference (customer number, vessel file ...), unique in the portfolio.
    reference: Mapped[str] = mapped_column(String(200))
    schema: Mapped[str] = mapped_column(String(32))
    properties: Mapped[str] = mapped_column(Text)
    caption: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy's declaration)
    __table_args__ = (
        Index("uq_subjects_portfolio_reference", "portfolio_id", "reference", unique=True),
    )


class SubjectRevision(Base):
    """The history of a subject: each revision as it was, who made it and why."""

    __tablename__ = "subject_revisions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    subject_id: Mapped[str] = mapped_column(
        ID, ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # created, updated, retired, reactivated
    schema: Mapped[str] = mapped_column(String(32))
    properties: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonitorRun(Base):
    """One re-screening pass: what triggered it, against which list versions, and its progress."""

    __tablename__ = "monitor_runs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # delta, full, subjects
    trigger: Mapped[str] = mapped_column(String(200))
    portfolio_id: Mapped[str | None] = mapped_column(ID, default=None, index=True)
    status: Mapped[str] = mapped_column(String(16))  # running, done, failed
    algorithm: Mapped[str] = mapped_column(String(64))
    algorithm_version: Mapped[str] = mapped_column(String(32))
    list_versions: Mapped[str] = mapped_column(Text)  # JSON: list name -> version seq
    entities_changed: Mapped[int] = mapped_column(Integer, default=0)
    entities_removed: Mapped[int] = mapped_column(Integer, default=0)
    subjects_total: Mapped[int] = mapped_column(Integer, default=0)
    subjects_checked: Mapped[int] = mapped_column(Integer, default=0)
    subjects_rescreened: Mapped[int] = mapped_column(Integer, default=0)
    alerts_new: Mapped[int] = mapped_column(Integer, default=0)
    alerts_changed: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)
    matches_gone: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Moved on after every chunk: a run whose heartbeat stopped died with its process.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    error: Mapped[str] = mapped_column(Text, default="")


class MonitoredEntity(Base):
    """A listed entity as the last finished pass saw it: what "changed since" compares with."""

    __tablename__ = "monitored_entities"

    entity_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64))


class Alert(Base):
    """A watched subject that matches a listed entity, to be reviewed and decided."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    portfolio_id: Mapped[str] = mapped_column(
        ID, ForeignKey("portfolios.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[str] = mapped_column(
        ID, ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    entity_caption: Mapped[str] = mapped_column(String(500))
    # open, needs_info, escalated (a true match awaiting its second reviewer), true_match,
    # false_positive; the last two are closed.
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # new, changed
    score: Mapped[float] = mapped_column(Float)
    datasets: Mapped[str] = mapped_column(Text)  # JSON list of list names
    programs: Mapped[str] = mapped_column(Text)  # JSON list of program codes
    features: Mapped[str] = mapped_column(Text)  # JSON: the score's explanation
    list_versions: Mapped[str] = mapped_column(Text)  # JSON: list name -> version seq
    # What the match was decided on: the entity's values and the subject's revision. When either
    # changes, a closed alert comes back as a new one with `changes` saying what moved.
    entity_signature: Mapped[str] = mapped_column(String(64))
    entity_snapshot: Mapped[str] = mapped_column(Text)
    subject_revision: Mapped[int] = mapped_column(Integer)
    changes: Mapped[str] = mapped_column(Text, default="{}")
    previous_id: Mapped[str | None] = mapped_column(ID, default=None)
    run_id: Mapped[str | None] = mapped_column(ID, default=None)
    screening_id: Mapped[str | None] = mapped_column(ID, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when a later pass no longer finds the match (the entry was delisted or changed).
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revision: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy's declaration)
    __table_args__ = (Index("ix_alerts_subject_entity", "subject_id", "entity_id"),)


class AlertDecision(Base):
    """One reviewer's disposition of an alert."""

    __tablename__ = "alert_decisions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    alert_id: Mapped[str] = mapped_column(
        ID, ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    # true_match, false_positive, needs_info, confirm (second reviewer), return (sent back)
    decision: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status_before: Mapped[str] = mapped_column(String(16))
    status_after: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """New alerts in a portfolio, for its team: counts and a link, never subject details."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    portfolio_id: Mapped[str] = mapped_column(
        ID, ForeignKey("portfolios.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str | None] = mapped_column(ID, default=None)
    new_alerts: Mapped[int] = mapped_column(Integer)
    changed_alerts: Mapped[int] = mapped_column(Integer)
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
