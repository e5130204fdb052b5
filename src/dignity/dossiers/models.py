"""Links from documented alleged perpetrators to the registry entities they are believed to be.

A person of a project (documentation) may be linked to several entities: the same individual is
listed under a different id by each list that names them (OFAC, UN, Canada ...). A link says who
made it, how (by hand, or by accepting a screening suggestion with its score) and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dignity.store.base import Base
from dignity.store.types import ID, UTCDateTime, new_id, utcnow


class PerpetratorLink(Base):
    __tablename__ = "perpetrator_links"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        ID, ForeignKey("doc_persons.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    method: Mapped[str] = mapped_column(String(16))  # manual, screening
    score: Mapped[float | None] = mapped_column(Float, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("person_id", "entity_id", name="uq_perpetrator_links"),)
