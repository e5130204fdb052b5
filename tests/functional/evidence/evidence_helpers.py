"""Shared by the evidence tests: a project with an investigator, its keys and a blob store of the
test's own, and a collection record; `add` stores bytes through the real service."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.models import EvidenceItem
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring, load_keyring
from dignity.security.models import Project
from dignity.security.permissions import Role
from factories.monitoring import reviewer, team

CHUNK = 64  # a small chunk size, so a few hundred bytes make several chunks


def new_canary() -> str:
    return "canary" + secrets.token_hex(8)


def record(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "collected_by": "Field team 3",
        "method": "download",
        "tool": "yt-dlp",
        "tool_version": "2024.04.09",
        "account_or_persona": "research persona B",
        "source": "https://video.example/watch?v=abc",
        "collected_at": datetime(2024, 5, 1, 14, 3, tzinfo=UTC),
        "clock_source": "ntp",
        "purpose": "documents the raid on the market",
    }
    values.update(overrides)
    return values


@dataclass
class Vault:
    session: Session
    project: Project
    investigator: Principal
    keyring: Keyring
    store: LocalBlobStore

    def add(
        self,
        data: bytes | Iterable[bytes],
        name: str = "testimony.txt",
        *,
        chunk_bytes: int = CHUNK,
        max_bytes: int = 10**9,
        **options: Any,
    ) -> EvidenceItem:
        chunks = [data] if isinstance(data, bytes) else data
        return evidence.add_evidence(
            self.session,
            self.investigator,
            self.keyring,
            self.store,
            self.project.id,
            chunks,
            filename=name,
            collection=options.pop("collection", record()),
            max_bytes=max_bytes,
            chunk_bytes=chunk_bytes,
            **options,
        )

    def read(self, item: EvidenceItem, who: Principal | None = None) -> bytes:
        _, chunks = evidence.open_original(
            self.session,
            who or self.investigator,
            self.keyring,
            self.store,
            item.id,
            purpose="review for the referral",
        )
        return b"".join(chunks)

    def blob(self, item: EvidenceItem) -> Path:
        return self.store.path(item.blob_id)


def make_vault(session: Session, root: Path, name: str = "Darfur 2023") -> Vault:
    project = team(session, name)
    investigator = reviewer(session, f"investigator-{name}", project, Role.INVESTIGATOR)
    return Vault(
        session,
        project,
        investigator,
        load_keyring(root / "keys"),
        LocalBlobStore(root / "blobs"),
    )


@pytest.fixture
def vault(session: Session, tmp_path: Path) -> Vault:
    return make_vault(session, tmp_path)


def every_file_bytes(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())
