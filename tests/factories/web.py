"""Signed-in staff for page tests: a browser with a live session and its CSRF token, posting
forms as a browser does (same origin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from dignity.security import sessions
from dignity.security.authz import Principal
from dignity.security.models import Project, User
from dignity.security.permissions import Role
from dignity.settings import Settings
from factories.monitoring import reviewer
from factories.security import browser

SAME_SITE = {"origin": "https://testserver", "sec-fetch-site": "same-origin"}


@dataclass
class Staff:
    client: TestClient
    csrf: str
    principal: Principal

    def post(self, path: str, data: dict[str, object]) -> Response:
        return self.client.post(
            path, data={"csrf_token": self.csrf, **data}, headers=SAME_SITE, follow_redirects=False
        )


def staff(
    app: FastAPI, session: Session, settings: Settings, name: str, project: Project, role: Role
) -> Staff:
    """A member of `project` with `role`, signed in (MFA done) in a browser of their own."""
    principal = reviewer(session, name, project, role)
    user = session.get(User, principal.id)
    assert user is not None
    web_session, token = sessions.start_session(
        session, settings, user, sessions.ACTIVE, datetime.now(UTC)
    )
    session.commit()
    return Staff(browser(app, token), sessions.csrf_token(settings, web_session), principal)
