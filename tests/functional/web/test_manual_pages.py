"""Manual list pages: the form flow of a screening officer, CSRF on every form, messages next to
their fields, and what a viewer may see (SECURITY.md items 22 and 23)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dignity import __version__
from dignity.registry import manual
from dignity.registry.models import ManualDesignation, SourceList
from dignity.security import sessions
from dignity.security.crypto import Keyring
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.security import browser, csrf_from, quick_account

LIST = "us_state_7031c"
PAGE = f"/registry/manual/{LIST}"
SAME_SITE = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}
FORM = {
    "schema": "Person",
    "name": "Ejemplo Oficial Uno",
    "aliases": "E. O. Uno\r\n\r\nEjemplo O. Uno",
    "country": "Nicaragua",
    "birth_date": "1961",
    "nationality": "NI",
    "position": "Former Minister of Examples",
    "identifiers": "",
    "program": "7031C",
    "authority": "",
    "reason": "Involvement in a gross violation of human rights.",
    "source_url": "https://www.state.gov/public-designation-of-an-example-official/",
    "source_date": "2023-12-08",
    "listing_date": "",
}

# The same designation as the service takes it.
INPUT = manual.DesignationInput(
    **{
        **FORM,
        "aliases": (),
        "country": ("Nicaragua",),
        "nationality": ("NI",),
        "identifiers": (),
    }
)


def _signed_in(
    app: FastAPI, session: Session, settings: Settings, keyring: Keyring, role: Role
) -> tuple[TestClient, str]:
    account = quick_account(session, keyring, f"web-{role.value}", role)
    user = session.get(User, account.id)
    assert user is not None
    web_session, token = sessions.start_session(
        session, settings, user, sessions.ACTIVE, datetime.now(UTC)
    )
    session.commit()
    return browser(app, token), sessions.csrf_token(settings, web_session)


@pytest.fixture
def officer(
    app: FastAPI, session: Session, settings: Settings, keyring: Keyring
) -> tuple[TestClient, str]:
    return _signed_in(app, session, settings, keyring, Role.SCREENING_OFFICER)


@pytest.fixture
def viewer(
    app: FastAPI, session: Session, settings: Settings, keyring: Keyring
) -> tuple[TestClient, str]:
    return _signed_in(app, session, settings, keyring, Role.VIEWER)


@pytest.fixture
def manual_list(session: Session) -> SourceList:
    source = manual.create_manual_list(
        session,
        name=LIST,
        title="Section 7031(c) public designations",
        publisher="us-state",
        actor="test",
    )
    session.commit()
    return source


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _rows(session: Session) -> int:
    session.expire_all()
    return session.execute(sa.select(sa.func.count()).select_from(ManualDesignation)).scalar_one()


def _input(html: str, name: str) -> str:
    """The opening tag of the field named `name`."""
    match = re.search(rf'<(?:input|textarea|select)[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no field {name}"
    return match.group(0)


def test_every_form_refuses_a_post_without_its_token_or_from_another_site(
    officer: tuple[TestClient, str], session: Session, manual_list: SourceList
) -> None:
    client, token = officer
    row = manual.add_designation(session, LIST, INPUT, actor="test").designation
    session.commit()
    targets = {
        "/registry/manual": {"name": "made_by_csrf", "title": "T", "publisher": "us-state"},
        f"{PAGE}/designations": FORM,
        f"{PAGE}/designations/{row.id}": {**FORM, "position": "Changed", "revision": "1"},
        # (after the edit above has made revision 2)
        f"{PAGE}/designations/{row.id}/retire": {"retire_reason": "Revoked", "revision": "2"},
    }
    for path, form in targets.items():
        for name, (extra, headers) in {
            "no token": ({}, SAME_SITE),
            "wrong token": ({"csrf_token": "0" * 64}, SAME_SITE),
            "cross-site": ({"csrf_token": token}, {"origin": "https://evil.example"}),
            "cross-site fetch": ({"csrf_token": token}, {"sec-fetch-site": "cross-site"}),
        }.items():
            response = client.post(path, data={**form, **extra}, headers=headers)
            assert response.status_code == 403, (path, name)
    assert session.get(SourceList, "made_by_csrf") is None
    assert _rows(session) == 1
    assert manual.get_designation(session, LIST, row.id).revision == 1
    # The control: with the token, from our own site, each form gets through.
    for path, form in targets.items():
        response = client.post(
            path, data={**form, "csrf_token": token}, headers=SAME_SITE, follow_redirects=False
        )
        assert response.status_code == 303, (path, response.text)


def test_a_screening_officer_creates_a_list_and_adds_edits_and_retires(
    officer: tuple[TestClient, str], session: Session
) -> None:
    client, token = officer
    lists = client.get("/registry")
    assert 'href="/registry/manual"' in lists.text
    page = client.get("/registry/manual")
    assert "Create a manual list" in page.text
    created = client.post(
        "/registry/manual",
        data={
            "csrf_token": csrf_from(page.text),
            "name": LIST,
            "title": "Section 7031(c) public designations",
            "publisher": "us-state",
            "source_url": "https://www.state.gov/",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert created.headers["location"] == PAGE
    assert "No designations yet" in client.get(PAGE).text
    # The manual list is on the lists page before its first version, linked to its designations.
    assert f'href="/registry/manual/{LIST}"' in client.get("/registry").text

    form = client.get(f"{PAGE}/designations/new")
    assert form.status_code == 200
    for name in ("name", "aliases", "source_url", "source_date", "program", "reason"):
        assert f'<label for="{name}">' in form.text
        assert f'id="{name}"' in _input(form.text, name)
    assert 'value="7031C"' in _input(form.text, "program")  # the publisher's only program

    added = client.post(
        f"{PAGE}/designations",
        data={**FORM, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    row = session.execute(sa.select(ManualDesignation)).scalar_one()
    assert added.headers["location"] == f"{PAGE}?saved={row.id}"
    assert (row.aliases, row.country, row.birth_date) == (
        ["E. O. Uno", "Ejemplo O. Uno"],
        ["ni"],
        "1961",
    )
    listing = _text(client.get(added.headers["location"]).text)
    assert "Saved: Ejemplo Oficial Uno" in listing
    assert "now at version 1" in listing
    assert f"Dignity {__version__} · open source" in listing  # the page's own footer, intact

    edit_page = client.get(f"{PAGE}/designations/{row.id}")
    assert 'name="revision" value="1"' in edit_page.text
    assert 'value="Former Minister of Examples"' in _input(edit_page.text, "position")
    edited = client.post(
        f"{PAGE}/designations/{row.id}",
        data={
            **FORM,
            "position": "Former Governor of Examples",
            "revision": "1",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303, edited.text
    delta = _text(client.get(f"/registry/lists/{LIST}/delta?from=1&to=2").text)
    assert "Former Governor of Examples" in delta
    entity = _text(client.get(f"/registry/entities/{manual.entity_id_of(row)}").text)
    assert "Former Governor of Examples" in entity
    assert LIST in entity

    retired = client.post(
        f"{PAGE}/designations/{row.id}/retire",
        data={"retire_reason": "Designation revoked.", "revision": "2", "csrf_token": token},
        follow_redirects=False,
    )
    assert retired.status_code == 303
    page_text = _text(client.get(PAGE).text)
    assert "Retired designations" in page_text
    assert "Designation revoked." in page_text
    assert "now at version" not in page_text
    versions = _text(client.get(f"/registry/lists/{LIST}").text)
    assert "Current version 3" in versions
    assert "its designations" in versions


def test_bad_values_come_back_next_to_their_fields(
    officer: tuple[TestClient, str], session: Session, manual_list: SourceList
) -> None:
    client, token = officer
    bad = {**FORM, "source_url": "ftp://files.example/x", "birth_date": "someday"}
    response = client.post(f"{PAGE}/designations", data={**bad, "csrf_token": token})
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html
    assert '<a href="#source_url">Source address</a>' in html
    field = _input(html, "source_url")
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="source_url-hint source_url-error"' in field
    assert 'id="source_url-error"' in html
    assert 'value="ftp://files.example/x"' in field  # what was typed is kept
    assert 'aria-invalid="true"' in _input(html, "birth_date")
    assert 'aria-invalid="true"' not in _input(html, "name")
    assert "E. O. Uno\nEjemplo O. Uno</textarea>" in html
    assert _rows(session) == 0

    row = manual.add_designation(session, LIST, INPUT, actor="test").designation
    session.commit()
    refused = client.post(
        f"{PAGE}/designations/{row.id}/retire",
        data={"retire_reason": "", "revision": "1", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in _input(refused.text, "retire_reason")


def test_an_edit_from_an_outdated_page_is_refused_and_says_why(
    officer: tuple[TestClient, str], session: Session, manual_list: SourceList
) -> None:
    client, token = officer
    row = manual.add_designation(session, LIST, INPUT, actor="test").designation
    manual.edit_designation(
        session,
        LIST,
        row.id,
        dataclasses.replace(INPUT, position="Changed elsewhere"),
        actor="someone else",
    )
    session.commit()
    stale = client.post(
        f"{PAGE}/designations/{row.id}",
        data={**FORM, "position": "My change", "revision": "1", "csrf_token": token},
    )
    assert stale.status_code == 409
    assert "changed since you read it" in _text(stale.text)
    assert 'name="revision" value="1"' in stale.text  # resubmitting cannot overwrite blindly
    assert manual.get_designation(session, LIST, row.id).position == "Changed elsewhere"


def test_a_viewer_reads_but_cannot_change(
    viewer: tuple[TestClient, str], session: Session, manual_list: SourceList
) -> None:
    client, token = viewer
    row = manual.add_designation(session, LIST, INPUT, actor="test").designation
    session.commit()
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Ejemplo Oficial Uno" in page.text
    assert "Add a designation" not in page.text
    assert "/designations/" not in page.text  # no edit links
    assert "Create a manual list" not in client.get("/registry/manual").text
    assert client.get(f"{PAGE}/designations/new").status_code == 403
    assert client.get(f"{PAGE}/designations/{row.id}").status_code == 403
    posted = client.post(f"{PAGE}/designations", data={**FORM, "csrf_token": token})
    assert posted.status_code == 403
    assert _rows(session) == 1


def test_unknown_lists_and_designations_are_404(
    officer: tuple[TestClient, str], manual_list: SourceList
) -> None:
    client, _ = officer
    assert client.get("/registry/manual/no_such_list").status_code == 404
    assert client.get(f"{PAGE}/designations/{'0' * 36}").status_code == 404


def test_the_pages_need_sign_in(client: TestClient, manual_list: SourceList) -> None:
    for path in ("/registry/manual", PAGE, f"{PAGE}/designations/new"):
        assert client.get(path).status_code == 401
