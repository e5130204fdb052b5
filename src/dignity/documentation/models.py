"""Tables of the documentation core, after the HURIDOCS Events Standard Formats.

    Event ──< Act >── Person (victim)          Event ──< EventLink >── Event (chains)
              Act ──< Involvement >── Person (alleged perpetrator)
    Person (source) ──< Information >── Event or Person
    Person (intervening party) ──< Intervention >── Event (and a victim)
    Person ──< BiographicRelation >── Person (membership, rank, command, over time)
    Event ──< EventCount (a range, with the information supporting each bound)

Every record belongs to a project (access follows project membership) and carries the management
fields (`Managed`). Codes (act types, methods, reliability ...) are terms of the vocabularies in
`dignity/vocab/thesauri`; dates are partial ISO dates (`2023`, `2023-05`, `2023-05-17`) with a
precision. No column here holds who a person is: names, contacts, exact addresses, identity
numbers and photos live encrypted in the consent capability's identity vault, which a person row
references by `identity_id`; everywhere else a person is its pseudonymous `code`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow

Code = String(120)
PartialDate = String(10)


class Managed:
    """Who entered and changed a record and where it stands; `revision` refuses lost updates."""

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    # When the organisation received the information (not when it was typed in).
    received_at: Mapped[str | None] = mapped_column(PartialDate, default=None)
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    monitoring_status: Mapped[str] = mapped_column(Code, default="monitoring.open")
    revision: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.revision}  # type: ignore[attr-defined]


class Event(Managed, Base):
    __tablename__ = "doc_events"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    start_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    end_date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    end_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    country: Mapped[str | None] = mapped_column(String(8), default=None)  # ISO 3166
    place: Mapped[str] = mapped_column(String(500), default="")
    location_type: Mapped[str | None] = mapped_column(Code, default=None)
    violation_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    rights_affected: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str | None] = mapped_column(Code, default=None)  # ongoing, concluded ...
    impact: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_doc_events_project_start", "project_id", "start_date"),
        # The events list and the timeline walk this in one direction or the other.
        Index("ix_doc_events_dated", "start_date", "entered_at", "id"),
        Index("ix_doc_events_entered", "entered_at", "id"),
    )


class EventLink(Managed, Base):
    """A chain of events: one event caused, preceded or is part of another."""

    __tablename__ = "doc_event_links"

    from_event_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="CASCADE"), index=True
    )
    to_event_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="CASCADE"), index=True
    )
    link_type: Mapped[str] = mapped_column(Code)
    remarks: Mapped[str] = mapped_column(Text, default="")


class Person(Managed, Base):
    """An individual or a group, in any role: victim, alleged perpetrator, source, intervener."""

    __tablename__ = "doc_persons"

    kind: Mapped[str] = mapped_column(String(16))  # individual, group
    # The pseudonymous code every page, export and count shows instead of a name.
    code: Mapped[str] = mapped_column(String(32))
    # The person's identifying data in the identity vault (consent capability); None: none held.
    identity_id: Mapped[str | None] = mapped_column(ID, default=None, index=True)
    sex: Mapped[str | None] = mapped_column(Code, default=None)
    age_min: Mapped[int | None] = mapped_column(Integer, default=None)
    age_max: Mapped[int | None] = mapped_column(Integer, default=None)
    occupation: Mapped[str | None] = mapped_column(Code, default=None)
    perpetrator_type: Mapped[str | None] = mapped_column(Code, default=None)
    # A group: what is counted (persons, families, households ...) and how many, as a range.
    counting_unit: Mapped[str | None] = mapped_column(Code, default=None)
    group_size_min: Mapped[int | None] = mapped_column(Integer, default=None)
    group_size_max: Mapped[int | None] = mapped_column(Integer, default=None)
    # Non-identifying description: "the village council", "a unit of the 3rd brigade".
    description: Mapped[str] = mapped_column(Text, default="")
    # The registry entities an alleged perpetrator is believed to be: `dossiers.PerpetratorLink`.

    __table_args__ = (
        Index("uq_doc_persons_project_code", "project_id", "code", unique=True),
        Index("ix_doc_persons_entered", "entered_at", "id"),
    )


class Act(Managed, Base):
    """One act against one victim within an event."""

    __tablename__ = "doc_acts"
    __table_args__ = (Index("ix_doc_acts_entered", "entered_at", "id"),)

    event_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="CASCADE"), index=True
    )
    victim_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    act_type: Mapped[str] = mapped_column(Code)
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    start_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    end_date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    end_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    place: Mapped[str] = mapped_column(String(500), default="")
    location_type: Mapped[str | None] = mapped_column(Code, default=None)
    stated_reason: Mapped[str] = mapped_column(Text, default="")
    consequences: Mapped[str] = mapped_column(Text, default="")
    victim_status_end: Mapped[str | None] = mapped_column(Code, default=None)
    # The sub-form of the act's kind (arrest and detention, killing, torture, destruction of
    # property), validated by `documentation.subforms`.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Involvement(Managed, Base):
    """An alleged perpetrator's part in an act."""

    __tablename__ = "doc_involvements"
    __table_args__ = (Index("ix_doc_involvements_entered", "entered_at", "id"),)

    act_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_acts.id", ondelete="CASCADE"), index=True
    )
    perpetrator_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    degree: Mapped[str] = mapped_column(Code)
    perpetrator_type: Mapped[str | None] = mapped_column(Code, default=None)
    latest_status: Mapped[str | None] = mapped_column(Code, default=None)
    remarks: Mapped[str] = mapped_column(Text, default="")


