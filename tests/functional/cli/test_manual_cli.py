"""`dignity sources manual` end to end on a fresh store: create, add, edit, retire, list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_settings
from dignity.cli import app
from dignity.cli.context import state
from dignity.settings import Settings

runner = CliRunner()
LIST = "us_state_7031c"
URL = "https://www.state.gov/public-designation-of-an-example-official/"


@pytest.fixture
def cli(tmp_path: Path, fresh_store_url: str) -> Iterator[Settings]:
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield settings
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["sources", "manual", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_edit_retire_and_list(cli: Settings) -> None:
    code, out, _ = _run("create", LIST, "--title", "7031(c)", "--publisher", "us-state")
    assert (code, out.strip()) == (0, f"created manual list {LIST}")
    code, out, err = _run(
        "add", LIST, "--name", "Ejemplo Oficial Uno", "--alias", "E. O. Uno", "--alias", "EOU",
        "--country", "Nicaragua", "--program", "7031C", "--source-url", URL,
        "--source-date", "2023-12-08", "--position", "Former Minister of Examples", "--json",
    )  # fmt: skip
    assert code == 0, err
    added = json.loads(out)
    row = added["designation"]
    assert (added["version"], row["aliases"], row["country"]) == (1, ["E. O. Uno", "EOU"], ["ni"])

    code, out, _ = _run(
        "edit", LIST, row["id"], "--position", "Former Governor", "--clear", "aliases",
        "--revision", "1",
    )  # fmt: skip
    assert (code, out.strip()) == (
        0,
        f"{LIST}: edited Ejemplo Oficial Uno ({row['id']}); version 2",
    )
    code, _, err = _run("edit", LIST, row["id"], "--position", "Lost", "--revision", "1")
    assert code == 1
    assert err.startswith("error: the designation was changed since you read it")
    code, out, _ = _run("edit", LIST, row["id"], "--position", "Former Governor")
    assert out.strip().endswith("no new version (nothing changed)")

    delta = runner.invoke(app, ["sources", "delta", LIST, "--from", "1", "--to", "2"])
    assert "0 added, 0 removed, 1 changed" in delta.stdout

    code, out, _ = _run("retire", LIST, row["id"], "--reason", "Revoked")
    assert out.strip().endswith("version 3")
    assert _run("list", LIST)[1].strip() == ""
    code, out, _ = _run("list", LIST, "--all", "--json")
    [listed] = json.loads(out)
    assert (listed["retired"], listed["retired_reason"], listed["aliases"]) == (
        True,
        "Revoked",
        [],
    )


def test_bad_input_is_one_line_naming_the_field(cli: Settings) -> None:
    _run("create", LIST, "--title", "7031(c)", "--publisher", "us-state")
    code, _, err = _run(
        "add", LIST, "--name", "X", "--program", "7031C", "--source-url", "ftp://x.example/",
        "--source-date", "2023-12-08",
    )  # fmt: skip
    assert code == 1
    assert err.strip().splitlines() == [
        "error: the designation is not valid: source_url: an http:// or https:// address with a "
        "host name is required"
    ]
    code, _, err = _run("edit", LIST, "no-such-id", "--clear", "nothing")
    assert code == 1
    assert err.startswith("error: no field 'nothing' to clear; fields: schema, name, aliases, ")
    code, _, err = _run("list", "no_such_list")
    assert (code, err.strip()) == (1, "error: no manual list named 'no_such_list'")
