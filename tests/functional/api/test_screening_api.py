"""The yente-shaped screening API on the real UN consolidated list, with scoped tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.registry import services as registry
from dignity.settings import Settings
from dignity.sources.services import open_list
from factories.security import service_token

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "un-qdi.421"  # HAMZA USAMA MUHAMMAD BIN LADEN
UN_LIST = "un_sc_consolidated"


def _token(session: Session, settings: Settings, name: str, scopes: list[str]) -> dict[str, str]:
    # yente's clients send `ApiKey`; Dignity's own send `Bearer`: both work.
    return {"Authorization": f"ApiKey {service_token(session, settings, name, scopes)}"}


@pytest.fixture
def screener(session: Session, settings: Settings) -> dict[str, str]:
    registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    headers = _token(session, settings, "bank-screening", ["screening:read"])
    session.commit()
    return headers


def _match(client: TestClient, headers: dict[str, str], body: dict, **params: object) -> dict:
    response = client.post("/match/default", json=body, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_match_finds_the_listing_in_latin_and_arabic_script(
    client: TestClient, screener: dict[str, str]
) -> None:
    body = {
        "queries": {
            "latin": {
                "schema": "Person",
                "properties": {"name": ["Hamza bin Laden"], "birthDate": ["1989-05-09"]},
            },
            "arabic": {"schema": "Person", "properties": {"name": ["حمزة أسامة محمد بن لادن"]}},
        }
    }
    answer = _match(client, screener, body)
    assert set(answer["responses"]) == {"latin", "arabic"}
    for key in ("latin", "arabic"):
        top = answer["responses"][key]["results"][0]
        assert top["id"] == HAMZA, key
        assert top["match"] is True
        assert top["score"] >= 0.8
        assert top["datasets"] == [UN_LIST]
        assert "HAMZA USAMA MUHAMMAD BIN LADEN" in top["properties"]["name"]
    latin = answer["responses"]["latin"]["results"][0]
    assert latin["explanations"]["date_match"]["candidate"] == "1989-05-09"
    assert latin["explanations"]["name_match"]["query"] == "Hamza bin Laden"


def test_every_screening_is_recorded_and_retrievable(
    client: TestClient, screener: dict[str, str]
) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Hamza bin Laden"]}}}}
    answer = _match(client, screener, body, threshold=0.9, limit=3)
    screening_id = answer["responses"]["q"]["screening_id"]
    record = client.get(f"/api/screenings/{screening_id}", headers=screener).json()
    assert record["query"] == {"schema": "Person", "properties": {"name": ["Hamza bin Laden"]}}
    assert record["list_versions"] == {UN_LIST: 1}
    assert record["algorithm"] == {"name": "dignity-v1", "version": "6"}
    assert (record["threshold"], record["limit"]) == (0.9, 3)
    assert record["actor"].startswith("service:")
    assert record["results"][0]["id"] == HAMZA
    assert record["results"][0]["features"][0]["name"] == "name_match"
    assert record["matches"] == sum(r["match"] for r in answer["responses"]["q"]["results"])


def test_someone_elses_screening_is_not_found(
    client: TestClient, session: Session, settings: Settings, screener: dict[str, str]
) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Hamza bin Laden"]}}}}
    screening_id = _match(client, screener, body)["responses"]["q"]["screening_id"]
    other = _token(session, settings, "other-bank", ["screening:read"])
    session.commit()
    assert client.get(f"/api/screenings/{screening_id}", headers=other).status_code == 404


def test_threshold_sets_match_and_cutoff_drops_results(
    client: TestClient, screener: dict[str, str]
) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Hamza bin Laden"]}}}}
    strict = _match(client, screener, body, threshold=1.0)["responses"]["q"]["results"]
    assert strict[0]["id"] == HAMZA
    assert not any(r["match"] for r in strict)
    none_left = _match(client, screener, body, cutoff=1.0)["responses"]["q"]
    assert none_left["results"] == []
    assert none_left["total"] == {"value": 0, "relation": "eq"}


def test_a_list_name_narrows_the_dataset(client: TestClient, screener: dict[str, str]) -> None:
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Hamza bin Laden"]}}}}
    one_list = client.post(f"/match/{UN_LIST}", json=body, headers=screener)
    assert one_list.json()["responses"]["q"]["results"][0]["id"] == HAMZA
    missing = client.post("/match/no_such_list", json=body, headers=screener)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"queries": {"q": {"schema": "Sanction", "properties": {"name": ["x"]}}}}, {}, "q.schema"),
        (
            {"queries": {"q": {"schema": "Person", "properties": {"imoNumber": ["1"]}}}},
            {},
            "q.properties.imoNumber",
        ),
        ({"queries": {}}, {}, "queries"),
        (
            {"queries": {"q": {"schema": "Person", "properties": {"name": ["x"]}}}},
            {"algorithm": "no-such"},
            "algorithm",
        ),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient, screener: dict[str, str], body: dict, params: dict, field: str
) -> None:
    response = client.post("/match/default", json=body, params=params, headers=screener)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


def test_screening_needs_the_screening_scope(
    client: TestClient, session: Session, settings: Settings, screener: dict[str, str]
) -> None:
    reader = _token(session, settings, "registry-reader", ["registry:read"])
    session.commit()
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["x"]}}}}
    assert client.post("/match/default", json=body, headers=reader).status_code == 403
    assert client.post("/match/default", json=body).status_code == 401


def test_search_entities_algorithms_and_catalog(
    client: TestClient, screener: dict[str, str]
) -> None:
    found = client.get("/search/default", params={"q": "Hamza bin Laden"}, headers=screener)
    assert found.json()["results"][0]["id"] == HAMZA
    entity = client.get(f"/entities/{HAMZA}", headers=screener).json()
    assert (entity["caption"], entity["schema"]) == ("HAMZA USAMA MUHAMMAD BIN LADEN", "Person")
    assert client.get("/entities/nobody", headers=screener).status_code == 404
    algorithms = client.get("/algorithms", headers=screener).json()
    assert algorithms["default"] == algorithms["best"] == "dignity-v1"
    catalog = client.get("/catalog", headers=screener).json()
    names = [d["name"] for d in catalog["datasets"]]
    assert names == ["default", UN_LIST]
    assert catalog["datasets"][0]["children"] == [UN_LIST]
