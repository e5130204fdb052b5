"""Tables of the identity vault: one data key per project, and the sealed identities.

    Project ──1 ProjectKey (its data key, wrapped by the deployment's key-encryption key)
    Project ──< Identity (who a person is: names, contacts, addresses ..., sealed under that key)

Nothing here is readable without the key files: `ProjectKey.wrapped_key` opens only with a KEK
from the key directory, and `Identity.sealed_values` only with the project's data key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
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
