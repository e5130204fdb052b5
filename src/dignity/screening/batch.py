"""Batch screening: a customer file in, its best matches out, on every core, resumable.

The parent builds the index once and screens the rows in chunks on forked workers
(`batch_workers`). For each chunk in input order it stores the `Screening` records (one per row
screened, channel `batch:<file name>`), appends the result lines to `OUTPUT.partial`, and then
records in `OUTPUT.state.json` how far the run got. Run again after an interruption, the same
command continues after the last chunk recorded there; it refuses when the input, the options or
the list versions changed since. At the end one audit event (`screening.batch`) names the run, and
the results are rendered to OUTPUT in its format and put in place atomically.

A kill between storing a chunk's records and recording the chunk in the state file screens that
chunk again on resume: its first records stay stored (they were real screenings), unreferenced.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit import record_event
from dignity.exc import Conflict, InvalidInput, NotFound
from dignity.screening.batch_columns import ColumnMap
from dignity.screening.batch_files import (
    InputFile,
    Row,
    open_input,
    output_kind,
    read_rows,
    render_output,
    write_atomically,
)
from dignity.screening.batch_workers import KEY_MAX, Done, Job, Workers, count_workers
from dignity.screening.models import Screening
from dignity.screening.score import ALGORITHM, ALGORITHM_VERSION, DEFAULT_THRESHOLD
from dignity.screening.services import (
    DEFAULT_DATASET,
    IndexCache,
    Options,
    screening_document,
)
from dignity.store.files import atomic_write
from dignity.store.session import transaction
from dignity.store.types import new_id, utcnow

DEFAULT_LIMIT = 3
CHUNK_SIZE = 200
STATE_FORMAT = "dignity-batch-state/1"

Progress = Callable[[int, int | None], None]  # rows done, rows expected (about)


@dataclass(frozen=True)
class BatchOptions:
    """What decides a run's results: a resumed run must be given the same."""

    mapping: tuple[tuple[str, str], ...] = ()  # (property, column) from --map
    schema: str = "LegalEntity"
    id_column: str | None = None
    sheet: str | None = None
    dataset: str = DEFAULT_DATASET
    threshold: float = DEFAULT_THRESHOLD
    limit: int = DEFAULT_LIMIT

    def as_json(self) -> Any:
        return json.loads(json.dumps(asdict(self)))


@dataclass
class BatchState:
    """How far a run got; kept in OUTPUT.state.json, rewritten atomically after each chunk."""

    run: str
    input: str
    input_sha256: str
    options: Any
    list_versions: dict[str, int]
    algorithm: str
    started_at: str
    rows_done: int = 0
    partial_bytes: int = 0
    screened: int = 0
    errors: int = 0
    warnings: int = 0
    matched: int = 0
    resumed: int = 0
    finished: bool = False
    format: str = STATE_FORMAT


@dataclass
class BatchReport:
    state: BatchState
    output: Path
    resumed_at: int = 0  # rows already done when this invocation started


def screen_file(
    factory: sessionmaker[Session],
    input_path: Path,
    output_path: Path,
    options: BatchOptions,
    *,
    actor: str,
    workers: int | None = None,
    restart: bool = False,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
) -> BatchReport:
    """Screen every row of `input_path` into `output_path` (see the module doc)."""
    kind = output_kind(output_path)
    if input_path.resolve() == output_path.resolve():
        raise InvalidInput("the output would overwrite the input; choose another --out")
    source = open_input(input_path, options.sheet)
    columns = ColumnMap(
        options.mapping, options.schema, options.id_column, source.header, str(input_path)
    )
    with transaction(factory) as session:
        index = IndexCache().get(session)
    if not index.versions:
        raise NotFound("no lists to screen against; import some first (dignity sources)")
    if options.dataset != DEFAULT_DATASET and options.dataset not in index.versions:
        raise NotFound(f"no list named {options.dataset!r}")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(output_path.name + ".partial")
    state_path = output_path.with_name(output_path.name + ".state.json")
    state = _resume(state_path, partial, source, options, index.versions, restart)
    report = BatchReport(state, output_path, state.rows_done)
    if not state.finished:
        job = Job(
            index,
            columns,
            Options(dataset=options.dataset, threshold=options.threshold, limit=options.limit),
            actor=actor,
            channel=channel(input_path),
            run={"batch": state.run, "input": state.input, "input_sha256": state.input_sha256},
        )
        remaining = None if source.rows is None else max(source.rows - state.rows_done, 1)
        count = count_workers(workers, remaining, chunk_size)
        _run(factory, job, count, source, partial, state_path, state, chunk_size, progress)
        with transaction(factory) as session:
            _record_run(session, actor, output_path, state)
        state.finished = True
        _save(state_path, state)
    if partial.exists():
        render_output(partial, output_path, kind, options.limit)
    state_path.unlink(missing_ok=True)
    return report


