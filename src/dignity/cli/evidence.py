"""`dignity evidence`: add files to the evidence vault, check fixity, read chains of custody,
export signed bundles and verify them.

Files are streamed in blocks, encrypted before anything is written, and stored with their
collection record; each file is stored in a transaction of its own, so the files named before a
refused one stay stored and are listed. The operator acts with every right (they hold the store
and its keys), so an export needs no step-up here; every action is in the item's custody and the
audit log under their account name. `verify-bundle` opens no database: it runs anywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from dignity.cli.context import console, count, err_console, operator, state
from dignity.evidence import fixity
from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.exc import FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal, operator_principal
from dignity.security.crypto import Keyring, load_keyring
from dignity.security.keys import load_signing_key
from dignity.security.models import Project
from dignity.store.session import transaction, write_transaction

app = typer.Typer(
    help="Evidence vault: add files, check their fixity, read their chains of custody, export "
    "and verify signed bundles.",
    no_args_is_help=True,
)

READ_BYTES = 1024 * 1024
ProjectOption = Annotated[
    str, typer.Option("--project", help="Project (case file), by name or id.", show_default=False)
]


def _principal() -> Principal:
    return operator_principal(operator().removeprefix("operator:"))


def _keyring() -> Keyring:
    return load_keyring(state.settings.key_dir)


def _store() -> LocalBlobStore:
    return LocalBlobStore(state.settings.evidence_dir)


def _signing_key() -> Ed25519PrivateKey:
    return load_signing_key(state.settings.evidence_signing_key_path, create=True)


def _project(session: Session, name_or_id: str) -> Project:
    found = (
        session.get(Project, name_or_id)
        or session.execute(select(Project).where(Project.name == name_or_id)).scalar_one_or_none()
    )
    if found is None:
        raise NotFound(f"no project named {name_or_id!r}")
    return found


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(READ_BYTES):
            yield block


@contextmanager
def _bar(*columns: object) -> Iterator[Progress]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *columns,  # type: ignore[arg-type]
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,  # scripts and logs get the result lines only
    )
    with bar:
        yield bar


def _advance(bar: Progress, task: TaskID, done: int) -> None:
    bar.update(task, completed=done)


def _collected_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            "the collection time is not valid",
            [FieldError("--collected-at", "ISO 8601 with its UTC offset, e.g. 2024-05-01T14:03Z")],
        )
    return moment


@app.command("add")
def add_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="Files to store, each as an original of the project.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    project: ProjectOption,
    collected_by: Annotated[
        str, typer.Option("--collected-by", help="Who collected it (stored encrypted).")
    ],
    source: Annotated[
        str,
        typer.Option("--source", help="Where from: a URL or a device (stored encrypted)."),
    ],
    collected_at: Annotated[
        str,
        typer.Option(
            "--collected-at", help="When it was collected: ISO 8601 with its offset (UTC)."
        ),
    ],
    method: Annotated[
        str,
        typer.Option("--method", help="How: download, screenshot, device copy, received ..."),
    ] = "received",
    clock_source: Annotated[
        str,
        typer.Option("--clock-source", help="What the time was read from: device, ntp, stated ..."),
    ] = "stated",
    tool: Annotated[str, typer.Option("--tool", help="Tool used to collect it.")] = "",
    tool_version: Annotated[str, typer.Option("--tool-version", help="Version of the tool.")] = "",
    account: Annotated[
        str,
        typer.Option("--account", help="Account or persona used to reach the source (encrypted)."),
    ] = "",
    purpose: Annotated[
        str, typer.Option("--purpose", help="Why it was collected (stored encrypted).")
    ] = "",
    event: Annotated[
        str | None, typer.Option("--event", help="Id of the documented event it is evidence of.")
    ] = None,
    second_digest: Annotated[
        bool, typer.Option("--second-digest", help="Also record a SHA3-512 of each file.")
    ] = False,
    allow_active: Annotated[
        bool,
        typer.Option(
            "--allow-active",
            help="Keep active content (web pages, scripts, executables) and files whose "
            "content contradicts their name, such as a spyware sample.",
        ),
    ] = False,
) -> None:
    """Store files as originals of a project, each with the same collection record."""
    record = evidence.collection(
        collected_by=collected_by,
        method=method,
        tool=tool,
        tool_version=tool_version,
        account_or_persona=account,
        source=source,
        collected_at=_collected_at(collected_at),
        clock_source=clock_source,
        purpose=purpose,
    )
    principal, keyring, store = _principal(), _keyring(), _store()
    limit = state.settings.evidence_max_bytes
    with _bar(DownloadColumn(), TransferSpeedColumn()) as bar:
        for path in files:
            task = bar.add_task(escape(repr(path.name)), total=path.stat().st_size)
            with write_transaction(state.sessionmaker) as session:
                item = evidence.add_evidence(
                    session,
                    principal,
                    keyring,
                    store,
                    _project(session, project).id,
                    _blocks(path),
                    filename=path.name,
                    collection=record,
                    event_id=event,
                    max_bytes=limit,
                    second_digest=second_digest,
                    allow_active=allow_active,
                    progress=functools.partial(_advance, bar, task),
                )
            bar.remove_task(task)
            console.print(
                f"{path}: stored as {item.id} ({item.media_type}, "
                f"{count(item.size, 'byte', 'bytes')}, sha256 {item.sha256})",
                markup=False,
            )


@app.command("list")
def list_command(project: ProjectOption) -> None:
    """List a project's items: id, kind, type, size, state and file name."""
    principal, keyring = _principal(), _keyring()
    with transaction(state.sessionmaker) as session:
        found = _project(session, project)
        items = evidence.list_items(session, principal, found.id)
        for item in items:
            kind = item.kind if item.derived_from is None else f"{item.operation} of"
            derived = f" {item.derived_from}" if item.derived_from else ""
            name = evidence.filename_of(session, keyring, item)
            console.print(
                f"{item.id}  {kind}{derived}  {item.media_type}  {item.size:,} bytes  "
                f"{item.state}  {item.ingested_at:%Y-%m-%d %H:%M:%S}  {name!r}",
                markup=False,
            )
    console.print(f"{found.name}: {count(len(items), 'item', 'items')}", markup=False)


