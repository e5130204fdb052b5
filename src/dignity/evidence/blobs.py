"""Where encrypted evidence blobs live: a store behind an interface, a local directory by default.

A blob is written once, under a random id, and never changed: `create` streams it to a partial
file that no reader can see, and `commit` fsyncs it and moves it into place. Nothing in the
interface rewrites or deletes a committed blob's bytes (originals are write-once); `quarantine`
moves partial files left by a crash aside at start-up, never into the store.

Layout of `LocalBlobStore(root)`:

    root/blobs/ab/cd/<id>     committed blobs, fanned out by the first characters of the id
    root/partial/<id>         being written (or left by a crash)
    root/quarantine/<id>      partial files found at start-up, kept for inspection
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from dignity.exc import IntegrityError, NotFound
from dignity.store.files import fsync_directory

_ID = re.compile(r"^[a-f0-9]{32}$")


def new_blob_id() -> str:
    return secrets.token_hex(16)


class BlobStore(Protocol):
    def create(self, blob_id: str) -> BinaryIO: ...

    def commit(self, blob_id: str, handle: BinaryIO) -> None: ...

    def abort(self, blob_id: str, handle: BinaryIO) -> None: ...

    def open(self, blob_id: str) -> BinaryIO: ...

    def exists(self, blob_id: str) -> bool: ...

    def quarantine(self) -> list[str]: ...


class LocalBlobStore:
    """Blobs as files under `root` (mode 0600, directories 0700)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ("blobs", "partial", "quarantine"):
            (root / name).mkdir(parents=True, exist_ok=True, mode=0o700)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    @staticmethod
    def _checked(blob_id: str) -> str:
        if not _ID.match(blob_id):  # ids are ours, never a path a caller could steer
            raise ValueError("not a blob id")
        return blob_id

    def path(self, blob_id: str) -> Path:
        blob_id = self._checked(blob_id)
        return self.root / "blobs" / blob_id[:2] / blob_id[2:4] / blob_id

    def create(self, blob_id: str) -> BinaryIO:
        partial = self.root / "partial" / self._checked(blob_id)
        if self.path(blob_id).exists():
            raise IntegrityError(f"blob {blob_id} exists already; blobs are written once")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(fd, "wb")

    def commit(self, blob_id: str, handle: BinaryIO) -> None:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        target = self.path(blob_id)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.exists():
            raise IntegrityError(f"blob {blob_id} exists already; blobs are written once")
        os.replace(self.root / "partial" / blob_id, target)
        fsync_directory(target.parent)

    def abort(self, blob_id: str, handle: BinaryIO) -> None:
        handle.close()
        (self.root / "partial" / self._checked(blob_id)).unlink(missing_ok=True)

    def open(self, blob_id: str) -> BinaryIO:
        try:
            return self.path(blob_id).open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {blob_id} is missing from the store") from None

    def exists(self, blob_id: str) -> bool:
        return self.path(blob_id).is_file()

    def quarantine(self) -> list[str]:
        """Move every partial file aside (at start-up, when no write can be in progress)."""
        moved = []
        for partial in sorted((self.root / "partial").iterdir()):
            os.replace(partial, self.root / "quarantine" / partial.name)
            moved.append(partial.name)
        if moved:
            fsync_directory(self.root / "quarantine")
        return moved

    def ids(self) -> Iterator[str]:
        """Every committed blob id (for fixity checks and backups)."""
        for path in sorted((self.root / "blobs").glob("*/*/*")):
            if _ID.match(path.name):
                yield path.name


@contextmanager
def writing(store: BlobStore, blob_id: str) -> Iterator[BinaryIO]:
    """A handle to write a new blob: committed when the block ends, removed if it raises."""
    handle = store.create(blob_id)
    try:
        yield handle
    except BaseException:
        store.abort(blob_id, handle)
        raise
    store.commit(blob_id, handle)
