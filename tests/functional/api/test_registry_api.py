"""Registry API with scoped client tokens, on the real OFSI excerpt."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.registry import services as registry
from dignity.settings import Settings
from dignity.sources.services import open_list
from factories.security import service_token

UK_FILE = (
    Path(__file__).resolve().parents[3].parent
    / "shared/data/excerpts/uk-ofsi-conlist-csv/sanctionsconlist_2018-04-13_excerpt.csv"
)


def _token(session: Session, settings: Settings, scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {service_token(session, settings, f'bank-{scope}', [scope])}"}


@pytest.fixture
def reader(session: Session, settings: Settings) -> dict[str, str]:
    registry.import_list(session, open_list(UK_FILE, "uk-csv"), actor="test")
    headers = _token(session, settings, "registry:read")
    session.commit()
    return headers


def test_lists_and_versions(client: TestClient, reader: dict[str, str]) -> None:
    lists = client.get("/api/registry/lists", headers=reader).json()
    assert [
        (item["name"], item["current"]["version"], item["current"]["targets"]) for item in lists
    ] == [("uk_ofsi_conlist", 1, 26)]
    assert lists[0]["current"]["publisher_date"] == "2018-04-13"
    versions = client.get("/api/registry/lists/uk_ofsi_conlist/versions", headers=reader).json()
    assert [v["version"] for v in versions] == [1]


def test_entity_values_carry_their_list_and_version(
    client: TestClient, reader: dict[str, str]
) -> None:
    body = client.get("/api/registry/entities/uk-ofsi-6942", headers=reader).json()
    assert body["schema"] == "Person"
    assert body["caption"] == "Sayed Mohammad Azim AGHA"
    assert {(v["list_name"], v["since_version"]) for v in body["values"]} == {
        ("uk_ofsi_conlist", 1)
    }


def test_stats_carry_the_filter_behind_each_count(
    client: TestClient, reader: dict[str, str]
) -> None:
    body = client.get("/api/registry/stats?year=2011", headers=reader).json()
    assert body["total"] == 26
    assert {
        "key": "uk_ofsi_conlist",
        "targets": 26,
        "filter": {"list_id": "uk_ofsi_conlist"},
    } in body["by_list"]
    assert body["sentence"].endswith("in 2011")


def test_unknown_list_and_entity_are_404(client: TestClient, reader: dict[str, str]) -> None:
    assert client.get("/api/registry/lists/nope/versions", headers=reader).status_code == 404
    assert client.get("/api/registry/entities/nope", headers=reader).status_code == 404


def test_the_registry_needs_the_scope(
    client: TestClient, session: Session, settings: Settings
) -> None:
    other = _token(session, settings, "screening:read")
    session.commit()
    assert client.get("/api/registry/lists").status_code == 401
    assert client.get("/api/registry/lists", headers=other).status_code == 403