class Information(Managed, Base):
    """What a source said about an event or a person, and how far it can be relied on."""

    __tablename__ = "doc_information"
    __table_args__ = (Index("ix_doc_information_entered", "entered_at", "id"),)

    source_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    event_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="CASCADE"), default=None, index=True
    )
    person_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="CASCADE"), default=None, index=True
    )
    connection: Mapped[str | None] = mapped_column(Code, default=None)
    material_type: Mapped[str | None] = mapped_column(Code, default=None)
    reliability: Mapped[str | None] = mapped_column(Code, default=None)
    date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    date_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    remarks: Mapped[str] = mapped_column(Text, default="")


class Intervention(Managed, Base):
    """Who did what in response to an event (or for one victim), and with what effect."""

    __tablename__ = "doc_interventions"

    event_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="CASCADE"), index=True
    )
    victim_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), default=None
    )
    intervening_party_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="RESTRICT"), index=True
    )
    intervention_type: Mapped[str] = mapped_column(Code)
    date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    date_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    status: Mapped[str | None] = mapped_column(Code, default=None)
    response: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")


class BiographicRelation(Managed, Base):
    """A person's tie to another person or group over time: membership, rank, command."""

    __tablename__ = "doc_biographic_relations"

    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="CASCADE"), index=True
    )
    related_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="CASCADE"), index=True
    )
    relation_type: Mapped[str] = mapped_column(Code)
    rank: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    start_precision: Mapped[str] = mapped_column(Code, default="date.unknown")
    end_date: Mapped[str | None] = mapped_column(PartialDate, default=None)
    end_precision: Mapped[str] = mapped_column(Code, default="date.unknown")


class EventCount(Managed, Base):
    """How many were killed, injured, detained ... in an event: a range, each bound sourced."""

    __tablename__ = "doc_event_counts"

    event_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_events.id", ondelete="CASCADE"), index=True
    )
    what: Mapped[str] = mapped_column(Code)
    counting_unit: Mapped[str] = mapped_column(Code)
    minimum: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int] = mapped_column(Integer)
    # Ids of the Information records that support each bound.
    minimum_sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    maximum_sources: Mapped[list[str]] = mapped_column(JSON, default=list)


class RecordChange(Base):
    """One change to one documentation record: who, when, and each field's old and new value."""

    __tablename__ = "doc_record_changes"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(ID)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # created, updated, deleted
    # field -> [old, new]; identifying data never appears here (it is not in these tables).
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_doc_record_changes_record", "record_type", "record_id"),)
