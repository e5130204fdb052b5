"""Durable file writes: a file is always its old or its new content, and appends reach the disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dignity.store.files import append_line, atomic_write, fsync_directory

OLD = b"old content\n"
NEW = b"new content, longer than the old one\n" * 100


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _inode(fd: int) -> int:
    return os.fstat(fd).st_ino


def _open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


# --- atomic_write -----------------------------------------------------------------------------


def test_atomic_write_creates_the_file_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "key.pem"
    atomic_write(path, NEW)
    assert (path.read_bytes(), _mode(path)) == (NEW, 0o600)
    assert sorted(p.name for p in path.parent.iterdir()) == ["key.pem"]


def test_atomic_write_replaces_content_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(OLD)
    path.chmod(0o644)
    atomic_write(path, NEW)
    assert (path.read_bytes(), _mode(path)) == (NEW, 0o600)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o400])
def test_atomic_write_applies_the_requested_mode_whatever_the_umask(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "file"
    previous = os.umask(0o077)
    try:
        atomic_write(path, b"x", mode=mode)
    finally:
        os.umask(previous)
    assert _mode(path) == mode


def test_atomic_write_syncs_the_data_before_the_rename_and_the_directory_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file"
    path.write_bytes(OLD)
    directory_inode = tmp_path.stat().st_ino
    events: list[Any] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        # What is on its way to the disk: which file, and how much of it.
        events.append(("fsync", _inode(fd), os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(source: Any, target: Any) -> None:
        events.append(("replace", Path(source).stat().st_ino, Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(path, NEW)
    new_inode = path.stat().st_ino
    assert events[0] == ("fsync", new_inode, len(NEW))
    assert events[1] == ("replace", new_inode, path)
    assert events[2][:2] == ("fsync", directory_inode)
    assert len(events) == 3


class Crash(Exception):
    """A failure injected at one step of a write."""


def _crash_on_call(real: Callable[..., Any], call: int, error: BaseException) -> Callable[..., Any]:
    calls = 0

    def wrapper(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            raise error
        return real(*args)

    return wrapper


# Each step of atomic_write that can fail, and what the file must hold afterwards.
STEPS = [
    ("fchmod", 1, OLD),  # before anything is written
    ("fsync", 1, OLD),  # flushing the temporary file
    ("replace", 1, OLD),  # the rename itself
    ("fsync", 2, NEW),  # syncing the directory, after the rename
]
STEP_IDS = ["fchmod", "fsync-file", "replace", "fsync-directory"]


@pytest.mark.parametrize(("function", "call", "expected"), STEPS, ids=STEP_IDS)
@pytest.mark.parametrize(
    "error", [OSError(5, "I/O error"), Crash("boom"), KeyboardInterrupt()], ids=type
)
def test_a_crash_at_any_step_leaves_old_or_new_content_and_no_temporary_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    function: str,
    call: int,
    expected: bytes,
    error: BaseException,
) -> None:
    path = tmp_path / "file"
    path.write_bytes(OLD)
    path.chmod(0o600)
    descriptors = _open_descriptors()
    monkeypatch.setattr(os, function, _crash_on_call(getattr(os, function), call, error))
    with pytest.raises(type(error)):
        atomic_write(path, NEW)
    monkeypatch.undo()
    assert path.read_bytes() == expected
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
    assert _open_descriptors() == descriptors


@pytest.mark.parametrize(("function", "call"), [step[:2] for step in STEPS[:3]], ids=STEP_IDS[:3])
def test_a_crash_before_the_rename_leaves_no_file_when_there_was_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str, call: int
) -> None:
    path = tmp_path / "file"
    monkeypatch.setattr(os, function, _crash_on_call(getattr(os, function), call, Crash()))
    with pytest.raises(Crash):
        atomic_write(path, NEW)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_old_content_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file"
    path.write_bytes(OLD)
    real_fdopen = os.fdopen

    class FailingWrites:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FailingWrites:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def fileno(self) -> int:
            return int(self.handle.fileno())

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])  # half of it made it, then the disk filled
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: FailingWrites(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, NEW)
    assert path.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_fsync_directory_closes_what_it_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[int] = []
    real_close = os.close
    monkeypatch.setattr(os, "close", lambda fd: (closed.append(fd), real_close(fd)))
    monkeypatch.setattr(os, "fsync", _crash_on_call(os.fsync, 1, Crash()))
    with pytest.raises(Crash):
        fsync_directory(tmp_path)
    assert len(closed) == 1


# --- append_line ------------------------------------------------------------------------------


def test_append_line_creates_the_file_with_mode_0600_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "witness" / "checkpoints.jsonl"
    append_line(path, b'{"n":1}')
    append_line(path, b'{"n":2}\n')
    append_line(path, b'{"n":3}\n\n')
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n{"n":3}\n'
    assert _mode(path) == 0o600


def test_append_line_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"first\n")
    path.chmod(0o640)
    append_line(path, b"second")
    assert (path.read_bytes(), _mode(path)) == (b"first\nsecond\n", 0o640)


def test_append_line_fsyncs_the_line_and_a_new_files_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log"
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((_inode(fd), os.fstat(fd).st_size))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    append_line(path, b"one")
    file_inode, directory_inode = path.stat().st_ino, tmp_path.stat().st_ino
    # The file after the line was written, then the directory that now lists the new file.
    assert synced[0] == (file_inode, 4)
    assert [inode for inode, _ in synced] == [file_inode, directory_inode]
    synced.clear()
    append_line(path, b"two")
    assert synced == [(file_inode, 8)]  # an existing file: only the file itself


def test_append_line_closes_the_file_when_fsync_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log"
    opened: list[int] = []
    closed: list[int] = []
    real_open, real_close = os.open, os.close

    def record_open(*args: Any) -> int:
        fd = real_open(*args)
        opened.append(fd)
        return fd

    monkeypatch.setattr(os, "open", record_open)
    monkeypatch.setattr(os, "close", lambda fd: (closed.append(fd), real_close(fd)))
    monkeypatch.setattr(os, "fsync", _crash_on_call(os.fsync, 1, OSError(5, "I/O error")))
    with pytest.raises(OSError, match="I/O error"):
        append_line(path, b"line")
    assert opened == closed
    assert len(opened) == 1
