"""`dignity sources`: import official lists, see their versions, compare and export them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from dignity.cli import monitor
from dignity.cli.context import console, count, err_console, operator, state
from dignity.exc import DignityError
from dignity.registry import services as registry
from dignity.registry.models import SourceList
from dignity.sources import fetch
from dignity.sources.bundled import bundled_files
from dignity.sources.formats.ftm import write_entities
from dignity.sources.services import FORMATS, ListFile, open_list
from dignity.store.session import transaction, write_transaction

app = typer.Typer(help="Import and inspect official sanctions lists.", no_args_is_help=True)

FORMAT_HELP = "List format: " + ", ".join(FORMATS) + "."
MIB = 1024 * 1024


def _import(list_file: ListFile, source_url: str = "") -> registry.ImportResult:
    """Import in one transaction, with a progress bar while the file streams in."""
    with _progress() as progress, write_transaction(state.sessionmaker) as session:
        task = progress.add_task(f"importing {list_file.list_name}", total=None)

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        return registry.import_list(
            session, list_file, actor=operator(), progress=advance, source_url=source_url
        )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} entities"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="The file, or the folder of a multi-file set.")],
    format_name: Annotated[str, typer.Option("--format", help=FORMAT_HELP)],
    name: Annotated[
        str | None, typer.Option("--name", help="List name (default: the publisher's).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the import report as JSON.")
    ] = False,
) -> None:
    """Import a local file as the next version of its list, offline (unchanged: nothing added)."""
    result = _import(open_list(path, format_name, name))
    monitor.after_import([result.list_id] if result.changed else [])
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "list": result.list_id,
                    "changed": result.changed,
                    "version": result.version.seq if result.version else None,
                    "report": result.report,
                }
            )
        )
        return
    if result.version is None:
        console.print(f"{result.list_id}: unchanged since the last import; nothing added")
        return
    version = result.version
    console.print(
        f"{result.list_id} version {version.seq}: {count(version.targets, 'target', 'targets')}, "
        f"{count(version.entities, 'entity', 'entities')}, "
        f"{count(version.statements, 'statement', 'statements')}"
    )
    warnings = result.report.get("warnings") or []
    if isinstance(warnings, list) and warnings:
        console.print(
            f"{count(len(warnings), 'warning', 'warnings')}; first: {warnings[0]}", markup=False
        )


@app.command("list")
def list_command() -> None:
    """Show every list with its current version, date and counts."""
    with transaction(state.sessionmaker) as session:
        for source, version in registry.source_lists(session):
            if version is None:
                console.print(f"{source.id}\t(no version)", markup=False)
                continue
            date = version.publisher_date or version.imported_at.date().isoformat()
            console.print(
                f"{source.id}\tv{version.seq}\t{date}\t{version.targets:,} targets\t"
                f"{version.entities:,} entities",
                markup=False,
            )


@app.command("delta")
def delta_command(
    list_id: Annotated[str, typer.Argument(help="List name.")],
    old: Annotated[int, typer.Option("--from", help="Older version number.")],
    new: Annotated[int, typer.Option("--to", help="Newer version number.")],
) -> None:
    """Show entities added, removed and changed between two versions of a list."""
    with transaction(state.sessionmaker) as session:
        change = registry.delta(session, list_id, old, new)
    added, removed, changed = len(change.added), len(change.removed), len(change.changed)
    console.print(
        f"{list_id} v{old} -> v{new}: {added:,} added, {removed:,} removed, {changed:,} changed"
    )
    for label, items in (("+", change.added), ("-", change.removed), ("~", change.changed)):
        for item in items:
            console.print(f"{label} {item.entity_id}\t{item.caption}", markup=False)


@app.command("export")
def export_command(
    list_id: Annotated[str, typer.Argument(help="List name.")],
    out: Annotated[Path, typer.Option("--out", help="File to write (FtM JSON lines).")],
) -> None:
    """Write a list's current version as FollowTheMoney entities (JSON lines)."""
    with transaction(state.sessionmaker) as session, out.open("w", encoding="utf-8") as handle:
        written = write_entities(registry.iter_entities(session, list_id), handle)
    console.print(f"wrote {count(written, 'entity', 'entities')} to {out}")


