"""`dignity sources update` against the publishers' sites played by an `httpx.MockTransport`.

The transport serves the real files from ../shared/data at the official addresses in
`dignity.sources.fetch.DOWNLOADS` and answers 404 for anything else; the CLI reaches it through
`state.configure(..., http_transport=...)`, the way a deployment would pass a proxy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from conftest import make_settings
from dignity.cli import app
from dignity.cli.context import state
from dignity.registry import services as registry
from dignity.sources.fetch import DOWNLOADS, download, new_client
from dignity.store.session import transaction

SHARED = Path(__file__).resolve().parents[3].parent / "shared/data"
UN_XML = (SHARED / "un/consolidated.xml").read_bytes()
AU_XLSX = (SHARED / "australia/Australian_Sanctions_Consolidated_List.xlsx").read_bytes()
OFAC_2021 = SHARED / "ofac/legacy-csv-2021-07-07"
OFAC_2024_SDN = SHARED / "ofac/sdn-csv-2024-05-03/sdn.csv"
UN_URL = DOWNLOADS["un-xml"].url
AU_URL = DOWNLOADS["au-xlsx"].url
OFAC_URLS = dict(DOWNLOADS["ofac-csv"].files)  # file name -> URL
UNCHANGED = "unchanged since the last version; nothing added"
runner = CliRunner()

# What a URL serves: a body, an HTTP status with no body, or a function making the response
# (or raising, as a failed connection does).
Served = bytes | int | Callable[[httpx.Request], httpx.Response]


class Publisher:
    """The publishers' sites: `served` maps URLs to what they serve; `requests` records each GET."""

    def __init__(self) -> None:
        self.served: dict[str, Served] = {}
        self.requests: list[str] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        served = self.served.get(url, 404)
        if isinstance(served, bytes):
            return httpx.Response(200, content=served)
        if isinstance(served, int):
            return httpx.Response(served)
        return served(request)


