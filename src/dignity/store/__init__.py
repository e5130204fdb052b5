"""The store: SQLAlchemy 2 engine and sessions, the declarative base, Alembic migrations."""

from dignity.store.base import Base
from dignity.store.engine import create_engine, is_sqlite
from dignity.store.session import make_sessionmaker, transaction, write_transaction

__all__ = [
    "Base",
    "create_engine",
    "is_sqlite",
    "make_sessionmaker",
    "transaction",
    "write_transaction",
]
