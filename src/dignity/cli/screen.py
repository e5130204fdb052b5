"""`dignity screen`: screen a customer file on every core, and show or export screening records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from dignity.cli.context import console, count, err_console, operator, state
from dignity.exc import FieldError, InvalidInput
from dignity.screening import batch
from dignity.screening import services as screening
from dignity.screening.records import MATCHABLE
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.store.session import transaction, write_transaction

app = typer.Typer(
    help="Screen customer files against the lists; show and export screening records.",
    no_args_is_help=True,
)

MAP_HELP = (
    "PROPERTY=COLUMN: the column holding a property (name, alias, birthDate, nationality, "
    "country, idNumber, passportNumber, imoNumber, schema ...). Repeatable. Columns named like "
    "a property map to it without this."
)


class RateColumn(ProgressColumn):
    """Rows screened per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s")


def _mapping(items: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in items:
        prop, sep, column = item.partition("=")
        if not sep or not prop.strip() or not column.strip():
            raise InvalidInput(
                "bad column mapping", [FieldError("--map", f"{item!r}: write PROPERTY=COLUMN")]
            )
        pairs.append((prop.strip(), column.strip()))
    return tuple(pairs)


@app.command("file")
def file_command(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="CSV (any delimiter), XLSX or JSON-lines file, one customer per row.",
            exists=True,
            dir_okay=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Results file: .csv, .xlsx or .jsonl.", dir_okay=False),
    ],
    mapping: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
    schema: Annotated[
        str,
        typer.Option(
            "--schema", help=f"What the rows are: {', '.join(MATCHABLE)} (or a schema column)."
        ),
    ] = "LegalEntity",
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="Column with your own id (default: the row number)."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet to read (default: the first).")
    ] = None,
    dataset: Annotated[
        str,
        typer.Option("--dataset", help="Screen against one list only (default: every list)."),
    ] = screening.DEFAULT_DATASET,
    threshold: Annotated[
        float,
        typer.Option("--threshold", min=0.0, max=1.0, help="Score from which a result matches."),
    ] = DEFAULT_THRESHOLD,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=20, help="Best matches kept per row.")
    ] = batch.DEFAULT_LIMIT,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Processes screening (default: one per core)."),
    ] = None,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size", min=1, help="Rows per chunk: progress is saved after each one."
        ),
    ] = batch.CHUNK_SIZE,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Start over instead of continuing an interrupted run."),
    ] = False,
) -> None:
    """Screen every row of a file; an interrupted run continues when run again."""
    options = batch.BatchOptions(
        mapping=_mapping(mapping or []),
        schema=schema,
        id_column=id_column,
        sheet=sheet,
        dataset=dataset,
        threshold=threshold,
        limit=limit,
    )
    bar = Progress(
        TextColumn("screening {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task(input_path.name, total=None)
    done = -1

    def advance(rows: int, expected: int | None) -> None:
        nonlocal done
        if done < 0:
            bar.start()  # only now: the workers are forked before any thread runs
        done = rows
        bar.update(task, completed=rows, total=expected)

    try:
        report = batch.screen_file(
            state.sessionmaker,
            input_path,
            out,
            options,
            actor=operator(),
            workers=workers,
            restart=restart,
            chunk_size=chunk_size,
            progress=advance,
        )
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted: {count(max(done, 0), 'row', 'rows')} kept; run the same command "
            "to continue, or add --restart to start over",
            markup=False,
        )
        raise typer.Exit(130) from None
    finally:
        if done >= 0:
            bar.stop()
    run = report.state
    resumed = f" (resumed after {report.resumed_at:,})" if report.resumed_at else ""
    console.print(
        f"screened {count(run.rows_done, 'row', 'rows')} of {input_path.name}{resumed}: "
        f"{count(run.matched, 'with a match', 'with a match')}, "
        f"{count(run.errors, 'error', 'errors')}, {count(run.warnings, 'warning', 'warnings')}; "
        f"results in {out} (run {run.run})",
        markup=False,
    )


@app.command("show")
def show_command(
    screening_id: Annotated[str, typer.Argument(metavar="ID", help="Screening record id.")],
) -> None:
    """Print a stored screening record (query, list versions, algorithm, results) as JSON."""
    with transaction(state.sessionmaker) as session:
        document = screening.screening_document(screening.get_screening(session, screening_id))
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        problem = f"{value!r}: write a date (YYYY-MM-DD) or an ISO date and time"
        raise InvalidInput("bad date", [FieldError("--since", problem)]) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="File to write (JSON lines).", dir_okay=False)],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only records made from this date (YYYY-MM-DD, UTC) on."),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Only records asked for by this actor (e.g. operator:ana)."),
    ] = None,
) -> None:
    """Write every screening record as JSON lines, for an examiner (the export is audited)."""
    moment, who = _since(since), operator()
    with transaction(state.sessionmaker) as session:
        written = batch.export_screenings(session, out, since=moment, asked_by=actor)
    try:  # recorded in a short transaction of its own, as `records export` does
        with write_transaction(state.sessionmaker) as session:
            batch.record_export(session, out, written, actor=who, since=moment, asked_by=actor)
    except BaseException:  # not recorded: no unaudited export is left behind
        out.unlink(missing_ok=True)
        raise
    console.print(f"exported {count(written, 'screening record', 'screening records')} to {out}")
