"""What every command shares: settings, the store, the operator's identity, and output helpers."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from functools import cached_property

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dignity.settings import Settings, get_settings
from dignity.store import create_engine, make_sessionmaker

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class CliState:
    debug: bool = False
    settings_override: Settings | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        return self.settings_override or get_settings()

    @cached_property
    def engine(self) -> Engine:
        return create_engine(self.settings.sqlalchemy_url)

    @cached_property
    def sessionmaker(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)


state = CliState()


def operator() -> str:
    """The audit actor for CLI actions: the operating-system account that ran the command."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return f"operator:{name}"
