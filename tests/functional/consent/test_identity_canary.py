"""SECURITY.md item 1: an identity stored through the API is in the store only as ciphertext.

A canary name goes in through the API into a store of its own; then every byte of the SQLite
files (database, WAL, shared memory), or every text, JSON, tsvector and bytea value of every
PostgreSQL table, is searched: the canary is absent, while a marker stored in plain text (a
person's description) is found, which shows the search reads the data. Reading through the
service returns the canary.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from vault_helpers import identifying, new_canary, project_with_investigator

from conftest import make_settings
from dignity.api.app import create_app
from dignity.documentation.identities import person_identity
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.monitoring import personal_token
from factories.store_scan import assert_only_ciphertext

SCOPES = ("records:read", "records:write", "projects:read", "identities:read", "identities:write")


def test_a_canary_stored_through_the_api_is_only_ciphertext_in_the_store(
    tmp_path: Path, fresh_store_url: str
) -> None:
    canary, control = new_canary(), new_canary().replace("canary", "control")
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    app = create_app(settings, factory)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    with factory() as session:
        project, investigator = project_with_investigator(session)
        headers = personal_token(session, settings, investigator, SCOPES)
    person = client.post(
        f"/api/projects/{project.id}/persons",
        json={"kind": "individual", "description": f"seen at the well {control}"},
        headers=headers,
    ).json()
    stored = client.put(
        f"/api/documentation/persons/{person['id']}/identity",
        json={"values": identifying(canary)},
        headers=headers,
    )
    assert stored.status_code == 200, stored.text

    with factory() as session:
        values = person_identity(session, investigator, app.state.keyring, person["id"])
    assert values is not None
    assert values.names[0].name == f"Amina {canary}"
    assert values.id_numbers[0].number == f"P{canary}"
    engine.dispose()

    assert_only_ciphertext(engine, canary, control, "identities")
    engine.dispose()
