"""Crash safety of evidence intake (issue 8 item 8, SECURITY.md item 42): the real server, in a
process of its own, is killed with SIGKILL at random moments while several clients stream uploads
into it, and restarted; after each restart every acknowledged item is listed, whole and verifiable
byte for byte, nothing partial is visible, no transaction is half-written, the start-up recovery
left nothing in partial/ and no orphan blob in the store, and (every few restarts, and after the
last) fixity and the audit log verify. See `crash_harness` for the machinery.

The default suite makes a few kills; the slow run (`-m slow`, from .ci/run) makes 200, or
DIGNITY_CRASH_KILLS. DIGNITY_CRASH_SEED replays a run (the seed is printed when a run fails).
"""

from __future__ import annotations

import os
import random
import secrets
import time
from pathlib import Path

import pytest
from crash_harness import Ledger, Plan, Totals, run

from conftest import make_settings
from dignity.security.crypto import load_keyring
from dignity.security.permissions import Role
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.monitoring import personal_token, reviewer, team

SCOPES = ("records:read", "records:write")


def _crash_run(tmp_path: Path, store_url: str, plan: Plan) -> tuple[Ledger, Totals, float]:
    seed = int(os.environ.get("DIGNITY_CRASH_SEED", "") or secrets.randbits(32))
    print(f"crash harness seed: DIGNITY_CRASH_SEED={seed}")  # noqa: T201 (shown when it fails)
    settings = make_settings(
        tmp_path,
        database_url=store_url,
        blob_dir=tmp_path / "blobs",
        kek_dir=tmp_path / "kek",
        evidence_max_bytes=64 << 20,
    )
    engine = create_engine(store_url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        keyring = load_keyring(settings.key_dir)  # made here; each server reads the same keys
        with factory() as session:
            project = team(session, "Crash 2026")
            investigator = reviewer(session, "crash-investigator", project, Role.INVESTIGATOR)
            token = personal_token(session, settings, investigator, SCOPES)["Authorization"]
            project_id = project.id
        began = time.monotonic()
        ledger, totals = run(
            plan,
            settings,
            factory,
            keyring,
            project=project_id,
            token=token.removeprefix("Bearer "),
            rng=random.Random(seed),
            log_path=tmp_path / "server.log",
        )
        elapsed = time.monotonic() - began
    finally:
        engine.dispose()
    print(  # noqa: T201 (the figures of the run, shown with -s or -rP)
        f"crash harness: {totals.kills} kills, {ledger.started} uploads started, "
        f"{len(ledger.acked)} acknowledged, 0 lost, {totals.landed_unacknowledged} landed "
        f"unacknowledged, {ledger.interrupted} interrupted, refused {ledger.refused}, "
        f"{totals.partial_quarantined} partial files and {totals.orphans_quarantined} orphan "
        f"blobs quarantined, {totals.downloaded} downloads checked, {totals.checks} checks "
        f"({totals.full_checks} with fixity and audit), {elapsed:.0f} s"
    )
    return ledger, totals, elapsed


def _kills(default: int) -> int:
    return int(os.environ.get("DIGNITY_CRASH_KILLS", "") or default)


def test_acknowledged_uploads_survive_random_kills(tmp_path: Path, fresh_store_url: str) -> None:
    plan = Plan(kills=6, max_delay=1.5)
    ledger, totals, _ = _crash_run(tmp_path, fresh_store_url, plan)

    assert totals.kills == plan.kills
    assert totals.checks == totals.full_checks == plan.kills + 1
    assert ledger.acked, "no upload was acknowledged: the run tested nothing"
    assert ledger.interrupted, "no kill interrupted an upload: the run tested nothing"
    assert totals.downloaded >= len(ledger.acked)


@pytest.mark.slow
def test_acknowledged_uploads_survive_hundreds_of_kills(
    tmp_path: Path, fresh_store_url: str
) -> None:
    plan = Plan(kills=_kills(200), max_delay=2.0, full_every=20)
    ledger, totals, _ = _crash_run(tmp_path, fresh_store_url, plan)

    assert totals.kills == plan.kills
    assert len(ledger.acked) > plan.kills, "too few uploads were acknowledged to mean much"
    assert ledger.interrupted > plan.kills // 2
    assert totals.partial_quarantined > 0, "no kill left a partial file: the run tested little"
    assert totals.downloaded >= len(ledger.acked)
