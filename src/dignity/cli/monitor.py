"""`dignity monitor`: portfolios of watched subjects, re-screening passes, alerts, history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.cli.context import console, count, err_console, operator, state
from dignity.cli.screen import MAP_HELP, _mapping
from dignity.exc import InvalidInput, NotFound
from dignity.screening.monitoring import alerts as review
from dignity.screening.monitoring.history import subject_history
from dignity.screening.monitoring.models import MonitorRun, Portfolio, Subject
from dignity.screening.monitoring.rescreen import monitor, screen_subjects
from dignity.screening.monitoring.subject_files import read_subject_file
from dignity.screening.monitoring.subjects import create_portfolio, store_subjects
from dignity.screening.records import MATCHABLE
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.screening.services import IndexCache
from dignity.security.authz import Principal, operator_principal
from dignity.security.models import Project
from dignity.store.session import transaction, write_transaction

app = typer.Typer(
    help="Watch subjects (customers, suppliers, vessels, trainees) and review their alerts.",
    no_args_is_help=True,
)
portfolios_app = typer.Typer(help="Portfolios of watched subjects.", no_args_is_help=True)
app.add_typer(portfolios_app, name="portfolio")

PortfolioOption = Annotated[str, typer.Option("--portfolio", help="Portfolio name.")]


def _principal() -> Principal:
    return operator_principal(operator().removeprefix("operator:"))


def _portfolio(session: Session, name: str) -> Portfolio:
    found = session.execute(select(Portfolio).where(Portfolio.name == name)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no portfolio named {name!r}")
    return found


@contextmanager
def _bar(what: str) -> Iterator[Progress]:
    bar = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with bar:
        yield bar


@portfolios_app.command("create")
def portfolio_create(
    name: Annotated[str, typer.Argument(help="Name of the portfolio.")],
    team: Annotated[str, typer.Option("--team", help="Project (team) that owns it.")],
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.5, max=1.0, help="Score that raises an alert.")
    ] = DEFAULT_THRESHOLD,
    four_eyes: Annotated[
        bool,
        typer.Option("--four-eyes", help="Closing a true match needs a second reviewer."),
    ] = False,
) -> None:
    """Create a portfolio owned by a team."""
    with write_transaction(state.sessionmaker) as session:
        project = session.execute(select(Project).where(Project.name == team)).scalar_one_or_none()
        if project is None:
            raise NotFound(f"no project named {team!r}")
        portfolio = create_portfolio(
            session,
            _principal(),
            name=name,
            project_id=project.id,
            threshold=threshold,
            four_eyes=four_eyes,
        )
        console.print(f"portfolio {portfolio.name!r} created ({portfolio.id})", markup=False)


@portfolios_app.command("list")
def portfolio_list() -> None:
    """Every portfolio with its subjects and open alerts."""
    with transaction(state.sessionmaker) as session:
        for portfolio in session.execute(select(Portfolio).order_by(Portfolio.name)).scalars():
            subjects = session.query(Subject).filter_by(portfolio_id=portfolio.id).count()
            _, open_alerts = review.queue(
                session, _principal(), portfolio, review.Filters(), limit=1
            )
            console.print(
                f"{portfolio.name}\t{count(subjects, 'subject', 'subjects')}\t"
                f"{count(open_alerts, 'open alert', 'open alerts')}\t"
                f"threshold {portfolio.threshold:g}{', four eyes' if portfolio.four_eyes else ''}",
                markup=False,
            )


@app.command("import")
def import_command(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="CSV, XLSX or JSON lines, one subject per row.", exists=True
        ),
    ],
    portfolio_name: PortfolioOption,
    id_column: Annotated[
        str, typer.Option("--id-column", help="Column with your reference for each subject.")
    ],
    mapping: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
    schema: Annotated[
        str,
        typer.Option(
            "--schema", help=f"What the rows are: {', '.join(MATCHABLE)} (or a schema column)."
        ),
    ] = "LegalEntity",
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet to read.")] = None,
) -> None:
    """Register or update subjects from a file (all or nothing), then screen the new and changed."""
    try:
        with _bar(f"reading {input_path.name}") as bar:
            task = bar.add_task("read", total=None)
            rows, warnings = read_subject_file(
                input_path,
                mapping=_mapping(mapping or []),
                schema=schema,
                id_column=id_column,
                sheet=sheet,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except InvalidInput as error:  # every row's problem, one per line
        err_console.print(f"error: {error.message}", markup=False)
        for problem in error.errors:
            err_console.print(f"  {problem}", markup=False)
        raise typer.Exit(1) from None
    for warning in warnings[:20]:
        err_console.print(f"warning: {warning}", markup=False)
    principal = _principal()
    with write_transaction(state.sessionmaker) as session:
        portfolio = _portfolio(session, portfolio_name)
        result = store_subjects(session, principal, portfolio, rows)
        changed = result.created + result.updated
        run = None
        if changed:
            index = IndexCache().get(session)
            with _bar("screening") as bar:
                task = bar.add_task("screen", total=len(changed))
                run = screen_subjects(
                    session,
                    index,
                    changed,
                    actor=principal.actor,
                    trigger=f"imported from {input_path.name}",
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
    screened = (
        f"{count(run.alerts_new, 'new alert', 'new alerts')}, "
        f"{count(run.alerts_changed, 'changed alert', 'changed alerts')} (pass {run.id})"
        if run is not None
        else "nothing to screen"
    )
    console.print(
        f"{input_path.name}: {count(len(result.created), 'subject', 'subjects')} added, "
        f"{len(result.updated):,} updated, {result.unchanged:,} unchanged; {screened}",
        markup=False,
    )


def run_pass(trigger: str, portfolio_name: str | None = None) -> MonitorRun:
    """One pass with a progress bar: the delta over every portfolio, or one portfolio in full."""
    with transaction(state.sessionmaker) as session:
        portfolio_id = _portfolio(session, portfolio_name).id if portfolio_name else None
        index = IndexCache().get(session)
    with _bar("re-screening subjects") as bar:
        task = bar.add_task("monitor", total=None)
        return monitor(
            state.sessionmaker,
            index,
            actor=operator(),
            trigger=trigger,
            portfolio_id=portfolio_id,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def after_import(lists: list[str]) -> None:
    """Re-screen the watched subjects once lists got new versions (nothing to do: no subjects)."""
    if not lists:
        return
    with transaction(state.sessionmaker) as session:
        watched = session.execute(select(Subject.id).where(Subject.active.is_(True))).first()
    if watched is None:
        return
    console.print(describe(run_pass("new version of " + ", ".join(lists))), markup=False)


def describe(run: MonitorRun) -> str:
    return (
        f"{run.kind} pass {run.id}: {count(run.subjects_checked, 'subject', 'subjects')} checked, "
        f"{run.subjects_rescreened:,} re-screened; "
        f"{count(run.alerts_new, 'new alert', 'new alerts')}, "
        f"{count(run.alerts_changed, 'changed alert', 'changed alerts')}, "
        f"{run.suppressed:,} suppressed, {run.matches_gone:,} matches gone"
    )


@app.command("run")
def run_command(
    portfolio_name: Annotated[
        str | None,
        typer.Option("--portfolio", help="Re-screen this portfolio in full (default: the delta)."),
    ] = None,
) -> None:
    """Re-screen after list changes (every portfolio), or one portfolio in full."""
    trigger = "on demand, in full" if portfolio_name else "on demand"
    console.print(describe(run_pass(trigger, portfolio_name)), markup=False)


@app.command("alerts")
def alerts_command(
    portfolio_name: PortfolioOption,
    status: Annotated[
        str, typer.Option("--status", help="open, all, or one status (false_positive ...).")
    ] = "open",
) -> None:
    """List a portfolio's alerts (tab-separated)."""
    with transaction(state.sessionmaker) as session:
        portfolio = _portfolio(session, portfolio_name)
        rows, total = review.queue(
            session, _principal(), portfolio, review.Filters(status=status), limit=review.PAGE_MAX
        )
        for row in rows:
            alert = row.alert
            console.print(
                f"{alert.id}\t{alert.status}\t{alert.score:.2f}\t{row.subject_reference}\t"
                f"{alert.entity_caption}\t{', '.join(json.loads(alert.datasets))}",
                markup=False,
            )
        if total > len(rows):
            err_console.print(f"first {len(rows):,} of {total:,}", markup=False)


@app.command("history")
def history_command(
    reference: Annotated[str, typer.Argument(help="The subject's reference.")],
    portfolio_name: PortfolioOption,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write JSON here (default: print it).")
    ] = None,
) -> None:
    """A subject's full screening history for an examiner (JSON)."""
    with transaction(state.sessionmaker) as session:
        portfolio = _portfolio(session, portfolio_name)
        subject = session.execute(
            select(Subject).where(
                Subject.portfolio_id == portfolio.id, Subject.reference == reference
            )
        ).scalar_one_or_none()
        if subject is None:
            raise NotFound(f"no subject {reference!r} in {portfolio_name!r}")
        document = json.dumps(
            subject_history(session, subject, portfolio), ensure_ascii=False, indent=2
        )
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document + "\n", encoding="utf-8")
        console.print(f"history of {reference!r} written to {out}", markup=False)
