"""Use cases of the sources capability: open a publisher's file for import.

The registry reads lists only through here: `open_list` picks the format reader, fingerprints the
input and hands back a `ListFile` whose `entities()` streams the entities while filling its report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from followthemoney import StatementEntity

from dignity.exc import FieldError, InvalidInput
from dignity.sources.entities import list_dataset
from dignity.sources.formats import MODULES, Reader, get_reader
from dignity.sources.report import ImportReport

FORMATS = tuple(MODULES)
__all__ = ["FORMATS", "ImportReport", "ListFile", "content_hash", "list_dataset", "open_list"]
CHUNK = 1 << 20
# FollowTheMoney's rule for dataset names, which list names become.
LIST_NAME = re.compile(r"[a-z][a-z0-9_]{1,99}")


@dataclass
class ListFile:
    path: Path
    format: str
    list_name: str
    title: str
    publisher: str
    content_hash: str
    report: ImportReport
    reader: Reader
    # The list's date when known from elsewhere (a bundled copy's download date); the file's own
    # date, when it states one, wins.
    known_date: str | None = None

    @property
    def list_date(self) -> str | None:
        return self.report.publisher_date or self.known_date

    def entities(self) -> Iterator[StatementEntity]:
        dataset = list_dataset(self.list_name, self.title)
        yield from self.reader.read(self.path, self.report, dataset)


def content_hash(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (names and contents, in name order)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    for file in files:
        if path.is_dir():
            digest.update(file.name.encode("utf-8") + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def open_list(path: Path, format_name: str, list_name: str | None = None) -> ListFile:
    """Prepare `path` (a file, or a folder for multi-file formats) for import as `format_name`."""
    if not path.exists():
        raise InvalidInput("no such file", [FieldError("path", "does not exist", str(path))])
    reader = get_reader(format_name)
    name = (list_name or reader.DEFAULT_LIST).strip()
    if not LIST_NAME.fullmatch(name):
        problem = "2-100 lowercase letters, digits and '_', starting with a letter"
        raise InvalidInput(f"invalid list name {name!r}", [FieldError("name", problem)])
    return ListFile(
        path=path,
        format=format_name,
        list_name=name,
        title=reader.TITLE,
        publisher=reader.PUBLISHER,
        content_hash=content_hash(path),
        report=ImportReport(format=format_name, source=str(path)),
        reader=reader,
    )