@app.command("verify")
def verify_command() -> None:
    """Re-hash every stored item (fixity); exits 1 if any is corrupt or missing."""
    keyring, store = _keyring(), _store()
    with _bar(MofNCompleteColumn()) as bar:
        task = bar.add_task("checking", total=None)
        report = fixity.verify_all(
            state.sessionmaker,
            keyring,
            store,
            actor=operator(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    for item_id in report.corrupt:
        console.print(f"corrupt: {item_id}", markup=False)
    for blob_id in report.orphans:
        console.print(f"orphan blob (no item names it): {blob_id}", markup=False)
    console.print(
        f"checked {count(report.checked, 'item', 'items')}: {report.ok:,} ok, "
        f"{len(report.corrupt):,} corrupt, "
        f"{count(len(report.orphans), 'orphan blob', 'orphan blobs')}",
        markup=False,
    )
    if report.corrupt:
        raise typer.Exit(1)


@app.command("custody")
def custody_command(
    item_id: Annotated[str, typer.Argument(metavar="ITEM", help="Id of the evidence item.")],
) -> None:
    """Print an item's chain of custody and whether it verifies; exits 1 if it does not."""
    principal = _principal()
    with transaction(state.sessionmaker) as session:
        events = evidence.custody(session, principal, item_id)
        report = evidence.verify_chain(session, principal, item_id)
    for event in events:
        details = " ".join(f"{k}={v}" for k, v in sorted(event.details.items()))
        console.print(
            f"{event.seq:>4}  {event.at:%Y-%m-%d %H:%M:%S}  {event.action:<16} {event.actor}  "
            f"{event.purpose!r}  sha256 {event.sha256 or '-'}  {details}",
            markup=False,
        )
    if not report.ok:
        err_console.print(
            f"{item_id}: the chain of custody is broken at entry {report.first_bad}: "
            f"{report.problem}",
            markup=False,
        )
        raise typer.Exit(1)
    console.print(
        f"{item_id}: the chain of custody verifies ({count(report.entries, 'entry', 'entries')})",
        markup=False,
    )


@app.command("export")
def export_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Bundle file to write (a ZIP); it must not exist.", show_default=False
        ),
    ],
    purpose: Annotated[
        str,
        typer.Option(
            "--purpose",
            help="Why it is exported (recorded in each item's custody and the bundle).",
            show_default=False,
        ),
    ],
    items: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ITEM]...", help="Ids of the items to export.", show_default=False),
    ] = None,
    event: Annotated[
        str | None,
        typer.Option("--event", help="Export the originals that are evidence of this event (id)."),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", help="Export every original of this project (name or id)."),
    ] = None,
    working_copies: Annotated[
        bool,
        typer.Option("--working-copies", help="Add the working copies made from those items."),
    ] = False,
) -> None:
    """Write a signed bundle of evidence items that verifies on a machine with no database."""
    principal, keyring, store, key = _principal(), _keyring(), _store(), _signing_key()
    corrupt: evidence.CorruptEvidence | None = None
    written: evidence.WrittenBundle | None = None
    try:
        # Written while reading, then recorded in a short transaction of its own: a server
        # writing to the same store meanwhile cannot make the export fail (on SQLite a
        # transaction that has read cannot write once another writer has committed).
        with (
            _bar(DownloadColumn(), TransferSpeedColumn()) as bar,
            transaction(state.sessionmaker) as session,
        ):
            task = bar.add_task("exporting", total=None)
            try:
                written = evidence.write_bundle(
                    session,
                    principal,
                    keyring,
                    store,
                    out,
                    item_ids=items or (),
                    event_id=event,
                    project_id=_project(session, project).id if project is not None else None,
                    include_working_copies=working_copies,
                    signing_key=key,
                    purpose=purpose,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            except evidence.CorruptEvidence as error:
                corrupt = error  # nothing was written: record the item corrupt, then report it
        if corrupt is not None:  # marked in a write of its own, as the bundle is recorded
            with write_transaction(state.sessionmaker) as session:
                evidence.record_corrupt(session, principal, corrupt)
            raise corrupt
        if written is None:
            raise RuntimeError("no bundle was written")
        with write_transaction(state.sessionmaker) as session:
            result = evidence.record_bundle(session, principal, written)
    except BaseException:
        if written is not None:  # the export entries were not committed: no unlogged bundle
            written.discard()
        raise
    console.print(
        f"{result.path}: {count(len(result.items), 'item', 'items')}, "
        f"{count(result.files, 'file', 'files')}, {count(result.content_bytes, 'byte', 'bytes')} "
        f"of evidence; manifest sha256 {result.manifest_sha256}",
        markup=False,
    )
    console.print(
        f"signed with key {result.key_id}: give the recipient this key id through another "
        "channel than the bundle",
        markup=False,
    )


@app.command("verify-bundle")
def verify_bundle_command(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="The bundle to check.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    key_id: Annotated[
        str | None,
        typer.Option(
            "--key-id",
            help="The exporter's key id, obtained out of band; the bundle must be signed by it.",
        ),
    ] = None,
) -> None:
    """Check a bundle (signature, every file, every chain of custody); exits 1 on any problem."""
    report = evidence.verify_bundle(path, trusted_key_id=key_id)
    for problem in report.problems:
        console.print(f"problem: {problem}", markup=False)
    if not report.ok:
        console.print(
            f"{path}: NOT valid: {count(len(report.problems), 'problem', 'problems')}",
            markup=False,
        )
        raise typer.Exit(1)
    console.print(
        f"{path}: valid: {count(report.items, 'item', 'items')}, "
        f"{count(report.files, 'file', 'files')}, exported {report.created_at} by "
        f"{report.exporter} for {report.purpose!r}",
        markup=False,
    )
    if report.trusted_key:
        console.print(f"signed by the trusted key {report.key_id}", markup=False)
    else:
        console.print(
            f"signed by key {report.key_id}: compare it with the exporter's key id obtained out "
            "of band (or pass it with --key-id); anyone can sign a bundle with a key of their own",
            markup=False,
        )
