"""Registry pages on the real OFSI excerpt: dates and staleness, provenance, traceable numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity.registry import services as registry
from dignity.registry.statistics import TargetQuery, select_targets, year_sentence
from dignity.sources.services import open_list

UK = Path(__file__).resolve().parents[3].parent / "shared/data/excerpts/uk-ofsi-conlist-csv"
UK_FILE = UK / "sanctionsconlist_2018-04-13_excerpt.csv"
LIST = "uk_ofsi_conlist"


@pytest.fixture
def imported(session: Session) -> None:
    registry.import_list(session, open_list(UK_FILE, "uk-csv"), actor="test")
    session.commit()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_lists_page_shows_the_list_date_and_flags_it_stale(
    admin_client: TestClient, imported: None
) -> None:
    page = admin_client.get("/registry")
    assert page.status_code == 200
    row = _text(page.text)
    assert LIST in row
    assert "2018-04-13" in row
    assert "stale" in row  # 2018 is far older than the 7-day limit
    assert f'href="/registry/targets?list={LIST}">26<' in page.text


def test_entity_page_shows_every_value_with_its_list_and_version(
    admin_client: TestClient, imported: None
) -> None:
    page = admin_client.get("/registry/entities/uk-ofsi-6942")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Sayed Mohammad Azim AGHA" in text
    assert "Panjwai District, Kandahar Province" in text
    assert f"{LIST}" in text
    assert "1 (2018-04-13)" in text  # every value came in with version 1 of the list
    assert "uk-ofsi-6942-sanction" in page.text  # the sanction that points at it


def test_an_unknown_entity_is_404(admin_client: TestClient, imported: None) -> None:
    assert admin_client.get("/registry/entities/no-such-thing").status_code == 404


def test_statistics_are_computed_and_each_number_opens_its_targets(
    admin_client: TestClient, session: Session, imported: None
) -> None:
    page = admin_client.get("/registry/stats?year=2011")
    assert page.status_code == 200
    sentence = year_sentence(session, 2011)
    assert sentence.text in _text(page.text)
    assert sentence.designated == len(
        [t for t in select_targets(session, TargetQuery(year=2011)) if t.schema != "Vessel"]
    )
    assert sentence.designated > 0
    assert "<svg" in page.text  # charts drawn on the server
    drill = admin_client.get("/registry/targets?year=2011")
    assert f"{sentence.designated} target" in _text(drill.text)


def test_registry_pages_need_sign_in(client: TestClient, imported: None) -> None:
    for path in ("/registry", "/registry/stats", "/registry/entities/uk-ofsi-6942"):
        assert client.get(path).status_code == 401


def test_statistics_of_an_empty_registry(admin_client: TestClient) -> None:
    page = admin_client.get("/registry/stats")
    assert page.status_code == 200
    assert "nothing to chart yet" in page.text
    assert "0 individuals and entities designated across 0 jurisdictions" in _text(page.text)
