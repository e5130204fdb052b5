"""Documentation stays in step with the code: every setting and every CLI command is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperOption

from dignity.cli import app
from dignity.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(command: Any, prefix: str = "dignity") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [(prefix, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def _options(command: Any) -> list[TyperOption]:
    return [p for p in command.params if isinstance(p, TyperOption) and not p.hidden]


COMMANDS = _commands(typer.main.get_command(app))


def test_the_command_tree_was_found() -> None:
    assert {"dignity serve", "dignity db upgrade", "dignity audit verify"} <= {
        p for p, _ in COMMANDS
    }


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert f"`DIGNITY_{field.upper()}`" in text


def test_settings_doc_lists_no_setting_that_does_not_exist() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `DIGNITY_([A-Z_]+)`", text, flags=re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_has_help(path: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{path} has no help text"
    for option in _options(command):
        assert (option.help or "").strip(), f"{path} {option.opts} has no help text"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_is_documented(path: str, command: Any) -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"`{path}" in text
    for option in _options(command):
        assert f"`{option.opts[0]}" in text, f"{path} {option.opts[0]} is not in docs/cli.md"
