"""Downloads of the current lists from the publishers' own official locations.

`download` takes an `httpx.Client`, so tests pass one with `httpx.MockTransport` serving the real
files from ../shared/data, and deployments can route it through their egress proxy. Files are
streamed to disk with a size cap; a multi-file set lands in one folder, as `open_list` expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from dignity.exc import FieldError, InvalidInput, StoreError

MAX_BYTES = 512 * 1024 * 1024
TIMEOUT = httpx.Timeout(60.0, connect=15.0)


@dataclass(frozen=True)
class Download:
    """Where a list is published: its format and the file names and addresses of its parts.

    The list is stored under its reader's default list name (`DEFAULT_LIST` of the format).
    """

    format: str
    files: tuple[tuple[str, str], ...]  # (file name to save as, official URL)

    @property
    def is_folder(self) -> bool:
        return len(self.files) > 1


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


def new_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": "Dignity"})


def download(client: httpx.Client, source: Download, directory: Path) -> Path:
    """Fetch every part of `source` into `directory`; returns the path to import."""
    directory.mkdir(parents=True, exist_ok=True)
    for file_name, url in source.files:
        target = directory / file_name
        try:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise StoreError(f"{url}: the publisher answered HTTP {response.status_code}")
                size = 0
                with target.open("wb") as handle:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_BYTES:
                            raise InvalidInput(
                                "download too large",
                                [FieldError("size", f"over {MAX_BYTES:,} bytes", url)],
                            )
                        handle.write(chunk)
        except httpx.HTTPError as error:
            raise StoreError(f"{url}: download failed ({error})") from error
    return directory if source.is_folder else directory / source.files[0][0]
