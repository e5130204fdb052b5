"""Evidence pages (issue #8 items 1 and 4): the form without script uploads several files in one
multipart post, streamed (no temporary file); the item page shows the collection record and the
custody timeline; a download is a POST with a purpose that lands in the timeline; every POST needs
the session's CSRF token and our own origin; a viewer cannot upload; another project's event or
item is "not found"."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from evidence_helpers import every_file_bytes, new_canary
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.evidence.models import CustodyEvent, EvidenceItem
from dignity.security import sessions
from dignity.security.authz import Principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.documentation import story
from factories.monitoring import reviewer, team
from factories.security import browser

SAME_SITE = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}
FORM = {
    "collected_by": "Field team 3",
    "method": "screenshot",
    "tool": "Hunchly",
    "tool_version": "2.4",
    "account_or_persona": "persona B",
    "source": "https://social.example/post/123",
    "collected_at": "2024-05-01T14:03",
    "clock_source": "ntp",
    "purpose": "shows the soldiers at the market",
}
FILES = [
    ("market.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000),
    ("witness.txt", "شاهد عيان في السوق\n".encode() * 50),
    ("notes.bin", b"\x00\x01 field notes " * 400),
]


@dataclass
class Member:
    client: TestClient
    csrf: str
    principal: Principal

    def upload(
        self,
        path: str,
        files: list[tuple[str, bytes]],
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:
        data = {"csrf_token": self.csrf if token is None else token, **(form or FORM)}
        return self.client.post(
            path,
            data=data,
            files=[
                ("file", (name, content, "application/octet-stream")) for name, content in files
            ],
            headers=headers if headers is not None else SAME_SITE,
            follow_redirects=False,
        )


def _member(
    app: FastAPI, session: Session, settings: Settings, name: str, project: Project, role: Role
) -> Member:
    principal = reviewer(session, name, project, role)
    user = session.get(User, principal.id)
    assert user is not None
    web_session, token = sessions.start_session(
        session, settings, user, sessions.ACTIVE, datetime.now(UTC)
    )
    session.commit()
    return Member(browser(app, token), sessions.csrf_token(settings, web_session), principal)


@dataclass
class World:
    event_id: str
    investigator: Member
    viewer: Member
    stranger: Member

    @property
    def page(self) -> str:
        return f"/records/events/{self.event_id}/evidence"


@pytest.fixture
def world(app: FastAPI, session: Session, settings: Settings) -> World:
    ours, theirs = team(session, "Darfur 2023"), team(session, "Myanmar 2021")
    investigator = _member(app, session, settings, "investigator", ours, Role.INVESTIGATOR)
    ids = story(session, investigator.principal, ours)
    session.commit()
    return World(
        ids["event"],
        investigator,
        _member(app, session, settings, "viewer", ours, Role.VIEWER),
        _member(app, session, settings, "stranger", theirs, Role.INVESTIGATOR),
    )


def _items(session: Session) -> list[EvidenceItem]:
    session.expire_all()
    return list(session.execute(select(EvidenceItem).order_by(EvidenceItem.ingested_at)).scalars())


def test_three_files_uploaded_with_the_form_are_stored_streamed_with_their_record(
    world: World,
    session: Session,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    canary = new_canary().encode()
    files = [*FILES[:2], ("canary.bin", b"\x00" + canary * 100_000)]  # the last about 2.2 MB

    response = world.investigator.upload(world.page, files)

    assert response.status_code == 200, response.text
    assert "3 files stored" in response.text
    items = _items(session)
    assert len(items) == 3
    assert {i.event_id for i in items} == {world.event_id}
    assert [i.media_type for i in items] == ["image/png", "text/plain", "application/octet-stream"]
    assert items[0].collection_method == "screenshot"
    assert items[0].collected_at == datetime(2024, 5, 1, 14, 3, tzinfo=UTC)
    assert canary not in every_file_bytes(scratch)
    assert canary not in every_file_bytes(settings.evidence_dir)
    listed = world.investigator.client.get(world.page)
    for name, _ in files:
        assert name in listed.text
    story_page = world.investigator.client.get(f"/records/events/{world.event_id}")
    assert f'href="{world.page}"' in story_page.text


def test_the_item_page_shows_the_record_and_a_download_lands_in_the_custody_timeline(
    world: World, session: Session
) -> None:
    world.investigator.upload(world.page, FILES[1:2])
    (item,) = _items(session)
    client = world.investigator.client

    page = client.get(f"/evidence/{item.id}")
    assert page.status_code == 200
    for shown in ("witness.txt", item.sha256, "Field team 3", "Hunchly", "persona B",
                  "https://social.example/post/123", "Received into the vault", "intake",
                  "2024-05-01 14:03:00 UTC"):  # fmt: skip
        assert shown in page.text
    assert re.search(r"Chain verified: <strong>yes</strong>", page.text)
    timeline = page.text.split('<ol class="custody"', 1)[1]
    assert timeline.count('<li class="custody-entry') == 1

    download = client.post(
        f"/evidence/{item.id}/download",
        data={"csrf_token": world.investigator.csrf, "purpose": "translation for the dossier"},
        headers=SAME_SITE,
    )
    assert download.status_code == 200
    assert download.content == FILES[1][1]
    assert download.headers["content-disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''witness.txt" in download.headers["content-disposition"]
    assert download.headers["content-type"] == "application/octet-stream"

    again = client.get(f"/evidence/{item.id}").text
    timeline = again.split('<ol class="custody"', 1)[1]
    assert timeline.count('<li class="custody-entry') == 2
    assert "Original downloaded" in timeline
    assert "translation for the dossier" in timeline
    assert "<bdi>investigator</bdi>" in timeline  # the actor by username, not by id


def test_the_pages_script_uploads_one_file_as_the_body(world: World, session: Session) -> None:
    values = {**FORM, "collected_at": "2024-05-01T14:03"}
    response = world.investigator.client.post(
        f"{world.page}/file",
        content=FILES[0][1],
        headers={
            **SAME_SITE,
            "x-csrf-token": world.investigator.csrf,
            "x-evidence-filename": quote("صورة السوق.png"),
            "x-evidence-collection": quote(json.dumps(values)),
        },
    )
    assert response.status_code == 201, response.text
    (item,) = _items(session)
    assert response.json() == {
        "id": item.id,
        "url": f"/evidence/{item.id}",
        "sha256": item.sha256,
        "size": len(FILES[0][1]),
    }
    assert item.event_id == world.event_id
    assert "صورة السوق.png" in world.investigator.client.get(f"/evidence/{item.id}").text
    without = world.investigator.client.post(
        f"{world.page}/file",
        content=b"x",
        headers={**SAME_SITE, "x-evidence-filename": "a", "x-evidence-collection": "{}"},
    )
    assert without.status_code == 403
    assert len(_items(session)) == 1


def test_uploads_need_the_csrf_token_first_and_our_own_origin(
    world: World, session: Session
) -> None:
    member = world.investigator
    assert member.upload(world.page, FILES, token="").status_code == 403
    assert member.upload(world.page, FILES, token="forged").status_code == 403
    cross = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    assert member.upload(world.page, FILES, headers=cross).status_code == 403
    # The token after the file is too late: nothing is stored before it is known.
    late = member.client.post(
        world.page,
        files=[("file", ("a.bin", b"\x00abc")), ("csrf_token", (None, member.csrf))],
        headers=SAME_SITE,
    )
    assert late.status_code == 403
    assert _items(session) == []
    no_token = member.client.post("/evidence/0/download", data={"purpose": "x"}, headers=SAME_SITE)
    assert no_token.status_code == 403


def test_a_refused_file_is_named_and_the_others_are_stored(world: World, session: Session) -> None:
    files = [FILES[0], ("page.pdf", b"<html><body>not a pdf</body></html>"), FILES[2]]
    response = world.investigator.upload(world.page, files)
    assert response.status_code == 422
    assert "2 files stored" in response.text
    assert "page.pdf" in response.text.split("Not stored", 1)[1]
    assert len(_items(session)) == 2
    missing = world.investigator.upload(world.page, FILES[:1], form={**FORM, "source": ""})
    assert missing.status_code == 422
    assert "Source URL or device" in missing.text
    assert len(_items(session)) == 2


def test_a_viewer_reads_but_cannot_upload_and_a_stranger_sees_nothing(
    world: World, session: Session
) -> None:
    world.investigator.upload(world.page, FILES[:1])
    (item,) = _items(session)
    viewer = world.viewer
    assert viewer.client.get(world.page).status_code == 200
    assert "Add evidence" not in viewer.client.get(world.page).text
    assert viewer.upload(world.page, FILES[1:2]).status_code == 403
    assert viewer.client.get(f"/evidence/{item.id}").status_code == 200
    stranger = world.stranger
    assert stranger.client.get(world.page).status_code == 404
    assert stranger.upload(world.page, FILES[1:2]).status_code == 404
    missing = stranger.client.get("/evidence/" + "0" * 32)
    theirs = stranger.client.get(f"/evidence/{item.id}")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    download = stranger.client.post(
        f"/evidence/{item.id}/download",
        data={"csrf_token": stranger.csrf, "purpose": "curiosity"},
        headers=SAME_SITE,
    )
    assert download.status_code == 404
    assert len(_items(session)) == 1
    session.expire_all()
    assert session.execute(select(func.count()).select_from(CustodyEvent)).scalar_one() == 1
