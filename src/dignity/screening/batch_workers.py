"""Screening the rows of a batch file on every core.

The parent builds the index once; `Workers` forks processes that inherit it with the rest of the
`Job` (nothing is copied or pickled but rows going out and results coming back). Each chunk of
rows comes back as ready-made result lines and `Screening` rows, in input order, so the parent only
stores and writes. With one worker the chunks are screened in the parent, without a fork.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType
from typing import Any, NamedTuple

from dignity.screening.batch_columns import ColumnMap
from dignity.screening.batch_files import Row
from dignity.screening.index import MemoryIndex
from dignity.screening.score import ALGORITHM, ALGORITHM_VERSION
from dignity.screening.services import Options, hit_summary, match_one
from dignity.store.types import new_id

KEY_MAX = 200  # Screening.query_key and .channel hold this many characters


@dataclass
class Job:
    """What the workers inherit: the index, the column map, the options and the run's constants."""

    index: MemoryIndex
    columns: ColumnMap
    options: Options
    actor: str
    channel: str
    run: dict[str, Any] = field(default_factory=dict)  # kept in every record's settings

    def __post_init__(self) -> None:
        self.versions_json = json.dumps(self.index.versions, sort_keys=True)
        self.common = {
            "list_versions": self.index.versions,
            "algorithm": ALGORITHM,
            "algorithm_version": ALGORITHM_VERSION,
            "threshold": self.options.threshold,
        }


class Done(NamedTuple):
    """A row screened: its result line, its `Screening` row (none on error) and what it was."""

    line: bytes
    screening: dict[str, Any] | None
    error: bool
    warning: bool
    matched: bool


_JOB: Job | None = None  # the job of the run in progress, as the forked workers inherit it


def count_workers(asked: int | None, rows: int | None, chunk_size: int) -> int:
    """`asked`, else one per core available; never more than there are chunks."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wanted = asked if asked is not None else cores or 1
    if rows is not None:
        wanted = min(wanted, -(-rows // chunk_size))
    return max(wanted, 1)


class Workers:
    """`with Workers(job, n) as workers:` forks n processes (none for one) on entry."""

    def __init__(self, job: Job, count: int) -> None:
        self.job = job
        self.count = count
        self._pool: Pool | None = None

    def __enter__(self) -> Workers:
        global _JOB
        _JOB = self.job
        if self.count > 1:
            # Objects the collector never visits are never written to, so the forked workers
            # keep sharing the index's memory pages instead of copying them.
            gc.freeze()
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(self.count, initializer=_ignore_interrupts)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _JOB
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            gc.unfreeze()
        _JOB = None

    def screen(self, chunks: Iterable[list[Row]]) -> Generator[list[Done], None, None]:
        """Each chunk screened, in input order; the workers keep a few chunks ahead."""
        if self._pool is None:
            for chunk in chunks:
                yield _screen_chunk(chunk)
            return
        pending: deque[AsyncResult[list[Done]]] = deque()
        for chunk in chunks:
            pending.append(self._pool.apply_async(_screen_chunk, (chunk,)))
            if len(pending) >= 2 * self.count:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the workers and keeps the state.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _screen_chunk(rows: Sequence[Row]) -> list[Done]:
    job = _JOB
    if job is None:
        raise RuntimeError("a batch chunk was screened outside a run")
    return [screen_row(job, row) for row in rows]


def screen_row(job: Job, row: Row) -> Done:
    """One row: its query, best matches and explanations, as a result line and a record."""
    prepared = job.columns.prepare(row)
    query = {"schema": prepared.schema, "properties": prepared.properties}
    hits: list[dict[str, Any]] = []
    error = prepared.error
    if prepared.record is not None and not error:
        try:
            outcome = match_one(job.index, prepared.record, job.options)
            hits = [hit_summary(hit) for hit in outcome.hits]
        except Exception as failure:  # one row that breaks the matcher must not stop the run
            error = f"row {row.number}: not screened ({type(failure).__name__}: {failure})"
    screening: dict[str, Any] | None = None
    if not error:
        settings = {**job.run, "row": row.number}
        if prepared.warnings:
            settings["warnings"] = prepared.warnings
        screening = {
            "id": new_id(),
            "actor": job.actor,
            "channel": job.channel,
            "query_key": prepared.key[:KEY_MAX],
            "dataset": job.options.dataset,
            "algorithm": ALGORITHM,
            "algorithm_version": ALGORITHM_VERSION,
            "threshold": job.options.threshold,
            "result_limit": job.options.limit,
            "list_versions": job.versions_json,
            "query": json.dumps(query, sort_keys=True),
            "results": json.dumps(hits),
            "settings": json.dumps(settings, sort_keys=True),
            "matches": sum(1 for hit in hits if hit["match"]),
        }
    matched = any(hit["match"] for hit in hits)
    result = {
        "row": row.number,
        "id": prepared.key,
        "query": query,
        "matched": matched,
        "top_score": hits[0]["score"] if hits else None,
        "results": [_result(hit) for hit in hits],
        "error": error,
        "warning": "; ".join(prepared.warnings),
        "screening_id": screening["id"] if screening else "",
        **job.common,
    }
    line = json.dumps(result, ensure_ascii=False) + "\n"
    return Done(line.encode(), screening, bool(error), bool(prepared.warnings), matched)


def _result(hit: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": hit["id"],
        "caption": hit["caption"],
        "schema": hit["schema"],
        "lists": hit["datasets"],
        "score": hit["score"],
        "match": hit["match"],
        "explanation": explain(hit["features"]),
    }


def explain(features: Sequence[dict[str, Any]]) -> str:
    """Features as one line: `name_match +0.93 'Vladimir Putin' ~ 'PUTIN, Vladimir'; ...`."""
    parts = []
    for feature in features:
        text = f"{feature['name']} {feature['effect']:+.2f}"
        if feature.get("query") is not None or feature.get("candidate") is not None:
            text += f" '{feature.get('query') or ''}' ~ '{feature.get('candidate') or ''}'"
        parts.append(text)
    return "; ".join(parts)
