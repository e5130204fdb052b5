"""`dignity monitor` end to end on the real UN list: a portfolio, a subject file, passes, history.

A store of its own per test: the UN list imported from an excerpt-free copy, a team, a portfolio.
The second import of the UN list, with one entry's name changed, runs the delta pass by itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import make_settings
from dignity.cli import app
from dignity.cli.context import state
from dignity.screening.monitoring.models import Alert, MonitorRun, Subject
from dignity.security.projects import create_project
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "un-qdi.421"  # HAMZA USAMA MUHAMMAD BIN LADEN
runner = CliRunner()


@pytest.fixture
def cli(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        create_project(session, "Vetting unit", "", actor="test")
    engine.dispose()
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings)
    yield settings
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _ok(*args: str) -> str:
    return _checked(_run(*args))


def _checked(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err or out
    return out


def _import(trainees: Path) -> tuple[int, str, str]:
    return _run(
        "monitor",
        "import",
        str(trainees),
        "--portfolio",
        "Trainees",
        "--id-column",
        "file_no",
        "--schema",
        "Person",
    )


def _trainees(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "trainees.csv"
    path.write_text("file_no,full name,DOB\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_run_alerts_and_history(cli: Settings, tmp_path: Path) -> None:
    _ok("sources", "import", str(UN_FILE), "--format", "un-xml")
    _ok("monitor", "portfolio", "create", "Trainees", "--team", "Vetting unit")
    trainees = _trainees(
        tmp_path, ["T-1,Hamza bin Laden,1989-05-09", "T-2,Quentin Zebulon Fairweather,1990-01-01"]
    )
    out = _checked(_import(trainees))
    assert "2 subjects added" in out
    assert "1 new alert" in out
    listing = _ok("monitor", "alerts", "--portfolio", "Trainees")
    assert listing.count("\n") == 1
    assert "T-1" in listing
    assert "un_sc_consolidated" in listing

    # The same file again: nothing changed, nothing screened.
    again = _checked(_import(trainees))
    assert "0 subjects added, 0 updated, 2 unchanged" in again

    # A new version of the list, with the entry renamed: the import runs the delta pass.
    text = UN_FILE.read_text(encoding="utf-8")
    assert text.count("<FIRST_NAME>HAMZA</FIRST_NAME>") == 1
    changed = tmp_path / "consolidated.xml"
    changed.write_text(
        text.replace("<FIRST_NAME>HAMZA</FIRST_NAME>", "<FIRST_NAME>HAMZAH</FIRST_NAME>"),
        encoding="utf-8",
    )
    imported = _ok("sources", "import", str(changed), "--format", "un-xml")
    assert "delta pass" in imported
    assert "1 changed alert" in imported

    history = tmp_path / "t1.json"
    _ok("monitor", "history", "T-1", "--portfolio", "Trainees", "--out", str(history))
    document = json.loads(history.read_text(encoding="utf-8"))
    assert document["subject"]["reference"] == "T-1"
    assert [p["kind"] for p in document["passes"]] == ["subjects", "delta"]
    assert [p["list_versions"]["un_sc_consolidated"] for p in document["passes"]] == [1, 2]
    assert document["alerts"][0]["changes"]["entity"]["firstName"] == {
        "added": ["HAMZAH"],
        "removed": ["HAMZA"],
    }

    engine = create_engine(cli.sqlalchemy_url)
    with make_sessionmaker(engine)() as session:
        alert = session.execute(select(Alert)).scalar_one()
        assert (alert.entity_id, alert.reason, alert.status) == (HAMZA, "changed", "open")
        kinds = session.execute(select(MonitorRun.kind).order_by(MonitorRun.started_at)).all()
        assert [k for (k,) in kinds] == ["subjects", "delta"]
    engine.dispose()


def test_a_bad_subject_file_stores_nothing(cli: Settings, tmp_path: Path) -> None:
    _ok("sources", "import", str(UN_FILE), "--format", "un-xml")
    _ok("monitor", "portfolio", "create", "Trainees", "--team", "Vetting unit")
    trainees = _trainees(
        tmp_path,
        ["T-1,Hamza bin Laden,1989-05-09", ",Nobody Atall,1990-01-01", "T-1,Someone Else,"],
    )
    code, _, err = _import(trainees)
    assert code == 1
    assert "2 rows cannot be subjects; nothing was stored" in err
    assert "trainees.csv, row 3: file_no: no reference in this row" in err
    assert "trainees.csv, row 4: file_no: reference 'T-1' is also on row 2" in err
    engine = create_engine(cli.sqlalchemy_url)
    with make_sessionmaker(engine)() as session:
        assert session.execute(select(Subject)).first() is None
    engine.dispose()
    code, _, err = _run("monitor", "alerts", "--portfolio", "Nope")
    assert code == 1
    assert "no portfolio named 'Nope'" in err
