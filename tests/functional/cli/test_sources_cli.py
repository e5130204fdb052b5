"""`dignity sources` end to end on a fresh store: import, list, delta, export, bundled."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_settings
from dignity.cli import app
from dignity.cli.context import state
from dignity.settings import Settings

SHARED = Path(__file__).resolve().parents[3].parent / "shared/data"
UK_FILE = SHARED / "excerpts/uk-ofsi-conlist-csv/sanctionsconlist_2018-04-13_excerpt.csv"
runner = CliRunner()


@pytest.fixture
def cli(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    settings = make_settings(
        tmp_path, database_url=fresh_store_url, bundled_dir=tmp_path / "bundled"
    )
    state.configure(settings)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield settings
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_list_delta_and_export(cli: Settings, tmp_path: Path) -> None:
    code, out, _ = _run("sources", "import", str(UK_FILE), "--format", "uk-csv", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["list"], report["version"], report["report"]["targets"]) == (
        "uk_ofsi_conlist",
        1,
        26,
    )
    code, out, _ = _run("sources", "import", str(UK_FILE), "--format", "uk-csv")
    assert (code, out.strip()) == (
        0,
        "uk_ofsi_conlist: unchanged since the last import; nothing added",
    )
    code, out, _ = _run("sources", "list")
    assert out.split()[:5] == ["uk_ofsi_conlist", "v1", "2018-04-13", "26", "targets"]
    code, out, _ = _run("sources", "delta", "uk_ofsi_conlist", "--from", "1", "--to", "1")
    assert out.startswith("uk_ofsi_conlist v1 -> v1: 0 added, 0 removed, 0 changed")
    exported = tmp_path / "uk.ftm.json"
    code, out, _ = _run("sources", "export", "uk_ofsi_conlist", "--out", str(exported))
    assert code == 0
    written = int(out.split()[1])
    # The export reads back as a list of its own with the same entities.
    code, out, _ = _run(
        "sources", "import", str(exported), "--format", "ftm", "--name", "uk_copy", "--json"
    )
    assert code == 0
    assert json.loads(out)["report"]["entities"] == written


def test_bad_input_is_one_clear_line_and_imports_nothing(cli: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b'<?xml version="1.0"?>\n<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>')
    code, _, err = _run("sources", "import", str(broken), "--format", "un-xml")
    assert code == 1
    assert err.startswith("error: ")
    assert str(broken) in err
    assert len(err.strip().splitlines()) == 1
    _, out, _ = _run("sources", "list")
    assert out.strip() == ""
    code, _, err = _run("sources", "import", str(UK_FILE), "--format", "no-such-format")
    assert code == 1
    assert "unknown list format 'no-such-format'" in err


def test_bundled_lists_load_once_with_their_known_dates(cli: Settings) -> None:
    target = cli.bundled_dir / "un-sc"
    target.mkdir(parents=True)
    shutil.copy(SHARED / "un/consolidated.xml", target / "consolidated.xml")
    code, out, _ = _run("sources", "bundled")
    assert code == 0
    assert "un_sc_consolidated: version 1" in out
    code, out, _ = _run("sources", "bundled")
    assert "un_sc_consolidated: unchanged" in out
    _, out, _ = _run("sources", "list")
    assert out.split()[:5] == ["un_sc_consolidated", "v1", "2026-02-27", "1,003", "targets"]
