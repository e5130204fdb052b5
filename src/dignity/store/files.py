"""Durable file writes: a file is always either its old or its new content (SECURITY.md item 43).

The content goes to a temporary file in the same directory, is flushed and fsynced, replaces the
target with `os.replace`, and then the directory itself is fsynced so the rename survives a crash.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically, with permissions `mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:  # owns fd from here on, so it is closed on errors
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def append_line(path: Path, line: bytes) -> None:
    """Append one line to `path` and fsync it (the file is created, mode 0600, when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.rstrip(b"\n") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_directory(path.parent)
