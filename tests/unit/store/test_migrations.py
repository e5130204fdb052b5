"""Migrations: the models and the migrations agree, and a round trip keeps data."""

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from dignity.audit import record_event
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from dignity.store.base import Base
from dignity.store.migrations import MODEL_MODULES, managed


@pytest.fixture
def fresh_engine(fresh_store_url: str) -> Iterator[Engine]:
    engine = create_engine(fresh_store_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_every_model_module_is_listed_for_migrations(module: str) -> None:
    importlib.import_module(module)


def test_no_model_module_is_missing_from_the_list() -> None:
    package = Path(__file__).resolve().parents[3] / "src"
    found = {
        ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("models.py")
    }
    assert found == set(MODEL_MODULES)


def test_models_match_the_migrations(engine: Engine) -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": managed}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_reaches_head(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()


def test_downgrade_and_upgrade_round_trip(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    migrate.downgrade(fresh_engine, "base")
    with fresh_engine.connect() as connection:
        assert migrate.current_revision(connection) is None
        assert "audit_events" not in sa.inspect(connection).get_table_names()
    migrate.upgrade(fresh_engine)
    factory = make_sessionmaker(fresh_engine)
    with transaction(factory) as session:
        event = record_event(session, actor="test", action="test.ran", object_type="test")
    assert event.seq == 1
    # Upgrading again is a no-op that keeps the data.
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM audit_events").scalar()
    assert count == 1
