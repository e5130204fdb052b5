"""The audit record of every screening: what was asked, against what, by whom, and the answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow


class Screening(Base):
    """One query screened: enough to reproduce and to explain the result to an examiner."""

    __tablename__ = "screenings"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    # Where the query came from: api, web, batch file name ...; and its key within the request.
    channel: Mapped[str] = mapped_column(String(200))
    query_key: Mapped[str] = mapped_column(String(200))
    dataset: Mapped[str] = mapped_column(String(100))
    algorithm: Mapped[str] = mapped_column(String(64))
    algorithm_version: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[float] = mapped_column(Float)
    result_limit: Mapped[int] = mapped_column(Integer)
    # JSON: list name -> version seq the index held; the query as received; the scored results
    # with their explanations; the algorithm's settings.
    list_versions: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    results: Mapped[str] = mapped_column(Text)
    settings: Mapped[str] = mapped_column(Text)
    matches: Mapped[int] = mapped_column(Integer)
