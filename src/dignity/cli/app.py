"""Root of the command line: global options, the `serve` command, and error handling.

A `DignityError` is printed as one clean line on stderr with exit status 1; `--debug` shows the
traceback instead. Other usage errors are reported by Typer itself (exit status 2).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
import uvicorn
from typer.core import TyperGroup

from dignity import __version__
from dignity.cli import (
    audit,
    backup,
    db,
    evidence,
    manual,
    monitor,
    records,
    screen,
    sources,
    tokens,
    users,
)
from dignity.cli.context import err_console, state
from dignity.exc import DignityError


class DignityGroup(TyperGroup):
    """Turns a `DignityError` from any command into one clean line on stderr and exit status 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DignityError as error:
            if state.debug:
                raise
            err_console.print(f"error: {error}", markup=False)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=DignityGroup,
    name="dignity",
    help="Dignity: human-rights accountability platform. Operator commands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(sources.app, name="sources")
sources.app.add_typer(manual.app, name="manual")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(screen.app, name="screen")
app.add_typer(monitor.app, name="monitor")
app.add_typer(records.app, name="records")
app.add_typer(evidence.app, name="evidence")
app.add_typer(backup.app, name="backup")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"dignity {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Dignity: human-rights accountability platform. Operator commands."""
    state.debug = debug


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default: DIGNITY_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (default: DIGNITY_PORT).")
    ] = None,
) -> None:
    """Serve the web app and API (run `dignity db upgrade` first).

    On a store with no accounts, an administrator `admin` is created first and its one-time
    password printed here.
    """
    from dignity.api.app import create_app

    settings = state.settings
    users.ensure_first_admin()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    # Alembic announces its context whenever the home page reads the schema revision.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    bind_host, bind_port = host or settings.host, port or settings.port
    err_console.print(f"Dignity {__version__} on http://{bind_host}:{bind_port}/  (Ctrl+C stops)")
    uvicorn.run(
        create_app(settings, state.sessionmaker),
        host=bind_host,
        port=bind_port,
        access_log=False,  # no client addresses in logs (SECURITY.md item 36)
        proxy_headers=False,
        server_header=False,
        log_level=settings.log_level.lower(),
    )


def main() -> None:
    """Entry point of the `dignity` script."""
    app()


if __name__ == "__main__":
    main()