@app.command("update")
def update_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="LIST",
            help="Lists to update, by list name (un_sc_consolidated) or format (un-xml); "
            "default: every list Dignity can download.",
            show_default=False,
        ),
    ] = None,
    max_size: Annotated[
        int,
        typer.Option("--max-size", min=1, help="Refuse a file over this many MiB."),
    ] = fetch.MAX_BYTES // MIB,
) -> None:
    """Download lists from their publishers and import those whose content changed.

    A list that fails is left as it was and reported; the others carry on (exit status 1).
    """
    chosen = fetch.find_downloads(names or [])
    failures = 0
    changed: list[str] = []
    with state.http_client() as client:
        for source in chosen:
            try:
                line, result = _update(client, source, max_size * MIB)
            except DignityError as error:
                if state.debug:
                    raise
                failures += 1
                err_console.print(f"error: {source.list_name}: {error}", markup=False)
                continue
            console.print(line, markup=False)
            if result.changed:
                changed.append(result.list_id)
    monitor.after_import(changed)
    if failures:
        raise typer.Exit(1)


def _update(
    client: httpx.Client, source: fetch.Download, max_bytes: int
) -> tuple[str, registry.ImportResult]:
    """Download `source` into a temporary folder and import it; the line to print, the result."""
    with tempfile.TemporaryDirectory(prefix="dignity-download-") as tmp:
        # A set is saved in a folder named after its format: the version's source name.
        folder = Path(tmp) / source.format
        with _download_progress() as progress:
            path = fetch.download(
                client, source, folder, max_bytes=max_bytes, progress=_show_bytes(progress)
            )
        try:
            result = _import_download(open_list(path, source.format), source.url)
        except DignityError as error:
            raise DignityError(fetch.public_text(str(error), source, folder)) from error
    if result.version is None:
        return f"{result.list_id}: unchanged since the last version; nothing added", result
    version = result.version
    return (
        f"{result.list_id} version {version.seq}: {count(version.targets, 'target', 'targets')}, "
        f"{count(version.entities, 'entity', 'entities')}, "
        f"{count(version.statements, 'statement', 'statements')}"
    ), result


def _import_download(list_file: ListFile, url: str) -> registry.ImportResult:
    """`_import`, recording `url` on the list in the same transaction (also on a list that was
    first imported from a local file, which `import_list` leaves as it was)."""
    with _progress() as progress, write_transaction(state.sessionmaker) as session:
        task = progress.add_task(f"importing {list_file.list_name}", total=None)

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        result = registry.import_list(
            session, list_file, actor=operator(), progress=advance, source_url=url
        )
        listing = session.get(SourceList, result.list_id)
        if listing is not None and listing.source_url != url:
            listing.source_url = url
        return result


def _download_progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # a transient bar still leaves a blank line in a file
    )


def _show_bytes(progress: Progress) -> fetch.Progress:
    """A `fetch.Progress` that keeps one bar per file in `progress`."""
    tasks: dict[str, TaskID] = {}

    def show(file_name: str, received: int, total: int | None) -> None:
        if file_name not in tasks:
            tasks[file_name] = progress.add_task(f"downloading {file_name}", total=total)
        progress.update(tasks[file_name], completed=received, total=total)

    return show


@app.command("bundled")
def bundled_command() -> None:
    """Import the list snapshots shipped with Dignity (unchanged ones are skipped quickly)."""
    files = bundled_files(state.settings.bundled_dir)
    if not files:
        console.print(f"no bundled lists in {state.settings.bundled_dir}")
        return
    changed = []
    for path, format_name, known_date in files:
        list_file = open_list(path, format_name)
        list_file.known_date = known_date
        result = _import(list_file)
        word = f"version {result.version.seq}" if result.version else "unchanged"
        console.print(f"{result.list_id}: {word}")
        if result.changed:
            changed.append(result.list_id)
    monitor.after_import(changed)
