"""Downloads of the current lists from the publishers' own official locations.

`download` takes an `httpx.Client`, so tests pass one built by `new_client(transport=...)` with an
`httpx.MockTransport` serving the real files from ../shared/data, and deployments can route it
through their egress proxy. Files are streamed to disk under a size cap; a multi-file set lands in
one folder, as `open_list` expects.

Every part of a set must arrive whole: an HTTP status other than 200, a connection failure, a
file over the cap or shorter than the length the publisher announced fails the download, so a
list is never imported from part of what its publisher serves (the OFAC CSV readers accept a
folder without add.csv, but a version that silently lost every address is worse than no update).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from dignity.exc import DignityError, FieldError, InvalidInput
from dignity.sources.formats import get_reader

MAX_BYTES = 512 * 1024 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=15.0)

# Told how each file is coming along: (file name, bytes received, bytes announced or None).
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Download:
    """Where a list is published: its format and the file names and addresses of its parts.

    The list is stored under its reader's default list name (`DEFAULT_LIST` of the format).
    """

    format: str
    files: tuple[tuple[str, str], ...]  # (file name to save as, official URL); the first is primary

    @property
    def is_folder(self) -> bool:
        return len(self.files) > 1

    @property
    def list_name(self) -> str:
        return get_reader(self.format).DEFAULT_LIST

    @property
    def url(self) -> str:
        """The address recorded on the list: its only file's, or its primary file's."""
        return self.files[0][1]


_OFAC = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"

DOWNLOADS: dict[str, Download] = {
    d.format: d
    for d in (
        Download(
            "ofac-csv",
            (
                ("sdn.csv", _OFAC + "SDN.CSV"),
                ("add.csv", _OFAC + "ADD.CSV"),
                ("alt.csv", _OFAC + "ALT.CSV"),
                ("sdn_comments.csv", _OFAC + "SDN_COMMENTS.CSV"),
            ),
        ),
        Download(
            "ofac-cons-csv",
            (
                ("cons_prim.csv", _OFAC + "CONS_PRIM.CSV"),
                ("cons_add.csv", _OFAC + "CONS_ADD.CSV"),
                ("cons_alt.csv", _OFAC + "CONS_ALT.CSV"),
                ("cons_comments.csv", _OFAC + "CONS_COMMENTS.CSV"),
            ),
        ),
        Download("ofac-xml", (("SDN.XML", _OFAC + "SDN.XML"),)),
        Download("ofac-advanced", (("SDN_ADVANCED.XML", _OFAC + "SDN_ADVANCED.XML"),)),
        Download(
            "un-xml",
            (("consolidated.xml", "https://scsanctions.un.org/resources/xml/en/consolidated.xml"),),
        ),
        Download(
            "au-xlsx",
            (
                (
                    "Australian_Sanctions_Consolidated_List.xlsx",
                    "https://www.dfat.gov.au/sites/default/files/Australian_Sanctions_Consolidated_List.xlsx",
                ),
            ),
        ),
        Download(
            "uk-xml",
            (
                (
                    "UK-Sanctions-List.xml",
                    "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
                ),
            ),
        ),
        Download(
            "ca-xml",
            (
                (
                    "sema-lmes.xml",
                    "https://www.international.gc.ca/world-monde/assets/office_docs/"
                    "international_relations-relations_internationales/sanctions/sema-lmes.xml",
                ),
            ),
        ),
    )
}


def find_downloads(names: Iterable[str]) -> list[Download]:
    """The downloads named by list name (`us_ofac_sdn`) or format (`ofac-csv`), in the order
    given and each once; every download when `names` is empty."""
    known = {d.list_name: d for d in DOWNLOADS.values()} | DOWNLOADS
    chosen: dict[str, Download] = {}
    for name in names:
        if name not in known:
            lists = ", ".join(sorted(d.list_name for d in DOWNLOADS.values()))
            raise InvalidInput(
                f"no official download for {name!r}; known lists: {lists}; "
                f"or their formats: {', '.join(sorted(DOWNLOADS))}"
            )
        chosen[known[name].format] = known[name]
    return list(chosen.values()) or list(DOWNLOADS.values())


def new_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The client for publishers' sites; `transport` None is the network (with its proxy)."""
    return httpx.Client(
        transport=transport,
        timeout=TIMEOUT,
        follow_redirects=True,
        headers={"User-Agent": "Dignity"},
    )


def download(
    client: httpx.Client,
    source: Download,
    directory: Path,
    *,
    max_bytes: int = MAX_BYTES,
    progress: Progress | None = None,
) -> Path:
    """Fetch every part of `source` into `directory`; returns the path to import.

    Raises `DignityError` naming the URL when the publisher or the connection fails, and
    `InvalidInput` when a file is over `max_bytes` or not of the length announced.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for file_name, url in source.files:
        _fetch(client, url, directory / file_name, max_bytes, progress)
    return directory if source.is_folder else directory / source.files[0][0]


def _fetch(
    client: httpx.Client, url: str, target: Path, max_bytes: int, progress: Progress | None
) -> None:
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise DignityError(f"{url}: the publisher answered HTTP {response.status_code}")
            announced = _content_length(response)
            if announced is not None and announced > max_bytes:
                raise _too_large(url, f"announced as {announced:,} bytes")
            # Compressed in transit, the file's own size is unknown until it has arrived.
            encoding = response.headers.get("Content-Encoding", "identity").lower()
            expected = announced if encoding == "identity" else None
            if progress is not None:
                progress(target.name, 0, expected)
            size = 0
            with target.open("wb") as handle:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_large(url, f"more than {max_bytes:,} bytes received")
                    handle.write(chunk)
                    if progress is not None:
                        progress(target.name, size, expected)
            if expected is not None and size != expected:
                raise InvalidInput(
                    "download cut short",
                    [FieldError("Content-Length", f"{size:,} of {expected:,} bytes received", url)],
                )
    except httpx.HTTPError as error:
        raise DignityError(f"{url}: download failed ({error})") from error
    except OSError as error:
        raise DignityError(f"{url}: could not save to {target} ({error.strerror})") from error


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _too_large(url: str, what: str) -> InvalidInput:
    return InvalidInput("download too large", [FieldError("size", what, url)])


def public_text(text: str, source: Download, directory: Path) -> str:
    """`text` (an error or a warning) with each downloaded file's path replaced by its URL.

    The files live in a temporary folder that is gone by the time anyone reads the message.
    """
    for file_name, url in source.files:
        text = text.replace(str(directory / file_name), url)
    return text
