"""Fixture strategy.

* One store per test session, migrated once with Alembic: a SQLite file in a temporary directory by
  default, or, when DIGNITY_DATABASE_URL names a PostgreSQL server, a fresh database created on that
  server for this run and dropped at the end. The same tests run on both; nothing is mocked.
* `session` is bound to a connection whose outer transaction is rolled back after the test, so
  tests never see each other's rows. Code that opens its own transactions (`factory`, the app, the
  audit jobs) gets a session factory on the same connection; its commits become SAVEPOINTs.
* `settings` is built explicitly for each test (its files under the test's tmp_path); no test reads
  or changes the process-wide settings.
* `fresh_store_url` gives a test a whole empty database of its own, for what the rolled-back
  connection cannot show: migrations, the CLI and the browser test (they open connections).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from dignity.api.app import create_app
from dignity.security.crypto import Keyring
from dignity.settings import Settings
from dignity.store import create_engine, migrate

TEST_SECRET = "test-secret-" + "x" * 40


def _server_url() -> str | None:
    url = os.environ.get("DIGNITY_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


class PostgresDatabases:
    """Creates throwaway databases on the server named by DIGNITY_DATABASE_URL."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> str:
        name = f"dignity_test_{secrets.token_hex(6)}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        self.created.append(name)
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    server = _server_url()
    if server is None:
        yield None
        return
    databases = PostgresDatabases(server)
    yield databases
    databases.drop_all()


def _new_store_url(postgres: PostgresDatabases | None, directory: Path) -> str:
    if postgres is not None:
        return postgres.create()
    return f"sqlite:///{directory / 'dignity.db'}"


@pytest.fixture(scope="session")
def store_url(postgres: PostgresDatabases | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _new_store_url(postgres, tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="session")
def engine(store_url: str) -> Iterator[Engine]:
    engine = create_engine(store_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture
def factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session


@pytest.fixture
def fresh_store_url(postgres: PostgresDatabases | None, tmp_path: Path) -> str:
    """An empty database (no tables) that only this test uses."""
    return _new_store_url(postgres, tmp_path / "fresh")


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "data_dir": tmp_path / "var",
        "secret_key": TEST_SECRET,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, store_url: str) -> Settings:
    return make_settings(tmp_path, database_url=store_url)


@pytest.fixture
def app(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    return create_app(settings, factory)


@pytest.fixture
def keyring(app: FastAPI) -> Keyring:
    """The app's field-encryption keys (created under the test's data_dir)."""
    keys: Keyring = app.state.keyring
    return keys


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """The app on the test's connection, over https:// so `Secure` cookies flow as in a browser.

    Its lifespan (the checkpoint timer) is not started.
    """
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


@pytest.fixture
def admin_client(client: TestClient, session: Session, keyring: Keyring) -> TestClient:
    """`client`, signed in through the real form as an administrator with MFA."""
    from dignity.security.permissions import Role
    from factories.security import make_account, sign_in

    account = make_account(session, keyring, "test-admin", Role.ADMIN)
    session.commit()
    sign_in(client, account)
    return client
