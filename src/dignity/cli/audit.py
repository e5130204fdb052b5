"""`dignity audit`: verify, checkpoint and export the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dignity.audit import maintenance
from dignity.audit.chain import VerifyReport
from dignity.audit.services import export_log, verify_export
from dignity.cli.context import console, count, err_console, state
from dignity.exc import IntegrityError

app = typer.Typer(help="Verify, checkpoint and export the audit log.", no_args_is_help=True)

MAX_LISTED = 20


def _report(report: VerifyReport, what: str) -> None:
    if not report.ok:
        for problem in report.problems[:MAX_LISTED]:
            err_console.print(f"  {problem}", markup=False)
        if len(report.problems) > MAX_LISTED:
            err_console.print(f"  ... and {len(report.problems) - MAX_LISTED} more")
        raise IntegrityError(f"{what} failed verification: {report.first_problem}")
    console.print(
        f"{what} verified: {count(report.entries, 'entry', 'entries')}, "
        f"{count(report.checkpoints, 'signed checkpoint', 'signed checkpoints')}"
    )


@app.command()
def verify(
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Verify an exported log file offline, without the database.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    key_id: Annotated[
        list[str] | None,
        typer.Option("--key-id", help="With --export: trust only checkpoints signed by this key."),
    ] = None,
) -> None:
    """Check the hash chain and signed checkpoints; exit 1 naming the first bad entry."""
    if export is not None:
        report = verify_export(export, set(key_id) if key_id else None)
        _report(report, f"audit export {export}")
        return
    _report(maintenance.verify(state.settings, state.sessionmaker), "audit log")


@app.command()
def checkpoint() -> None:
    """Sign a checkpoint of the log now and copy it to the witness directory."""
    made = maintenance.checkpoint_now(state.settings, state.sessionmaker)
    if made is None:
        console.print("nothing new since the last checkpoint")
    else:
        console.print(
            f"checkpoint of {count(made.tree_size, 'entry', 'entries')} signed by key {made.key_id}"
        )


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Argument(help="File to write (JSON lines).", dir_okay=False)],
) -> None:
    """Export the whole log and its checkpoints for offline verification."""
    maintenance.checkpoint_now(state.settings, state.sessionmaker)
    with state.sessionmaker() as session, session.begin():
        exported = export_log(session, out)
    console.print(f"exported {count(exported, 'entry', 'entries')} to {out}")
