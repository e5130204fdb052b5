"""What every command shares: settings, the store, the operator's identity, and output helpers."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from functools import cached_property

import httpx
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dignity.settings import Settings, get_settings
from dignity.sources.fetch import new_client
from dignity.store import create_engine, make_sessionmaker

# soft_wrap: never break a line to fit the terminal, so paths and messages stay whole for scripts.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def count(n: int, one: str, many: str) -> str:
    """`1 entry`, `2 entries`: a number with its noun."""
    return f"{n:,} {one if n == 1 else many}"


@dataclass
class CliState:
    debug: bool = False
    settings_override: Settings | None = field(default=None, repr=False)
    # How downloads reach the publishers: None is the network; tests give an httpx.MockTransport.
    http_transport: httpx.BaseTransport | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        return self.settings_override or get_settings()

    @cached_property
    def engine(self) -> Engine:
        return create_engine(self.settings.sqlalchemy_url)

    @cached_property
    def sessionmaker(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    def http_client(self) -> httpx.Client:
        """A client for the publishers' sites, over `http_transport`."""
        return new_client(transport=self.http_transport)

    def configure(
        self, settings: Settings | None, *, http_transport: httpx.BaseTransport | None = None
    ) -> None:
        """Use `settings` (None: the environment's) and `http_transport` (None: the network)
        from now on, closing any open store."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        for name in ("settings", "engine", "sessionmaker"):
            self.__dict__.pop(name, None)
        self.settings_override = settings
        self.http_transport = http_transport
        self.debug = False


state = CliState()


def operator() -> str:
    """The audit actor for CLI actions: the operating-system account that ran the command."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return f"operator:{name}"
