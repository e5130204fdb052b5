"""Tables of the identity vault, of consent, of the sharing log and of promises (issue #9).

    Project ──1 ProjectKey (its data key, wrapped by the deployment's key-encryption key)
    Project ──< Identity (who a person is: names, contacts, addresses ..., sealed under that key)
    Person ──< Consent (a chain per person, or per testimony: each row supersedes the one before;
               a withdrawal is a row of the chain too)
    Share ──< SharedPerson (one row per person in a share: the consent it relied on)
    Share ──< ShareNotification (a recipient told of a withdrawal)
    Person ──< Promise (a referral or follow-up promised to the person, with its due date)

Nothing identifying is readable without the key files: `ProjectKey.wrapped_key` opens only with a
KEK from the key directory, and every `sealed_*` column only with the project's data key, bound to
table, row and field. Persons and testimony are documentation records, referred to by id only (the
consent capability uses no other capability). Scopes, dates and kinds of recipient are not
identifying and stay readable.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow


class ProjectKey(Base):
    """A project's data encryption key (DEK), stored only wrapped by a key-encryption key."""

    __tablename__ = "project_keys"

    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), primary_key=True
    )
    # The data key's version: every value sealed under it names it, and no other opens it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # `Keyring.seal` of the 32-byte key, bound to `project_keys|<project>|dek-v<version>`.
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The KEK version that wrapped it (also inside `wrapped_key`): which keys `rewrap` must touch.
    kek_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"ProjectKey(project={self.project_id}, v{self.version}, kek=v{self.kek_version})"


class Identity(Base):
    """Who one person is, as one sealed JSON document (`schemas.IdentityValues`)."""

    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    # Sealed under the project's data key, bound to `identities|<id>|values|<key version>`.
    sealed_values: Mapped[bytes] = mapped_column(LargeBinary)
    # Optimistic lock: a replacement names the revision it was made from.
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy's declarative API)

    def __repr__(self) -> str:
        return f"Identity(id={self.id}, project={self.project_id}, revision={self.revision})"


Kind = String(32)


class Consent(Base):
    """One state of a person's consent: given (with what it covers), or a withdrawal."""

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    # A testimony (documentation `Information`) this consent is for; None: the person's consent.
    information_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("doc_information.id", ondelete="RESTRICT"), default=None
    )
    # The state this one replaces (None: the first). Unique: two revisions of one state conflict.
    supersedes_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("consents.id", ondelete="RESTRICT"), default=None, unique=True
    )
    action: Mapped[str] = mapped_column(Kind)  # given, withdrawn
    # What is covered from now on (`scopes.SCOPES`); after a withdrawal, what remains.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A withdrawal: the scopes it took back.
    withdrawn: Mapped[list[str]] = mapped_column(JSON, default=list)
    given_by: Mapped[str] = mapped_column(Kind, default="person")  # person, guardian, ...
    # The guardian's or representative's name, sealed (`consents|<id>|representative|v`).
    sealed_representative: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    given_on: Mapped[date] = mapped_column(Date)  # when agreed (or withdrawn)
    method: Mapped[str] = mapped_column(Kind)  # written, oral, recorded
    through: Mapped[str] = mapped_column(Kind, default="direct")  # interviewer, interpreter
    language: Mapped[str] = mapped_column(String(35))  # the person's language (ISO 639)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Conditions of a consent, the note of a withdrawal: sealed (`consents|<id>|notes|v`).
    sealed_notes: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_consents_person_information", "person_id", "information_id"),)

    def __repr__(self) -> str:
        return f"Consent(id={self.id}, person={self.person_id}, {self.action})"


class Share(Base):
    """What was sent to whom, why, and a SHA-256 of exactly what was sent."""

    __tablename__ = "consent_shares"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    recipient_kind: Mapped[str] = mapped_column(Kind)
    recipient_name: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(Text)
    includes_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    # The event whose victims and sources were shared, if the share was made by event.
    event_id: Mapped[str | None] = mapped_column(ID, default=None)
    sha256: Mapped[str] = mapped_column(String(64))
    shared_by: Mapped[str] = mapped_column(String(200))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharedPerson(Base):
    """One person in a share, and the consent the share relied on (the sharing log)."""

    __tablename__ = "consent_shared_persons"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    share_id: Mapped[str] = mapped_column(
        ID, ForeignKey("consent_shares.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    consent_id: Mapped[str] = mapped_column(ID, ForeignKey("consents.id", ondelete="RESTRICT"))


class ShareNotification(Base):
    """A recipient was told that consent was withdrawn."""

    __tablename__ = "consent_notifications"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    share_id: Mapped[str] = mapped_column(
        ID, ForeignKey("consent_shares.id", ondelete="RESTRICT"), index=True
    )
    how: Mapped[str] = mapped_column(Kind)  # email, letter, phone, meeting, other
    notified_on: Mapped[date] = mapped_column(Date)
    notified_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Promise(Base):
    """What was promised to a person: a referral, a follow-up visit, a copy of their testimony."""

    __tablename__ = "consent_promises"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(Kind)  # `scopes.PROMISE_KINDS`
    due_on: Mapped[date] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(200))  # a colleague or partner organisation
    status: Mapped[str] = mapped_column(Kind, default="open")  # open, done, cancelled
    # What exactly, and what happened: sealed (`consent_promises|<id>|notes|v`).
    sealed_notes: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_consent_promises_project_status", "project_id", "status"),)
