"""`dignity records`: export a project's documentation and import it into another store.

JSON carries a whole project with the history of changes; CSV carries one record type per file
(a folder holds one file per type, named `<type>.csv`). Exports are written atomically and never
over an existing file without `--force`. Imports are all or nothing: every problem is printed as
`FILE: record N field NAME: message` and nothing is stored. Both are recorded in the audit log.
Neither touches the identity vault: a person travels as its pseudonymous code, never its identity.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.cli.context import console, count, err_console, operator, state
from dignity.documentation import transfer
from dignity.documentation.fields import RECORD_TYPES
from dignity.exc import FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal, operator_principal
from dignity.security.models import Project
from dignity.store.files import atomic_write
from dignity.store.session import transaction, write_transaction

app = typer.Typer(
    help="Export and import documentation records (events, acts, persons ...).",
    no_args_is_help=True,
)

FORMATS = ("json", "csv")
TYPE_HELP = "Record type of the CSV file: " + ", ".join(transfer.ORDER) + "."
# `records.acts[2].victim_id`: the service's name for a field of the 2nd acts record of a file.
_FIELD_PATH = re.compile(r"^records\.(?P<type>[\w-]+)\[(?P<number>\d+)\](?:\.(?P<field>.+))?$")

ProjectOption = Annotated[
    str, typer.Option("--project", help="Project (case file), by name or id.", show_default=False)
]


def _principal() -> Principal:
    return operator_principal(operator().removeprefix("operator:"))


def _project(session: Session, name_or_id: str) -> Project:
    found = (
        session.get(Project, name_or_id)
        or session.execute(select(Project).where(Project.name == name_or_id)).scalar_one_or_none()
    )
    if found is None:
        raise NotFound(f"no project named {name_or_id!r}")
    return found


@contextmanager
def _progress(what: str) -> Iterator[Progress]:
    bar = Progress(
        SpinnerColumn(),
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,  # scripts and logs get the result lines only
    )
    with bar:
        yield bar


def _summary(counts: dict[str, int]) -> list[str]:
    """One line per record type that has records, `events      1,204`."""
    return [f"  {name:<14}{n:>10,}" for name, n in counts.items() if n]


@app.command("export")
def export_command(
    project: ProjectOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="File to write (a folder for CSV without --type).",
            show_default=False,
        ),
    ],
    format_name: Annotated[
        str, typer.Option("--format", help="json (a whole project) or csv (by record type).")
    ] = "json",
    type_name: Annotated[
        str | None,
        typer.Option("--type", help="With --format csv: only this record type, into one file."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that already exist.")
    ] = False,
) -> None:
    """Export a project's records: JSON with their history, or CSV by record type."""
    if format_name not in FORMATS:
        raise InvalidInput("unknown format", [FieldError("--format", "json or csv")])
    if type_name is not None and (format_name != "csv" or type_name not in RECORD_TYPES):
        raise InvalidInput(
            "--type needs --format csv and a record type",
            [FieldError("--type", ", ".join(transfer.ORDER))],
        )
    if format_name == "json":
        targets = {"project": out}
    elif type_name is not None:
        targets = {type_name: out}
    else:
        targets = {name: out / f"{name}.csv" for name in transfer.ORDER}
    if format_name == "csv" and type_name is None and out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} is not a folder; nothing was written")
    if any(path.is_dir() for path in targets.values()):
        raise InvalidInput(f"{out} is a folder; nothing was written")
    existing = [path for path in targets.values() if path.exists()]
    if existing and not force:
        raise InvalidInput(
            f"{existing[0]} already exists; nothing was written (--force overwrites)"
        )
    principal = _principal()
    written: list[Path] = []
    try:
        with transaction(state.sessionmaker) as session, _progress("exporting") as bar:
            found = _project(session, project)
            bar.add_task("export", total=None)
            counts = _export(session, principal, found.id, format_name, targets, written)
        # written: the export is recorded in a short transaction of its own (on SQLite, the long
        # read above could not write once a server had written meanwhile)
        with write_transaction(state.sessionmaker) as session:
            if format_name == "json":
                details: list[dict[str, Any]] = [{"format": "json", "records": counts}]
            else:
                details = [{"format": "csv", "type": name} for name in targets]
            for detail in details:
                transfer.record_export(session, principal, found.id, detail)
    except BaseException:  # the audit event was not committed: take back what was written
        for path in written:
            if path not in existing:
                path.unlink(missing_ok=True)
        raise
    where = out if len(targets) == 1 else f"{out}/"
    total = count(sum(counts.values()), "record", "records")
    console.print(f"{found.name}: wrote {total} to {where}", markup=False)
    for line in _summary(counts):
        console.print(line, markup=False)


