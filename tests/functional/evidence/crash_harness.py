"""Machinery of the crash test (issue 8 item 8, SECURITY.md item 42): the real server in a process
of its own, concurrent streaming uploads, SIGKILL at random moments, and the checks after each
restart.

The server is `dignity serve`, configured only by DIGNITY_* environment variables, on a store, blob
directory and key directory of its own. Importing the app takes seconds of CPU, which two hundred
restarts cannot afford on a shared two-core machine, so the servers are forked from a *launcher*
(`python crash_harness.py`, run as a separate process) that has imported Dignity once and reads
the environment in nothing: each fork runs `dignity serve` from its command line, builds its
settings, engine and app, runs the start-up recovery and serves until it is killed. SIGKILL gives
it no chance to clean up, exactly as for a server started from the shell.
DIGNITY_CRASH_EXEC=1 starts every server with a fresh `dignity serve` instead of a fork (slower;
the same checks).

What the harness remembers of each upload is its size and SHA-256, never its bytes; an upload is
*acknowledged* when the server answered 201 with an item id and that SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit import maintenance
from dignity.audit.models import AuditEvent
from dignity.evidence import fixity
from dignity.evidence.blobs import LocalBlobStore
from dignity.evidence.models import STORED, CustodyEvent, EvidenceItem
from dignity.security.crypto import Keyring
from dignity.settings import Settings

START_SECONDS = 120.0  # a loaded machine can take long to start a server
PREFIX = b"\x00crash-harness\x00"  # binary, of no known type: no upload is refused for its content
MIN_BYTES, MAX_BYTES = len(PREFIX) + 1, 4 << 20
PURPOSE = "crash harness check"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(settings: Settings) -> dict[str, str]:
    """The process environment that configures a server exactly like `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGNITY_")}
    env.update(
        DIGNITY_ENV=settings.env,
        DIGNITY_SECRET_KEY=settings.secret_key.get_secret_value(),
        DIGNITY_DATA_DIR=str(settings.data_dir),
        DIGNITY_DATABASE_URL=settings.sqlalchemy_url,
        DIGNITY_BLOB_DIR=str(settings.evidence_dir),
        DIGNITY_KEK_DIR=str(settings.key_dir),
        DIGNITY_EVIDENCE_MAX_BYTES=str(settings.evidence_max_bytes),
        DIGNITY_LOG_LEVEL="WARNING",
    )
    return env


# --- the server process ---------------------------------------------------------------------


class Launcher:
    """Starts servers: forked from a launcher process (default) or exec'd afresh."""

    def __init__(self, env: dict[str, str], log: IO[bytes], *, fresh: bool) -> None:
        self.env, self.log, self.fresh = env, log, fresh
        self.zygote: subprocess.Popen[str] | None = None
        if not fresh:
            self.zygote = subprocess.Popen(
                [sys.executable, __file__],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
            )

    def _ask(self, line: str) -> str:
        assert self.zygote is not None
        assert self.zygote.stdin is not None
        assert self.zygote.stdout is not None
        self.zygote.stdin.write(line + "\n")
        self.zygote.stdin.flush()
        answer = self.zygote.stdout.readline().strip()
        if not answer:
            raise RuntimeError("the server launcher stopped (see the server log)")
        return answer

    def start(self, port: int) -> Server:
        if self.zygote is None:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVE_SCRIPT, str(port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
            )
            return Server(process.pid, port, self, process)
        return Server(int(self._ask(f"serve {port}")), port, self)

    def reap(self, server: Server) -> int:
        """Wait for `server` to end; its raw wait status."""
        if server.process is not None:
            code = server.process.wait()
            return -code if code < 0 else code << 8
        return int(self._ask(f"reap {server.pid}"))

    def close(self) -> None:
        if self.zygote is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self._ask("quit")
            for pipe in (self.zygote.stdin, self.zygote.stdout):
                if pipe is not None:
                    pipe.close()
            self.zygote.wait(30)


@dataclass
class Server:
    pid: int
    port: int
    launcher: Launcher
    process: subprocess.Popen[bytes] | None = None
    status: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A dead fork stays a zombie until the launcher reaps it.
        with contextlib.suppress(OSError):
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            return state != "Z"
        return True

    def wait_ready(self, client: httpx.Client) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the server on port {self.port} died while starting")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"the server did not answer within {START_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL, then wait until the process is gone."""
        os.kill(self.pid, signal.SIGKILL)
        self.status = self.launcher.reap(self)
        if not (os.WIFSIGNALED(self.status) and os.WTERMSIG(self.status) == signal.SIGKILL):
            raise RuntimeError(f"the server ended otherwise than by SIGKILL: {self.status}")


SERVE_SCRIPT = """\
import sys
from dignity.cli.app import main
sys.argv = ["dignity", "serve", "--host", "127.0.0.1", "--port", sys.argv[1]]
main()
"""


def _answer(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _zygote() -> None:
    """The launcher: import Dignity once, then fork a `dignity serve` for each `serve PORT`."""
    import dignity.api.app  # noqa: F401 (imported before any fork, so each fork starts quickly)
    from dignity.cli.app import main

    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "quit":
            _answer("bye")
            return
        if command == "reap":
            _, status = os.waitpid(int(argument), 0)
            _answer(str(status))
            continue
        pid = os.fork()
        if pid == 0:  # the server: its own process, its own settings, engine and app
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(2, 1)  # the log; the launcher's answers go through the parent only
            sys.argv = ["dignity", "serve", "--host", "127.0.0.1", "--port", argument]
            code = 1
            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _answer(str(pid))


# --- the uploads ----------------------------------------------------------------------------


@dataclass
class Ledger:
    """What was sent and what was acknowledged, shared by the upload threads."""

    sent: dict[str, int] = field(default_factory=dict)  # sha256 -> size, of every file sent
    acked: dict[str, tuple[str, int]] = field(default_factory=dict)  # item id -> (sha256, size)
    started: int = 0
    interrupted: int = 0  # the connection broke (the server was killed)
    refused: dict[int, int] = field(default_factory=dict)  # status -> count, other than 201
    problems: list[str] = field(default_factory=list)  # answers that are wrong in themselves
    lock: threading.Lock = field(default_factory=threading.Lock)


def _collection() -> str:
    values = {
        "collected_by": "Crash harness",
        "method": "upload",
        "tool": "httpx",
        "tool_version": httpx.__version__,
        "account_or_persona": "none",
        "source": "generated",
        "collected_at": "2026-01-01T00:00:00+00:00",
        "clock_source": "system",
        "purpose": "crash safety test",
    }
    return quote(json.dumps(values), safe="")


def _body(data: bytes, rng: random.Random, slow: bool) -> Iterator[bytes]:
    """The file in pieces; a slow upload sends small pieces with pauses between them."""
    position = 0
    while position < len(data):
        size = rng.randint(1, 64 << 10) if slow else 256 << 10
        yield data[position : position + size]
        position += size
        if slow:
            time.sleep(rng.uniform(0, 0.02))


@dataclass
class Uploads:
    """`workers` threads uploading one file after another until `stop` is set or the server
    goes away."""

    server: Server
    project: str
    token: str
    ledger: Ledger
    rng: random.Random
    workers: int
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.workers):
            seed = self.rng.getrandbits(64)
            thread = threading.Thread(target=self._work, args=(seed,), name=f"upload-{n}")
            thread.start()
            self.threads.append(thread)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)
            if thread.is_alive():
                raise RuntimeError(f"{thread.name} did not stop")

    def _work(self, seed: int) -> None:
        rng = random.Random(seed)
        url = f"{self.server.url}/api/projects/{self.project}/evidence"
        timeout = httpx.Timeout(60, connect=5)
        with httpx.Client(timeout=timeout) as client:
            while not self.stop.is_set():
                if rng.random() < 0.3:  # a moment with nothing in flight on this thread
                    time.sleep(rng.uniform(0, 0.2))
                size = int(MIN_BYTES * (MAX_BYTES / MIN_BYTES) ** rng.random())  # log-uniform
                data = PREFIX + rng.randbytes(size - len(PREFIX))
                if not self._upload(client, url, data, rng):
                    return

    def _upload(self, client: httpx.Client, url: str, data: bytes, rng: random.Random) -> bool:
        """One upload; False once the server is gone."""
        digest = hashlib.sha256(data).hexdigest()
        ledger = self.ledger
        with ledger.lock:
            ledger.sent[digest] = len(data)
            ledger.started += 1
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/octet-stream",
            "X-Evidence-Filename": f"upload-{digest[:12]}.bin",
            "X-Evidence-Collection": _collection(),
        }
        try:
            answer = client.post(url, content=_body(data, rng, rng.random() < 0.4), headers=headers)
        except httpx.TransportError:
            with ledger.lock:
                ledger.interrupted += 1
            return False
        with ledger.lock:
            if answer.status_code != 201:
                ledger.refused[answer.status_code] = ledger.refused.get(answer.status_code, 0) + 1
                if answer.status_code < 500:
                    ledger.problems.append(f"upload refused {answer.status_code}: {answer.text}")
                return True
            item = answer.json()
            if (item.get("sha256"), item.get("size")) != (digest, len(data)):
                ledger.problems.append(f"upload acknowledged with wrong digest: {item}")
            ledger.acked[item["id"]] = (digest, len(data))
        return True


# --- the checks -----------------------------------------------------------------------------


@dataclass
class Totals:
    kills: int = 0
    checks: int = 0
    full_checks: int = 0
    downloaded: int = 0
    landed_unacknowledged: int = 0
    partial_quarantined: int = 0
    orphans_quarantined: int = 0


class Checker:
    """The invariants after a restart, through the API and directly on the store."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        keyring: Keyring,
        project: str,
        token: str,
        ledger: Ledger,
    ) -> None:
        self.settings, self.factory, self.keyring = settings, factory, keyring
        self.project, self.token, self.ledger = project, token, ledger
        self.store = LocalBlobStore(settings.evidence_dir)
        self.downloaded: set[str] = set()
        self.totals = Totals()

    def check(self, client: httpx.Client, server: Server, *, full: bool) -> None:
        """After a restart: the cheap checks over every row, each new item read and downloaded
        through the API; with `full`, the API's whole list, fixity and the audit log too."""
        auth = {"Authorization": f"Bearer {self.token}"}
        self._blob_store()
        rows = self._rows()
        with self.ledger.lock:
            sent, acked = dict(self.ledger.sent), dict(self.ledger.acked)
        # (1) every acknowledged item is there, as it was sent
        lost = sorted(set(acked) - set(rows))
        assert not lost, f"acknowledged items lost: {lost}"
        for item_id, (digest, size) in acked.items():
            assert rows[item_id][:2] == (digest, size), f"{item_id} is not what was sent"
        # (2) whatever is there was sent whole and is stored, acknowledged or not
        for item_id, (digest, size, state) in rows.items():
            assert sent.get(digest) == size, f"partial or unknown item {item_id}"
            assert state == STORED, f"{item_id} is {state}"
        self.totals.landed_unacknowledged = len(set(rows) - set(acked))
        for item_id in sorted(set(rows) - self.downloaded):
            answer = client.get(f"{server.url}/api/evidence/{item_id}", headers=auth)
            assert answer.status_code == 200, answer.text
            item = answer.json()
            assert (item["sha256"], item["size"], item["state"]) == rows[item_id], item
            self._download(client, server, auth, item)
        if full:
            answer = client.get(f"{server.url}/api/projects/{self.project}/evidence", headers=auth)
            assert answer.status_code == 200, answer.text
            listed = {i["id"]: (i["sha256"], i["size"], i["state"]) for i in answer.json()}
            assert listed == rows, "the API lists other items than the store holds"
            # (3) fixity over the whole store; (5) the audit log's chain and checkpoints
            report = fixity.verify_all(self.factory, self.keyring, self.store, actor="test")
            assert (report.checked, report.corrupt, report.orphans) == (len(rows), [], []), report
            audit = maintenance.verify(self.settings, self.factory)
            assert audit.ok, audit.first_problem
            self.totals.full_checks += 1
        self.totals.checks += 1

    def _download(
        self, client: httpx.Client, server: Server, auth: dict[str, str], item: dict[str, Any]
    ) -> None:
        digest = hashlib.sha256()
        size = 0
        url = f"{server.url}/api/evidence/{item['id']}/content"
        with client.stream("POST", url, json={"purpose": PURPOSE}, headers=auth) as answer:
            assert answer.status_code == 200, answer.read()
            for chunk in answer.iter_bytes():
                digest.update(chunk)
                size += len(chunk)
        assert (digest.hexdigest(), size) == (item["sha256"], item["size"]), item
        self.downloaded.add(item["id"])
        self.totals.downloaded += 1

    def _blob_store(self) -> None:
        """(4) start-up left nothing in partial/; every committed blob has its row and every row
        its blob; what a crash left is in quarantine, and nothing an item needs is there."""
        root = self.store.root
        assert list((root / "partial").iterdir()) == [], "partial files after start-up"
        with self.factory() as session:
            named = set(session.execute(select(EvidenceItem.blob_id)).scalars())
        assert set(self.store.ids()) == named, "blob store and rows disagree"
        quarantined = {p.name.removesuffix(".orphan") for p in (root / "quarantine").iterdir()}
        assert not quarantined & named, "a blob an item needs is in quarantine"

    def _rows(self) -> dict[str, tuple[str, int, str]]:
        """Every item as the store holds it (sha256, size, state), once it is checked that no
        transaction is half-written: each item has its custody chain from the `ingest` entry on
        and its audit event, and no custody entry or ingest event names a missing item."""
        with self.factory() as session:
            found = session.execute(
                select(
                    EvidenceItem.id,
                    EvidenceItem.custody_seq,
                    EvidenceItem.sha256,
                    EvidenceItem.size,
                    EvidenceItem.state,
                )
            ).all()
            items = {row.id: row.custody_seq for row in found}
            custody = {
                item_id: (n, low, high)
                for item_id, n, low, high in session.execute(
                    select(
                        CustodyEvent.item_id,
                        func.count(),
                        func.min(CustodyEvent.seq),
                        func.max(CustodyEvent.seq),
                    ).group_by(CustodyEvent.item_id)
                )
            }
            ingests = set(
                session.execute(
                    select(CustodyEvent.item_id).where(
                        CustodyEvent.seq == 1, CustodyEvent.action == "ingest"
                    )
                ).scalars()
            )
            audited = list(
                session.execute(
                    select(AuditEvent.object_id).where(AuditEvent.action == "evidence.ingest")
                ).scalars()
            )
            recovered = session.execute(
                select(AuditEvent.details).where(AuditEvent.action == "evidence.recovered")
            ).scalars()
            moved = [json.loads(d) for d in recovered]
        assert set(custody) == set(items) == ingests, "an item without its custody, or the reverse"
        for item_id, seq in items.items():
            assert custody[item_id] == (seq, 1, seq), f"custody of {item_id} is not whole"
        assert sorted(audited) == sorted(items), "ingest audit events and items disagree"
        self.totals.partial_quarantined = sum(d["partial"] for d in moved)
        self.totals.orphans_quarantined = sum(d["orphans"] for d in moved)
        return {row.id: (row.sha256, row.size, row.state) for row in found}


# --- the run --------------------------------------------------------------------------------


@dataclass
class Plan:
    kills: int
    workers: int = 4
    max_delay: float = 2.0  # seconds of uploading before a kill, at most
    full_every: int = 1  # fixity and audit checks every this many restarts (and after the last)
    idle_kills: float = 0.15  # share of kills made with no upload in flight


def run(
    plan: Plan,
    settings: Settings,
    factory: sessionmaker[Session],
    keyring: Keyring,
    *,
    project: str,
    token: str,
    rng: random.Random,
    log_path: Path,
) -> tuple[Ledger, Totals]:
    """Upload, kill and restart `plan.kills` times, checking the invariants after each restart."""
    ledger = Ledger()
    checker = Checker(settings, factory, keyring, project, token, ledger)
    fresh = os.environ.get("DIGNITY_CRASH_EXEC", "") == "1"
    with log_path.open("ab") as log, httpx.Client(timeout=60) as client:
        launcher = Launcher(server_environment(settings), log, fresh=fresh)
        server: Server | None = None
        try:
            server = _started(launcher, client)
            checker.check(client, server, full=True)
            for n in range(plan.kills):
                uploads = Uploads(server, project, token, ledger, rng, plan.workers)
                uploads.start()
                time.sleep(rng.uniform(0.05, plan.max_delay))
                if rng.random() < plan.idle_kills:
                    uploads.join()  # between requests
                server.kill()
                checker.totals.kills += 1
                uploads.join()
                assert not ledger.problems, ledger.problems
                server = _started(launcher, client)
                last = n == plan.kills - 1
                checker.check(client, server, full=last or (n + 1) % plan.full_every == 0)
        except BaseException:
            log.flush()
            tail = log_path.read_bytes()[-4000:].decode("utf-8", "replace")
            print(f"--- server log (end) ---\n{tail}", file=sys.stderr)  # noqa: T201
            raise
        finally:
            if server is not None and server.alive():
                server.kill()
            launcher.close()
    return ledger, checker.totals


def _started(launcher: Launcher, client: httpx.Client, attempts: int = 3) -> Server:
    """A server on a free port, answering (another port if one was taken meanwhile)."""
    for attempt in range(attempts):
        server = launcher.start(free_port())
        try:
            server.wait_ready(client)
        except RuntimeError:  # it died: the port was taken, or start-up failed (the log says)
            launcher.reap(server)
            if attempt == attempts - 1:
                raise
        except BaseException:
            server.kill()
            raise
        else:
            return server
    raise AssertionError("unreachable")


if __name__ == "__main__":
    _zygote()