def _resume(
    path: Path,
    partial: Path,
    source: InputFile,
    options: BatchOptions,
    versions: dict[str, int],
    restart: bool,
) -> BatchState:
    """The state of the interrupted run to continue, or of a new one."""
    algorithm = f"{ALGORITHM}/{ALGORITHM_VERSION}"
    if path.exists() and not restart:
        state = _load(path)
        changed = [
            what
            for what, old, new in (
                ("the input file", state.input_sha256, source.sha256),
                ("the options", state.options, options.as_json()),
                ("the list versions", state.list_versions, versions),
                ("the matching algorithm", state.algorithm, algorithm),
            )
            if old != new
        ]
        if changed:
            raise Conflict(
                f"{path.name} records an interrupted run, but {' and '.join(changed)} changed "
                "since; continue it with the same input, options and lists, or pass --restart "
                "to start over"
            )
        if state.finished:
            return state
        if not partial.exists() or partial.stat().st_size < state.partial_bytes:
            raise Conflict(f"{partial} is missing or cut short; pass --restart to start over")
        with partial.open("r+b") as handle:  # drop what a chunk left after the last record
            handle.truncate(state.partial_bytes)
        state.resumed += 1
        return state
    state = BatchState(
        run=new_id(),
        input=source.path.name,
        input_sha256=source.sha256,
        options=options.as_json(),
        list_versions=dict(versions),
        algorithm=algorithm,
        started_at=utcnow().isoformat(),
    )
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    _save(path, state)
    return state


def _load(path: Path) -> BatchState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != STATE_FORMAT:
            raise TypeError(data.get("format"))
        return BatchState(**data)
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise Conflict(
            f"{path} is not the state of a batch run; pass --restart to start over"
        ) from error


def _save(path: Path, state: BatchState) -> None:
    atomic_write(path, json.dumps(asdict(state), indent=1).encode())


def _run(
    factory: sessionmaker[Session],
    job: Job,
    workers: int,
    source: InputFile,
    partial: Path,
    state_path: Path,
    state: BatchState,
    chunk_size: int,
    progress: Progress | None,
) -> None:
    expected = source.rows
    chunks = _chunks(read_rows(source), state.rows_done, chunk_size)
    # The workers are forked before anything (a progress bar) starts a thread.
    with Workers(job, workers) as forked:
        if progress is not None:
            progress(state.rows_done, expected)
        with closing(forked.screen(chunks)) as results, partial.open("ab") as handle:
            for chunk in results:
                _store(factory, chunk)
                handle.write(b"".join(done.line for done in chunk))
                handle.flush()
                os.fsync(handle.fileno())
                state.rows_done += len(chunk)
                state.partial_bytes = handle.tell()
                for done in chunk:
                    state.errors += done.error
                    state.screened += not done.error
                    state.warnings += done.warning
                    state.matched += done.matched
                _save(state_path, state)
                if progress is not None:
                    progress(state.rows_done, expected and max(expected, state.rows_done))


def _store(factory: sessionmaker[Session], chunk: Sequence[Done]) -> None:
    """The chunk's screening records, in one insert of many rows."""
    records = [done.screening for done in chunk if done.screening is not None]
    if not records:
        return
    now = utcnow()
    for record in records:
        record["created_at"] = now
    with transaction(factory) as session:
        session.execute(insert(Screening), records)


def _chunks(rows: Iterator[Row], skip: int, size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for position, row in enumerate(rows):
        if position < skip:
            continue
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _record_run(session: Session, actor: str, output: Path, state: BatchState) -> None:
    record_event(
        session,
        actor=actor,
        action="screening.batch",
        object_type="screening_batch",
        object_id=state.run,
        details={
            "channel": channel(Path(state.input)),
            "input": state.input,
            "input_sha256": state.input_sha256,
            "output": output.name,
            "rows": state.rows_done,
            "screened": state.screened,
            "errors": state.errors,
            "warnings": state.warnings,
            "matched": state.matched,
            "resumed": state.resumed,
            "started_at": state.started_at,
            "list_versions": state.list_versions,
            "algorithm": state.algorithm,
            "options": state.options,
        },
    )


def channel(input_path: Path) -> str:
    """The channel of a batch run's screening records: `batch:<input file name>`."""
    return f"batch:{input_path.name}"[:KEY_MAX]


def export_screenings(
    session: Session,
    out: Path,
    *,
    since: datetime | None = None,
    asked_by: str | None = None,
) -> int:
    """Every screening record (since a time, of one actor) as JSON lines, for an examiner.

    It only reads: the caller records the export (`record_export`: the records name customers)
    once the file is written, in a short transaction of its own.
    """
    query = select(Screening).order_by(Screening.created_at, Screening.id)
    if since is not None:
        query = query.where(Screening.created_at >= since)
    if asked_by is not None:
        query = query.where(Screening.actor == asked_by)
    rows = session.execute(query.execution_options(yield_per=500)).scalars()
    return write_atomically(
        out, (json.dumps(screening_document(row), ensure_ascii=False) + "\n" for row in rows)
    )


def record_export(
    session: Session,
    out: Path,
    written: int,
    *,
    actor: str,
    since: datetime | None = None,
    asked_by: str | None = None,
) -> None:
    """The audit event of an export of screening records (`export_screenings`)."""
    record_event(
        session,
        actor=actor,
        action="screening.exported",
        object_type="screening",
        details={
            "file": out.name,
            "records": written,
            "since": since.isoformat() if since else None,
            "actor": asked_by,
        },
    )