def _export(
    session: Session,
    principal: Principal,
    project_id: str,
    format_name: str,
    targets: dict[str, Path],
    written: list[Path],
) -> dict[str, int]:
    """Write each target atomically (in the export's reading transaction); records by type."""
    if format_name == "json":
        document = transfer.export_project(session, principal, project_id)
        atomic_write(targets["project"], (transfer.dumps(document) + "\n").encode("utf-8"))
        written.append(targets["project"])
        return {name: len(rows) for name, rows in document["records"].items()}
    counts: dict[str, int] = {}
    for name, path in targets.items():
        text = transfer.export_csv(session, principal, project_id, name)
        atomic_write(path, text.encode("utf-8"))
        written.append(path)
        counts[name] = sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # less the header
    return counts


@app.command("import")
def import_command(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A JSON export, one CSV file, or a folder of CSV files named <type>.csv.",
            exists=True,
            show_default=False,
        ),
    ],
    project: ProjectOption,
    type_name: Annotated[
        str | None,
        typer.Option("--type", help=TYPE_HELP + " Default: the file's name (events.csv)."),
    ] = None,
) -> None:
    """Import records into a project, all or nothing; every problem is named by record and field."""
    principal = _principal()
    files: dict[str, Path] = {}
    document: dict[str, Any] = {}
    try:
        files, document = _read(path, type_name)
        with write_transaction(state.sessionmaker) as session, _progress("storing records") as bar:
            found = _project(session, project)
            task = bar.add_task("import", total=None)
            counts = transfer.import_project(
                session,
                principal,
                found.id,
                document,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except InvalidInput as error:
        _refuse(error, path, files, document)
    total = count(sum(counts.values()), "record", "records")
    console.print(f"{path.name}: imported {total} into {found.name}", markup=False)
    for line in _summary(counts):
        console.print(line, markup=False)


def _read(path: Path, type_name: str | None) -> tuple[dict[str, Path], dict[str, Any]]:
    """The files read by record type, and the document `import_project` takes."""
    if path.is_dir():
        files = {name: path / f"{name}.csv" for name in transfer.ORDER}
        files = {name: file for name, file in files.items() if file.is_file()}
        if not files:
            raise InvalidInput(f"{path}: no <type>.csv file in this folder; nothing was stored")
        return files, _csv_document(files)
    if path.suffix.lower() == ".csv" or type_name is not None:
        name = type_name or path.stem
        if name not in RECORD_TYPES:
            raise InvalidInput(
                f"{path}: which record type? nothing was stored",
                [FieldError("--type", ", ".join(transfer.ORDER))],
            )
        return {name: path}, _csv_document({name: path})
    try:
        document = json.loads(_text(path))
    except ValueError as error:
        raise InvalidInput(f"{path}: not a JSON export ({error}); nothing was stored") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{path}: not a Dignity documentation export; nothing was stored")
    return {}, document


def _csv_document(files: dict[str, Path]) -> dict[str, Any]:
    records = {
        name: transfer.csv_records(RECORD_TYPES[name], _text(file), str(file))
        for name, file in files.items()
    }
    return {"format": transfer.FORMAT, "records": records}


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text; nothing was stored") from None


def _refuse(
    error: InvalidInput, path: Path, files: dict[str, Path], document: dict[str, Any]
) -> NoReturn:
    """Print every problem the import found, one line each, and exit 1."""
    err_console.print(f"error: {path}: {error.message}", markup=False)
    for problem in error.errors:
        err_console.print(_where(problem, path, files, document), markup=False)
    raise typer.Exit(1)


def _where(
    problem: FieldError, path: Path, files: dict[str, Path], document: dict[str, Any]
) -> str:
    """`FILE: record N (id ID) field NAME: message`; a record of a JSON file is `TYPE[N]`."""
    found = _FIELD_PATH.match(problem.field)
    if found is None:
        return f"{problem.location or path}: {problem.field}: {problem.message}"
    name, number, field = found["type"], int(found["number"]), found["field"]
    source = files.get(name)
    record = str(number) if source is not None else f"{name}[{number}]"
    item = _item(document, name, number)
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
        record += f" (id {item['id']})"
    field_part = f" field {field}" if field else ""
    return f"{source or path}: record {record}{field_part}: {problem.message}"


def _item(document: dict[str, Any], name: str, number: int) -> object:
    records = document.get("records")
    items = records.get(name) if isinstance(records, dict) else None
    return items[number - 1] if isinstance(items, list) and 0 < number <= len(items) else None
