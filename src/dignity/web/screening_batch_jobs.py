"""Batch screening jobs of the web server: files queued, screened one at a time, then expired.

A job is one uploaded file. `BatchJobs` (one per app, on `app.state.screening_batches`) keeps the
jobs in memory under random ids and runs them in one background thread, started when there is work
and ended when there is none, each with the batch engine's single worker (the web server never
forks). Runs take turns: the engine keeps the job it runs in a module global, so two at once would
mix. Progress comes from the engine's progress callback and the counts it saves after each chunk.

The input is deleted once screened; the results once downloaded, or `expiry` after the run, when a
timer (or the next request) sweeps them away with the job. Directories no job owns (left by a
server that stopped) go once they are older than the expiry. Names are never logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from dignity.exc import DignityError, NotFound, RateLimited
from dignity.screening import batch
from dignity.screening.batch_workers import KEY_MAX
from dignity.settings import Settings
from dignity.web.screening_batch_files import describe

log = logging.getLogger("dignity.web.screening_batch")

CHUNK_SIZE = 100  # rows between two progress updates (and two saves of the run's state)
ACTIVE_PER_USER = 3  # files one user may have queued or running at once
ACTIVE_MAX = 20  # files queued or running on the server at once
KEPT_PER_USER = 10  # results one user may leave on the server, not downloaded yet
SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "jsonl": ".jsonl"}

# The engine names a run's channel `batch:<file name>`; runs started here are `web-batch:<file
# name>`. Until `batch.screen_file` takes a channel, the run's own thread sets it here.
_WEB_CHANNEL: ContextVar[str | None] = ContextVar("web_batch_channel", default=None)
_engine_channel = batch.channel


def _channel(input_path: Path) -> str:
    web = _WEB_CHANNEL.get()
    return web if web is not None else _engine_channel(input_path)


batch.channel = _channel


class Refused(RateLimited):
    """The server already screens as many files as it takes (for one user or for everyone)."""


@dataclass
class BatchJob:
    """One uploaded file: what to screen, and how far it got."""

    id: str
    owner: str  # the id of the user who started it, the only one who sees it
    actor: str
    file_name: str  # as the user named it (cleaned), shown and recorded
    directory: Path
    input_path: Path
    output_path: Path
    options: batch.BatchOptions
    lists: str  # the title of the lists screened against
    output: str  # csv or xlsx
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    state: str = "queued"  # queued, running, done, failed
    rows_done: int = 0
    rows_expected: int | None = None
    matched: int = 0
    errors: int = 0
    warnings: int = 0
    rate: float | None = None  # rows per second
    started: float | None = None  # monotonic, when the first row was about to be screened
    first_rows: int = 0
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    problem: str = ""
    run_id: str = ""
    downloaded: bool = False
    timer: threading.Timer | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def download_name(self) -> str:
        return f"{Path(self.file_name).stem}-screened{SUFFIX[self.output]}"


class TooManyRows(Exception):
    """Raised from the progress callback when a file has more rows than its header promised."""


class BatchJobs:
    """The jobs of one app, run one at a time by a thread started when there is work."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.root = settings.data_dir / "screening-batch"
        self.factory = factory
        self.expiry = timedelta(minutes=settings.screening_batch_expiry_minutes)
        self.max_rows = settings.screening_batch_max_rows
        self._jobs: dict[str, BatchJob] = {}
        self._queue: deque[BatchJob] = deque()
        self._lock = threading.Lock()
        self._working = False
        self.sweep()

    def new_directory(self) -> Path:
        self.root.parent.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)
        directory = self.root / secrets.token_hex(16)
        directory.mkdir(mode=0o700)
        return directory

    def get(self, job_id: str, owner: str) -> BatchJob:
        self.sweep()
        job = self._jobs.get(job_id)
        if job is None or not secrets.compare_digest(job.owner, owner):
            raise NotFound("no such batch screening (finished ones are kept for a while only)")
        return job

    def of(self, owner: str) -> list[BatchJob]:
        self.sweep()
        with self._lock:
            mine = [job for job in self._jobs.values() if job.owner == owner]
        return sorted(mine, key=lambda job: job.created_at, reverse=True)

    def add(self, job: BatchJob) -> None:
        with self._lock:
            active = [j for j in self._jobs.values() if not j.finished]
            if sum(1 for j in active if j.owner == job.owner) >= ACTIVE_PER_USER:
                raise Refused(
                    f"You already have {ACTIVE_PER_USER} files being screened: wait until one "
                    "is done."
                )
            kept = [j for j in self._jobs.values() if j.state == "done" and not j.downloaded]
            if sum(1 for j in kept if j.owner == job.owner) >= KEPT_PER_USER:
                raise Refused(
                    f"You have {KEPT_PER_USER} results waiting on the server: download them "
                    "first (below), or wait until they expire."
                )
            if len(active) >= ACTIVE_MAX:
                raise Refused("The server is screening many files now: try again in a while.")
            self._jobs[job.id] = job
            self._queue.append(job)
            if not self._working:
                self._working = True
                threading.Thread(target=self._work, name="screening-batch", daemon=True).start()

    def ahead_of(self, job: BatchJob) -> int:
        """How many files are screened before this queued one."""
        with self._lock:
            queued = list(self._queue)
        return queued.index(job) + 1 if job in queued else 0

    def claim_download(self, job: BatchJob) -> bool:
        """True once: the results are handed out to one download, then deleted."""
        with self._lock:
            if job.state != "done" or job.downloaded or not job.output_path.exists():
                return False
            job.downloaded = True
            if job.timer is not None:
                job.timer.cancel()
            return True

    def sweep(self) -> None:
        """Forget expired jobs, and delete their files and any directory older than the expiry
        that no job owns (left by a server that stopped)."""
        now = datetime.now(UTC)
        with self._lock:
            for job in [j for j in self._jobs.values() if j.expires_at and j.expires_at <= now]:
                del self._jobs[job.id]
                shutil.rmtree(job.directory, ignore_errors=True)
            owned = {job.directory.name for job in self._jobs.values()}
        oldest = time.time() - self.expiry.total_seconds()
        try:
            for directory in self.root.iterdir():
                if directory.name not in owned and directory.stat().st_mtime < oldest:
                    shutil.rmtree(directory, ignore_errors=True)
        except OSError:  # no directory yet, or one deleted meanwhile: the next sweep sees
            pass

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._working = False
                    return
                job = self._queue[0]
            try:
                self._run(job)
            except Exception as error:  # the thread must go on to the next job
                log.error("batch screening %s: %s", job.id[:8], type(error).__name__)
            finally:
                with self._lock:
                    self._queue.popleft()

    def _run(self, job: BatchJob) -> None:
        job.state = "running"
        token = _WEB_CHANNEL.set(f"web-batch:{job.file_name}"[:KEY_MAX])
        try:
            report = batch.screen_file(
                self.factory,
                job.input_path,
                job.output_path,
                job.options,
                actor=job.actor,
                workers=1,
                chunk_size=CHUNK_SIZE,
                progress=lambda done, expected: self._progress(job, done, expected),
            )
        except TooManyRows:
            job.problem = f"The file has more than {self.max_rows:,} rows; split it."
        except DignityError as error:
            job.problem = f"The file could not be screened. {describe(error, job.input_path)}"
        except Exception as error:  # the server must keep serving; the user is told
            log.error("batch screening %s stopped: %s", job.id[:8], type(error).__name__)
            job.problem = "The screening stopped on an unexpected error; try again."
        else:
            run = report.state
            job.rows_done, job.matched, job.run_id = run.rows_done, run.matched, run.run
            job.errors, job.warnings = run.errors, run.warnings
        finally:
            _WEB_CHANNEL.reset(token)
            with contextlib.suppress(OSError):
                job.input_path.unlink(missing_ok=True)
        job.finished_at = datetime.now(UTC)
        job.expires_at = job.finished_at + self.expiry
        if job.problem:
            shutil.rmtree(job.directory, ignore_errors=True)
            job.state = "failed"
            return
        job.timer = threading.Timer(self.expiry.total_seconds(), self.sweep)
        job.timer.daemon = True
        job.timer.start()
        job.state = "done"

    def _progress(self, job: BatchJob, done: int, expected: int | None) -> None:
        now = time.monotonic()
        if job.started is None:
            job.started, job.first_rows = now, done
        elif now > job.started:
            job.rate = (done - job.first_rows) / (now - job.started)
        job.rows_done, job.rows_expected = done, expected
        state_path = job.output_path.with_name(job.output_path.name + ".state.json")
        try:  # the engine has just saved its counts there
            counts = json.loads(state_path.read_text(encoding="utf-8"))
            job.matched, job.errors = int(counts["matched"]), int(counts["errors"])
            job.warnings = int(counts["warnings"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if done > self.max_rows:
            raise TooManyRows


_CREATING = threading.Lock()


def batch_jobs(request: Request) -> BatchJobs:
    state = request.app.state
    with _CREATING:
        jobs: BatchJobs | None = getattr(state, "screening_batches", None)
        if jobs is None:
            jobs = state.screening_batches = BatchJobs(state.settings, state.sessionmaker)
    return jobs