@pytest.fixture
def publisher(tmp_path: Path, fresh_store_url: str) -> Iterator[Publisher]:
    """A fresh store, and the publishers' sites the CLI downloads from."""
    publisher = Publisher()
    settings = make_settings(tmp_path, database_url=fresh_store_url)
    state.configure(settings, http_transport=publisher.transport)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield publisher
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout without blank lines, stderr.

    The import's progress bar leaves a blank line behind when stdout is not a terminal.
    """
    result = runner.invoke(app, list(args))
    out = "".join(line + "\n" for line in result.stdout.splitlines() if line)
    return result.exit_code, out, result.stderr


def _lists() -> list[tuple[str, int, int, str]]:
    """Every list in the store: name, current version, targets, and the recorded source URL."""
    with transaction(state.sessionmaker) as session:
        return [
            (source.id, version.seq, version.targets, source.source_url)
            for source, version in registry.source_lists(session)
            if version is not None
        ]


def _imported(list_name: str, seq: int, targets: str) -> re.Pattern[str]:
    """The line an update prints for a new version (entities and statements are the readers')."""
    return re.compile(
        rf"{list_name} version {seq}: {targets} targets, [0-9,]+ entities, [0-9,]+ statements\n"
    )


def _without_first_individual(xml: bytes) -> bytes:
    start = xml.index(b"<INDIVIDUAL>")
    end = xml.index(b"</INDIVIDUAL>", start) + len(b"</INDIVIDUAL>")
    return xml[:start] + xml[end:]


def test_update_imports_then_skips_the_same_bytes_then_imports_a_change(
    publisher: Publisher,
) -> None:
    publisher.served[UN_URL] = UN_XML
    code, out, err = _run("sources", "update", "un_sc_consolidated")
    assert (code, err) == (0, "")
    assert _imported("un_sc_consolidated", 1, "1,003").fullmatch(out)
    assert _lists() == [("un_sc_consolidated", 1, 1003, UN_URL)]

    code, out, _ = _run("sources", "update", "un_sc_consolidated")
    assert (code, out) == (0, f"un_sc_consolidated: {UNCHANGED}\n")
    assert _lists() == [("un_sc_consolidated", 1, 1003, UN_URL)]

    # The publisher serves half the file: the error names the URL and the line, not the
    # temporary file it was saved to, and the list keeps version 1.
    publisher.served[UN_URL] = UN_XML[: len(UN_XML) // 2]
    code, out, err = _run("sources", "update", "un-xml")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: un_sc_consolidated: the file is not well-formed XML: {UN_URL}:26439: xml: "
    )
    assert len(err.splitlines()) == 1
    assert "dignity-download-" not in err
    assert _lists() == [("un_sc_consolidated", 1, 1003, UN_URL)]

    publisher.served[UN_URL] = _without_first_individual(UN_XML)
    code, out, _ = _run("sources", "update", "un-xml")
    assert code == 0
    assert _imported("un_sc_consolidated", 2, "1,002").fullmatch(out)
    assert _lists() == [("un_sc_consolidated", 2, 1002, UN_URL)]
    _, out, _ = _run("sources", "delta", "un_sc_consolidated", "--from", "1", "--to", "2")
    assert re.match(r"un_sc_consolidated v1 -> v2: 0 added, \d+ removed, 0 changed\n", out)
    assert re.search(r"^- un-cdi\.001\s+ERIC BADEGE$", out, flags=re.MULTILINE)
    assert publisher.requests == [UN_URL] * 4


def test_several_lists_carry_on_past_a_failure_and_exit_1(publisher: Publisher) -> None:
    # The UN list was imported from a local copy (as `dignity sources bundled` does): the update
    # finds the same bytes and records where the list comes from.
    code, _, _ = _run(
        "sources", "import", str(SHARED / "un/consolidated.xml"), "--format", "un-xml"
    )
    assert code == 0
    assert _lists() == [("un_sc_consolidated", 1, 1003, "")]
    publisher.served[UN_URL] = UN_XML  # every other address answers 404

    code, out, err = _run("sources", "update")
    assert (code, out) == (1, f"un_sc_consolidated: {UNCHANGED}\n")
    others = [d for d in DOWNLOADS.values() if d.format != "un-xml"]
    assert len(others) == 7
    assert err.splitlines() == [
        f"error: {d.list_name}: {d.url}: the publisher answered HTTP 404" for d in others
    ]
    assert sorted(publisher.requests) == sorted([UN_URL] + [d.url for d in others])
    assert _lists() == [("un_sc_consolidated", 1, 1003, UN_URL)]


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _streamed(request: httpx.Request) -> httpx.Response:
    """The UN file sent in chunks with no Content-Length, as a chunked response is."""
    chunks = (UN_XML[i : i + 65536] for i in range(0, len(UN_XML), 65536))
    return httpx.Response(200, content=chunks)


def _cut_short(request: httpx.Request) -> httpx.Response:
    """A body shorter than the Content-Length announced (a connection dropped mid-file)."""
    return httpx.Response(200, headers={"Content-Length": str(len(UN_XML))}, content=UN_XML[:1000])


FAILURES = [
    pytest.param(UN_URL, 500, (), f"{UN_URL}: the publisher answered HTTP 500", id="http-status"),
    pytest.param(
        UN_URL,
        _refused,
        (),
        f"{UN_URL}: download failed (connection refused)",
        id="connection-refused",
    ),
    pytest.param(
        UN_URL,
        UN_XML,
        ("--max-size", "1"),
        f"download too large: {UN_URL}: size: announced as 2,030,620 bytes",
        id="announced-over-the-cap",
    ),
    pytest.param(
        UN_URL,
        _streamed,
        ("--max-size", "1"),
        f"download too large: {UN_URL}: size: more than 1,048,576 bytes received",
        id="streamed-over-the-cap",
    ),
    pytest.param(
        UN_URL,
        _cut_short,
        (),
        f"download cut short: {UN_URL}: Content-Length: 1,000 of 2,030,620 bytes received",
        id="cut-short",
    ),
    pytest.param(
        UN_URL,
        b"<html><body>Down for maintenance</body></html>",
        (),
        f"not a UN Security Council consolidated list: {UN_URL}: root: root element is html, "
        "expected CONSOLIDATED_LIST",
        id="html-page-instead-of-xml",
    ),
    pytest.param(
        AU_URL,
        AU_XLSX[: len(AU_XLSX) // 2],
        (),
        "not an XLSX workbook (not a ZIP archive of the expected kind): "
        f"{AU_URL}: workbook: File is not a zip file",
        id="half-a-workbook",
    ),
]


@pytest.mark.parametrize(("url", "served", "options", "message"), FAILURES)
def test_a_failed_download_is_one_line_and_adds_no_version(
    publisher: Publisher, url: str, served: Served, options: tuple[str, ...], message: str
) -> None:
    publisher.served[url] = served
    name = next(d.list_name for d in DOWNLOADS.values() if d.url == url)
    code, out, err = _run("sources", "update", name, *options)
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"error: {name}: {message}")
    assert publisher.requests == [url]
    assert _lists() == []


@pytest.mark.parametrize("names", [["no_such_list"], ["un-xml", "eu-xml"]])
def test_an_unknown_list_is_refused_before_any_download(
    publisher: Publisher, names: list[str]
) -> None:
    publisher.served[UN_URL] = UN_XML
    code, out, err = _run("sources", "update", *names)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: no official download for {names[-1]!r}; known lists: ")
    assert "un_sc_consolidated" in err
    assert "or their formats: au-xlsx, ca-xml, ofac-advanced," in err
    assert publisher.requests == []


@pytest.mark.parametrize(
    ("served", "announced"), [(UN_XML, len(UN_XML)), (_streamed, None)], ids=["sized", "chunked"]
)
def test_the_progress_bar_is_told_bytes_received_and_the_size_announced(
    tmp_path: Path, served: Served, announced: int | None
) -> None:
    """What `dignity sources update` draws its bar from (the bar itself shows only on a tty)."""
    publisher = Publisher()
    publisher.served[UN_URL] = served
    seen: list[tuple[str, int, int | None]] = []
    with new_client(transport=publisher.transport) as client:
        path = download(client, DOWNLOADS["un-xml"], tmp_path, progress=lambda *a: seen.append(a))
    assert path.read_bytes() == UN_XML
    assert seen[0] == ("consolidated.xml", 0, announced)
    assert seen[-1] == ("consolidated.xml", len(UN_XML), announced)
    received = [done for _, done, _ in seen]
    assert received == sorted(received)
    assert len(seen) > (2 if announced is None else 1)  # chunked: one report per chunk


@pytest.mark.slow
def test_the_ofac_csv_set_needs_all_four_files(publisher: Publisher) -> None:
    for file_name, url in OFAC_URLS.items():
        publisher.served[url] = (OFAC_2021 / file_name).read_bytes()
    code, out, err = _run("sources", "update", "us_ofac_sdn")
    assert (code, err) == (0, "")
    assert _imported("us_ofac_sdn", 1, "8,976").fullmatch(out)
    assert publisher.requests == list(OFAC_URLS.values())
    assert _lists() == [("us_ofac_sdn", 1, 8976, OFAC_URLS["sdn.csv"])]
    with transaction(state.sessionmaker) as session:
        assert [v.source_name for v in registry.list_versions(session, "us_ofac_sdn")] == [
            "ofac-csv"
        ]

    # A newer sdn.csv, but add.csv and the rest are missing: importing it would drop every
    # address and alias, so nothing is imported.
    publisher.served = {OFAC_URLS["sdn.csv"]: OFAC_2024_SDN.read_bytes()}
    code, out, err = _run("sources", "update", "ofac-csv")
    assert (code, out) == (1, "")
    assert err == f"error: us_ofac_sdn: {OFAC_URLS['add.csv']}: the publisher answered HTTP 404\n"
    assert _lists() == [("us_ofac_sdn", 1, 8976, OFAC_URLS["sdn.csv"])]


@pytest.mark.slow
def test_the_australian_workbook_by_format_name(publisher: Publisher) -> None:
    publisher.served[AU_URL] = AU_XLSX
    code, out, err = _run("sources", "update", "au-xlsx")
    assert (code, err) == (0, "")
    assert _imported("au_dfat_consolidated", 1, "3,810").fullmatch(out)
    assert _lists() == [("au_dfat_consolidated", 1, 3810, AU_URL)]
