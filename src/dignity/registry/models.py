"""Tables of the registry: lists, their versions, and the statements of their entities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class SourceList(Base):
    """A list as a publisher issues it (OFAC SDN, UN consolidated, ...) or a manual list."""

    __tablename__ = "source_lists"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(32))
    source_url: Mapped[str] = mapped_column(String(500), default="")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ListVersion(Base):
    """One import of a list: what the publisher's file said on one day."""

    __tablename__ = "list_versions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    list_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("source_lists.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    publisher_date: Mapped[str | None] = mapped_column(String(32), default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(String(500))
    targets: Mapped[int] = mapped_column(Integer)
    entities: Mapped[int] = mapped_column(Integer)
    statements: Mapped[int] = mapped_column(Integer)
    # The import report as JSON: counts by schema and program, unmapped fields, warnings.
    report: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("uq_list_versions_list_seq", "list_id", "seq", unique=True),)


class Statement(Base):
    """One value of one entity, with the versions of its list it appeared in."""

    __tablename__ = "statements"

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("source_lists.id", ondelete="CASCADE")
    )
    # Hash of (entity, schema, property, value, language, original value): the value's identity.
    stmt_id: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    schema: Mapped[str] = mapped_column(String(64))
    prop: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16), default=None)
    original_value: Mapped[str | None] = mapped_column(Text, default=None)
    first_seen: Mapped[int] = mapped_column(Integer)
    last_seen: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_statements_list_last_seen", "list_id", "last_seen"),
        Index("ix_statements_list_stmt", "list_id", "stmt_id"),
    )


class ManualDesignation(Base):
    """One designation typed in by hand, for what no machine-readable list carries (7031(c)...).

    These rows are the editable source of truth of a manual list (`SourceList.manual`); every
    change re-materialises the list as its next `ListVersion` (see `dignity.registry.manual`).
    `revision` counts the edits: an edit made from an older revision is refused (no lost updates).
    """

    __tablename__ = "manual_designations"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    list_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("source_lists.id", ondelete="CASCADE"), index=True
    )
    schema: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(500))
    # Lists of values as JSON arrays: names, ISO country codes, identifiers.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    birth_date: Mapped[str | None] = mapped_column(String(32), default=None)
    nationality: Mapped[list[str]] = mapped_column(JSON, default=list)
    country: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[str | None] = mapped_column(String(500), default=None)
    identifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    program: Mapped[str] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(String(1000))
    source_date: Mapped[str] = mapped_column(String(10))
    listing_date: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_reason: Mapped[str | None] = mapped_column(Text, default=None)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    retired_by: Mapped[str | None] = mapped_column(String(200), default=None)
    revision: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 (SQLAlchemy's declaration)
