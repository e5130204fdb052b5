"""Alembic environment: runs migrations on the engine handed over in `config.attributes`."""

from __future__ import annotations

import importlib
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine

from dignity.store.base import Base
from dignity.store.migrations import MODEL_MODULES, managed
from dignity.store.types import UTCDateTime

for module in MODEL_MODULES:
    importlib.import_module(module)  # registers its tables on Base.metadata

engine: Engine = context.config.attributes["engine"]


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as the plain SQLAlchemy types they store (stable migrations)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=managed,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
