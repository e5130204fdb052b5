"""The command line, run in-process with Typer's runner and once as the real installed script."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from conftest import make_settings
from dignity import __version__
from dignity.cli import app
from dignity.cli.context import state
from dignity.settings import Settings
from dignity.store import migrate

runner = CliRunner()


@pytest.fixture
def cli_settings(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings)
    yield settings
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = _run("--version")
    assert (code, out.strip()) == (0, f"dignity {__version__}")


@pytest.mark.parametrize("args", [["--help"], ["db", "--help"], ["audit", "verify", "--help"]])
def test_help_is_available(args: list[str]) -> None:
    code, out, _ = _run(*args)
    assert code == 0
    assert "Usage" in out


def test_upgrade_then_verify(cli_settings: Settings) -> None:
    code, out, _ = _run("db", "upgrade")
    assert code == 0
    head = migrate.head_revision()
    assert f"store at revision {head}" in out
    code, out, _ = _run("db", "current")
    assert (code, out.strip()) == (0, f"revision {head} (current)")
    code, out, _ = _run("audit", "verify")
    assert code == 0
    assert "audit log verified: 1 entry" in out


def test_checkpoint_export_and_offline_verify(cli_settings: Settings, tmp_path: Path) -> None:
    assert _run("db", "upgrade")[0] == 0
    code, out, _ = _run("audit", "checkpoint")
    assert code == 0
    assert out.startswith("checkpoint of 1 entry signed by key ")
    assert _run("audit", "checkpoint")[1].strip() == "nothing new since the last checkpoint"
    exported = tmp_path / "audit.jsonl"
    code, out, _ = _run("audit", "export", str(exported))
    assert (code, out.strip()) == (0, f"exported 1 entry to {exported}")
    code, out, _ = _run("audit", "verify", "--export", str(exported))
    assert code == 0
    assert "verified: 1 entry, 1 signed checkpoint" in out
    code, _, err = _run("audit", "verify", "--export", str(exported), "--key-id", "0" * 64)
    assert code == 1
    assert "untrusted key" in err


def _tamper(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def _make_events(n: int) -> None:
    from dignity.audit import record_event
    from dignity.store import transaction

    with transaction(state.sessionmaker) as session:
        for i in range(n):
            record_event(
                session,
                actor="operator:test",
                action="test.event",
                object_type="thing",
                object_id=str(i),
            )


@pytest.mark.parametrize(
    ("statements", "first_bad"),
    [
        (["UPDATE audit_events SET actor = 'someone else' WHERE seq = 3"], "entry 3"),
        (["DELETE FROM audit_events WHERE seq = 4"], "entry 4"),
        (
            [
                "UPDATE audit_events SET seq = 100 WHERE seq = 2",
                "UPDATE audit_events SET seq = 2 WHERE seq = 5",
                "UPDATE audit_events SET seq = 5 WHERE seq = 100",
            ],
            "entry 2",
        ),
        (["DELETE FROM audit_events WHERE seq >= 5", "DELETE FROM audit_checkpoints"], "entry 5"),
    ],
    ids=["edited", "deleted", "reordered", "truncated"],
)
def test_tampering_is_reported_with_the_first_bad_entry(
    cli_settings: Settings, statements: list[str], first_bad: str
) -> None:
    assert _run("db", "upgrade")[0] == 0
    _make_events(5)
    assert _run("audit", "checkpoint")[0] == 0
    assert _run("audit", "verify")[0] == 0
    if "DELETE FROM audit_checkpoints" in statements:
        engine = sa.create_engine(cli_settings.sqlalchemy_url)
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
            else:
                connection.exec_driver_sql("DROP TRIGGER audit_checkpoints_no_delete")
        engine.dispose()
    _tamper(cli_settings.sqlalchemy_url, *statements)
    code, _, err = _run("audit", "verify")
    assert code == 1
    last_line = err.strip().splitlines()[-1]
    assert last_line.startswith(f"error: audit log failed verification: {first_bad}:")


def test_errors_are_one_line_and_debug_shows_the_traceback(cli_settings: Settings) -> None:
    missing = cli_settings.data_dir / "missing.jsonl"
    missing.parent.mkdir(parents=True, exist_ok=True)
    missing.write_text('{"type": "nonsense"}\n')
    code, _, err = _run("audit", "verify", "--export", str(missing))
    assert code == 1
    expected = f"{missing}:1: format: expected dignity-audit-export/1"
    assert err.strip() == f"error: not a Dignity audit export: {expected}"
    result = runner.invoke(app, ["--debug", "audit", "verify", "--export", str(missing)])
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "InvalidInput"


def test_the_installed_script_runs(tmp_path: Path, fresh_store_url: str) -> None:
    script = Path(sys.executable).parent / "dignity"
    env = {
        **os.environ,
        "DIGNITY_DATA_DIR": str(tmp_path / "var"),
        "DIGNITY_DATABASE_URL": fresh_store_url,
    }
    upgraded = subprocess.run(
        [script, "db", "upgrade"], env=env, capture_output=True, text=True, check=False
    )
    assert upgraded.returncode == 0, upgraded.stderr
    verified = subprocess.run(
        [script, "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert "verified: 1 entry" in verified.stdout
    bad = subprocess.run(
        [script, "db", "upgrade"],
        env={**env, "DIGNITY_DATABASE_URL": "mysql://x/y"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: unsupported database 'mysql': use sqlite or postgresql"
