"""Evidence intake speed: a large file stored end to end (SHA-256 while streaming, AES-256-GCM chunk
by chunk, written to the blob store, the item row committed), beside `openssl dgst -sha256` and
`sha256sum` on the same file in the same run; then reading it back (the whole blob verified before
the first byte, then streamed). Peak memory is the resident set of a child process that does only
the intake, for two file sizes: it must not grow with the size of the file.

    .venv/bin/python benchmarks/evidence_speed.py [--size-mb 1024] [--small-mb 128]

The file is random bytes written to a temporary directory (on the same disk as the blob store) and
read once beforehand so every contender reads it from the page cache.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from dignity.evidence import services as evidence
from dignity.evidence.blobs import LocalBlobStore
from dignity.security.authz import operator_principal
from dignity.security.crypto import load_keyring
from dignity.security.projects import create_project
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

BLOCK = 1024 * 1024


def _random_file(path: Path, megabytes: int) -> None:
    with path.open("wb") as handle:
        for _ in range(megabytes):
            handle.write(os.urandom(BLOCK))


def _warm(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(8 * BLOCK):
            pass


def _blocks(path: Path) -> object:
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            yield block


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 (fixed tools, our file)
    return time.perf_counter() - started


def _intake(path: str, root: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """In a child process: a fresh store, one project, the file added and read back."""
    directory = Path(root)
    engine = create_engine(f"sqlite:///{directory / 'bench.db'}")
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    keyring = load_keyring(directory / "keys")
    store = LocalBlobStore(directory / "blobs")
    who = operator_principal("bench")
    collection = {
        "collected_by": "benchmark",
        "method": "upload",
        "collected_at": datetime.now(UTC),
        "source": "benchmark file",
        "clock_source": "system clock",
        "purpose": "speed measurement",
    }
    with transaction(factory) as session:
        project = create_project(session, "Benchmark", "", actor="bench")
    size = Path(path).stat().st_size
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with transaction(factory) as session:
        item = evidence.add_evidence(
            session,
            who,
            keyring,
            store,
            project.id,
            _blocks(Path(path)),  # type: ignore[arg-type]
            filename="large.bin",
            collection=collection,
            max_bytes=size + 1,
        )
        item_id = item.id
    intake = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with transaction(factory) as session:
        _, chunks = evidence.open_original(
            session, who, keyring, store, item_id, purpose="benchmark", action="download"
        )
        read = sum(len(chunk) for chunk in chunks)
    back = time.perf_counter() - started
    assert read == size
    engine.dispose()
    results.put((intake, back, before, peak))


def _run_intake(path: Path, root: Path) -> tuple[float, float, int, int]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_intake, args=(str(path), str(root), results))
    child.start()
    found = results.get()
    child.join()
    return found  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the large file")
    parser.add_argument("--small-mb", type=int, default=128, help="size of the small file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        root = Path(tmp)
        rows = []
        for megabytes in (args.small_mb, args.size_mb):
            path = root / f"file-{megabytes}.bin"
            _random_file(path, megabytes)
            _warm(path)
            openssl = _timed(["openssl", "dgst", "-sha256", str(path)])
            sha256sum = _timed(["sha256sum", str(path)]) if shutil.which("sha256sum") else 0.0
            store_dir = root / f"store-{megabytes}"
            store_dir.mkdir()
            intake, back, before, peak = _run_intake(path, store_dir)
            rows.append((megabytes, openssl, sha256sum, intake, back, before, peak))
            path.unlink()
            shutil.rmtree(store_dir)
    print(
        "| file | openssl dgst -sha256 | sha256sum | Dignity intake (hash + encrypt + write + "
        "commit) | intake / openssl | read back (verify + stream) | peak RSS before / after |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for megabytes, openssl, sha256sum, intake, back, before, peak in rows:
        rate = megabytes / 1024  # GB
        print(
            f"| {megabytes:,} MB | {rate / openssl:.2f} GB/s | "
            f"{rate / sha256sum:.2f} GB/s | {rate / intake:.2f} GB/s | "
            f"{openssl / intake:.0%} | {rate / back:.2f} GB/s | "
            f"{before / 1024:.0f} / {peak / 1024:.0f} MB |"
        )


if __name__ == "__main__":
    main()
