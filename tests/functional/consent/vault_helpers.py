"""Shared by the identity-vault tests: a project with members in each role, and identifying values
that carry a canary (a random marker no other data holds), so a test can look for it anywhere."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from dignity.security.authz import Principal
from dignity.security.models import Project
from dignity.security.permissions import Role
from factories.monitoring import reviewer, team


def new_canary() -> str:
    return "canary" + secrets.token_hex(8)


def identifying(canary: str) -> dict[str, Any]:
    """Identity values in which every free-text field carries `canary`."""
    return {
        "names": [
            {"name": f"Amina {canary}", "kind": "primary", "script": "Latn", "language": "en"},
            {"name": "أمينة", "kind": "original-script", "script": "Arab", "language": "ar"},
        ],
        "birth_date": "1990-04",
        "nationalities": ["SD"],
        "contacts": [f"+249 {canary}"],
        "addresses": [f"Block 4, {canary} street, El Geneina"],
        "exact_location": f"13.45N 22.44E near {canary}",
        "id_numbers": [{"type": "passport", "number": f"P{canary}", "country": "sd"}],
        "notes": f"Relocated twice; {canary}",
    }


def project_with_investigator(
    session: Session, name: str = "Darfur 2023", username: str = "investigator"
) -> tuple[Project, Principal]:
    project = team(session, name)
    return project, reviewer(session, username, project, Role.INVESTIGATOR)
