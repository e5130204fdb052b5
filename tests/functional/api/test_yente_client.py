"""Existing yente clients work unchanged: the real `yente-client` package against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yente_client

from browser import serve
from conftest import make_settings
from dignity.api.app import create_app
from dignity.registry import services as registry
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.security import service_token

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "un-qdi.421"


@pytest.fixture
def yente(tmp_path: Path, fresh_store_url: str) -> Iterator[yente_client.Client]:
    """A yente client pointed at Dignity, holding a screening token, with the UN list loaded."""
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
        secret = service_token(session, settings, "bank", ["screening:read"], expires_days=1)
    with (
        serve(create_app(settings, factory)) as url,
        yente_client.Client(base_url=url, api_key=secret) as client,
    ):
        yield client
    engine.dispose()


def test_a_yente_client_matches_searches_and_reads_the_catalog(
    yente: yente_client.Client,
) -> None:
    answer = yente.match(yente_client.Person(name=["Hamza bin Laden"], birthDate=["1989"]))
    assert answer.top is not None
    assert (answer.top.id, answer.top.match) == (HAMZA, True)
    assert answer.top.score >= 0.8
    assert answer.top.explanations["name_match"].candidate
    assert [m.id for m in answer.matches][:1] == [HAMZA]

    strict = yente.match(yente_client.Person(name=["Hamza bin Laden"]), threshold=1.0)
    assert strict.matches == []

    found = yente.search("Hamza bin Laden")
    assert found.results[0].id == HAMZA
    assert yente.fetch(HAMZA).caption == "HAMZA USAMA MUHAMMAD BIN LADEN"

    algorithms = yente.algorithms()
    assert algorithms.best == "dignity-v1"
    catalog = yente.datasets()
    assert [d.name for d in catalog.datasets] == ["default", "un_sc_consolidated"]


def test_a_yente_client_without_the_key_is_refused(yente: yente_client.Client) -> None:
    anonymous = yente_client.Client(base_url=str(yente._base_url))
    with anonymous, pytest.raises(yente_client.AuthenticationError):
        anonymous.match(yente_client.Person(name=["Hamza bin Laden"]))
