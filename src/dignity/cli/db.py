"""`dignity db`: the store's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from dignity.audit import record_event
from dignity.cli.context import console, operator, state
from dignity.store import migrate
from dignity.store.session import transaction

app = typer.Typer(help="Manage the store's schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(
    revision: Annotated[
        str, typer.Option("--revision", help="Target revision (default: newest).")
    ] = "head",
) -> None:
    """Migrate the store to the newest schema (or to --revision)."""
    with state.engine.connect() as connection:
        before = migrate.current_revision(connection)
    migrate.upgrade(state.engine, revision)
    with state.engine.connect() as connection:
        after = migrate.current_revision(connection)
    if after != before:
        with transaction(state.sessionmaker) as session:
            record_event(
                session,
                actor=operator(),
                action="store.upgraded",
                object_type="schema",
                object_id=after or "",
                details={"from": before, "to": after},
            )
    console.print(f"store at revision {after} ({state.engine.dialect.name})")


@app.command()
def current() -> None:
    """Show the store's schema revision and the newest one this version knows."""
    with state.engine.connect() as connection:
        now = migrate.current_revision(connection)
    head = migrate.head_revision()
    note = "current" if now == head else f"behind: newest is {head}, run `dignity db upgrade`"
    console.print(f"revision {now or 'none'} ({note})")
