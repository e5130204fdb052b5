"""The batch screening page: a file uploaded, screened against the real UN list, and downloaded.

The job runs in a thread of the server, which opens its own connections: the rolled-back test
connection cannot be shared between threads, so `factory` is overridden here with one on a store of
this module's own (the UN list imported once). Rows written here stay; each test signs in with
accounts of its own and names its files apart.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from conftest import PostgresDatabases, make_settings
from dignity.audit.models import AuditEvent
from dignity.registry import services as registry
from dignity.screening.models import Screening
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from dignity.web.screening_batch_files import clean_file_name
from factories.security import browser, csrf_from, quick_account, sign_in

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "un-qdi.421"  # HAMZA USAMA MUHAMMAD BIN LADEN
NOBODY = "Quentin Zebulon Fairweather"
MAX_ROWS = 50
WAIT_SECONDS = 60.0


@pytest.fixture(scope="module")
def un_engine(
    postgres: PostgresDatabases | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if postgres is not None:
        url = postgres.create()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('batch-web') / 'dignity.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    yield engine
    engine.dispose()


@pytest.fixture
def factory(un_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(un_engine)


@pytest.fixture
def settings(tmp_path: Path, un_engine: Engine) -> Settings:
    url = un_engine.url.render_as_string(hide_password=False)
    return make_settings(
        tmp_path, database_url=url, screening_upload_max_mb=1, screening_batch_max_rows=MAX_ROWS
    )


@pytest.fixture
def admin_client(client: TestClient, session: Session, keyring: Keyring) -> TestClient:
    sign_in(client, quick_account(session, keyring, f"admin-{secrets.token_hex(4)}", Role.ADMIN))
    return client


def _other(app: FastAPI, session: Session, keyring: Keyring, role: Role) -> TestClient:
    """Another browser, signed in as someone else."""
    other = browser(app)
    sign_in(other, quick_account(session, keyring, f"{role}-{secrets.token_hex(4)}", role))
    return other


def _upload(
    client: TestClient,
    content: bytes,
    name: str = "customers.csv",
    media_type: str = "text/csv",
    **fields: str,
) -> Response:
    token = csrf_from(client.get("/screening/batch").text)
    data = {"csrf_token": token, "schema": "Person", "dataset": "default", "threshold": "0.8"}
    return client.post(
        "/screening/batch",
        data={**data, **fields},
        files={"file": (name, content, media_type)},
        follow_redirects=False,
    )


def _wait(client: TestClient, job: str) -> str:
    """Polls the job's status part until it is finished; returns it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        answer = client.get(f"{job}/status")
        assert answer.status_code == 200
        if 'data-state="done"' in answer.text or 'data-state="failed"' in answer.text:
            return answer.text
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)


def _download(client: TestClient, job: str) -> Response:
    token = csrf_from(client.get(job).text)
    return client.post(f"{job}/download", data={"csrf_token": token})


def _job_directories(settings: Settings) -> list[Path]:
    root = settings.data_dir / "screening-batch"
    return sorted(root.iterdir()) if root.exists() else []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_screened_watched_and_downloaded_once(
    app: FastAPI,
    admin_client: TestClient,
    session: Session,
    keyring: Keyring,
    settings: Settings,
) -> None:
    name = f"customers-{secrets.token_hex(3)}.csv"
    content = (
        "name,birthDate,nationality\n"
        "HAMZA USAMA MUHAMMAD BIN LADEN,1989-05-09,Saudi Arabia\n"
        f"{NOBODY},1970-01-01,Iceland\n"
    ).encode()
    answer = _upload(admin_client, content, name)
    assert answer.status_code == 303, answer.text
    job = answer.headers["location"]
    assert job.startswith("/screening/batch/")
    assert len(job.rsplit("/", 1)[1]) >= 32  # a random id, not a number

    page = admin_client.get(job)
    assert page.status_code == 200
    assert f"<bdi>{name}</bdi>" in page.text
    status = _wait(admin_client, job)
    assert 'data-state="done"' in status
    assert "hx-get" not in status  # the page stops polling
    assert "Done: 2 rows screened, 1 with a match" in status  # announced to screen readers

    # Customer data on disk: the input went once screened; the results are the owner's alone.
    (directory,) = _job_directories(settings)
    assert _mode(directory) == 0o700
    assert _mode(directory.parent) == 0o700
    assert [p.name for p in directory.iterdir()] == [name.replace(".csv", "-screened.csv")]
    assert _mode(next(directory.iterdir())) == 0o600

    # Nobody else sees the job, and the other user's attempts change nothing.
    other = _other(app, session, keyring, Role.INVESTIGATOR)
    assert other.get(job).status_code == 404
    assert other.get(f"{job}/status").status_code == 404
    token = csrf_from(other.get("/screening/batch").text)
    assert other.post(f"{job}/download", data={"csrf_token": token}).status_code == 404
    assert name not in other.get("/screening/batch").text
    assert name in admin_client.get("/screening/batch").text

    download = _download(admin_client, job)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert "screened.csv" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row["name"] for row in rows] == ["HAMZA USAMA MUHAMMAD BIN LADEN", NOBODY]
    assert rows[0]["matched"] == "true"
    assert rows[0]["match_1_id"] == HAMZA
    assert "date_match +0.05" in rows[0]["match_1_explanation"]
    assert rows[1]["matched"] == "false"
    assert _job_directories(settings) == []  # deleted once downloaded
    assert _download(admin_client, job).status_code == 404  # once
    assert "no longer on the server" in admin_client.get(job).text

    # One record per row, on the web channel; one audit event for the run, one for the download.
    session.expire_all()
    records = session.execute(
        select(Screening).where(Screening.channel == f"web-batch:{name}")
    ).scalars()
    by_id = {record.id: record for record in records}
    assert set(by_id) == {row["screening_id"] for row in rows}
    run = {json.loads(record.settings)["batch"] for record in by_id.values()}
    assert len(run) == 1
    events = session.execute(select(AuditEvent).where(AuditEvent.object_id == run.pop())).scalars()
    actions = {event.action: json.loads(event.details) for event in events}
    assert set(actions) == {"screening.batch", "screening.batch_downloaded"}
    assert actions["screening.batch"]["channel"] == f"web-batch:{name}"
    assert actions["screening.batch"]["input"] == name
    assert actions["screening.batch"]["matched"] == 1


def _workbook(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_workbook_with_its_own_column_names_gives_a_workbook(
    admin_client: TestClient, settings: Settings
) -> None:
    content = _workbook(
        [
            ["Customer No", "Full Name", "Born", "Country"],
            ["C-1", "Hamza bin Laden", "1989-05-09", "SA"],
            ["C-2", NOBODY, "", ""],
        ]
    )
    # The name says CSV; the content decides.
    answer = _upload(
        admin_client,
        content,
        "clientes-año.csv",
        name_column="Full Name",
        birth_date_column="Born",
        nationality_column="Country",
        id_column="Customer No",
        output="xlsx",
    )
    assert answer.status_code == 303, answer.text
    job = answer.headers["location"]
    assert 'data-state="done"' in _wait(admin_client, job)
    download = _download(admin_client, job)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert download.headers["content-disposition"] == (
        'attachment; filename="clientes-a_o-screened.xlsx"; '
        "filename*=UTF-8''clientes-a%C3%B1o-screened.xlsx"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True).active
    assert sheet is not None
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert (cells[0]["id"], cells[0]["matched"], cells[0]["match_1_id"]) == ("C-1", True, HAMZA)
    assert cells[1]["id"] == "C-2"
    assert cells[1]["matched"] is False
    assert _job_directories(settings) == []


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
BAD_FILES = {
    "an image named .csv": ("customers.csv", PNG, "file", "not UTF-8 text"),
    "a PDF named .xlsx": (
        "customers.xlsx",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "file",
        "not UTF-8 text",
    ),
    "a zip that holds no workbook": (
        "customers.xlsx",
        _zip({"notes.txt": b"name\nx\n"}),
        "file",
        "not an Excel workbook",
    ),
    "an old Excel file": (
        "customers.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
        "file",
        ".xls",
    ),
    "Latin-1 text": ("customers.csv", "name\nJosé Martí\n".encode("latin-1"), "file", "Line 2"),
    "an empty file": ("customers.csv", b"", "file", "empty"),
    "a header only": ("customers.csv", b"name,birthDate\n", "file", "no rows"),
    "no name column": (
        "customers.csv",
        b"colour,size\nred,3\n",
        "name_column",
        "No column holds names",
    ),
    "a line too long": (
        "customers.csv",
        b"name\nHamza\n" + b"x" * (64 * 1024 + 1) + b"\n",
        "file",
        "Line 3 is longer than 64 KB",
    ),
    "too many rows": (
        "customers.csv",
        ("name\n" + "".join(f"Person {n}\n" for n in range(MAX_ROWS + 1))).encode(),
        "file",
        f"more than {MAX_ROWS} rows",
    ),
}


@pytest.mark.parametrize(("name", "content", "field", "message"), BAD_FILES.values(), ids=BAD_FILES)
def test_a_file_that_cannot_be_screened_is_refused_next_to_its_field(
    admin_client: TestClient,
    settings: Settings,
    name: str,
    content: bytes,
    field: str,
    message: str,
) -> None:
    answer = _upload(admin_client, content, name, media_type="application/octet-stream")
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text
    assert message in answer.text
    assert 'role="alert"' in answer.text  # the summary at the top names the field too
    assert _job_directories(settings) == []


def test_a_column_named_in_the_form_must_exist(
    admin_client: TestClient, settings: Settings
) -> None:
    content = b"Full Name,DOB\nHamza bin Laden,1989-05-09\n"
    answer = _upload(admin_client, content, name_column="Name", id_column="Full Name")
    assert answer.status_code == 422
    assert 'id="name_column-error"' in answer.text
    assert "No column &#39;Name&#39;: the columns are &#39;Full Name&#39;, &#39;DOB&#39;" in (
        answer.text
    )
    assert 'value="Name"' in answer.text  # kept as typed
    assert _job_directories(settings) == []


def test_a_file_over_the_limit_is_refused_while_it_streams(
    admin_client: TestClient, settings: Settings
) -> None:
    content = b"name\n" + b"x" * (1 << 20)  # one megabyte and five bytes; the limit is 1 MB
    answer = _upload(admin_client, content)
    assert answer.status_code == 413
    assert 'id="file-error"' in answer.text
    assert "larger than 1 MB" in answer.text
    assert _job_directories(settings) == []


def test_the_upload_needs_its_csrf_token_before_the_file(
    admin_client: TestClient, settings: Settings
) -> None:
    token = csrf_from(admin_client.get("/screening/batch").text)
    files = {"file": ("customers.csv", b"name\nHamza bin Laden\n", "text/csv")}
    for data in ({}, {"csrf_token": "0" * 64}):
        answer = admin_client.post("/screening/batch", data=data, files=files)
        assert answer.status_code == 403
    # The right token after the file is too late: nothing of the file is written before it.
    boundary = "dignity-test-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="customers.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nname\nHamza bin Laden\n\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token}\r\n--{boundary}--\r\n"
    )
    answer = admin_client.post(
        "/screening/batch",
        content=body.encode(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status_code == 403
    # From another site, even with the token.
    answer = admin_client.post(
        "/screening/batch",
        data={"csrf_token": token},
        files=files,
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert answer.status_code == 403
    assert _job_directories(settings) == []


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_only_those_who_may_screen_files_get_the_page(
    app: FastAPI, session: Session, keyring: Keyring, settings: Settings, role: Role
) -> None:
    client = _other(app, session, keyring, role)
    assert client.get("/screening/batch").status_code == 403
    token = csrf_from(client.get("/account").text)
    files = {"file": ("customers.csv", b"name\nHamza bin Laden\n", "text/csv")}
    answer = client.post("/screening/batch", data={"csrf_token": token}, files=files)
    assert answer.status_code == 403
    assert _job_directories(settings) == []


def test_the_name_page_links_to_the_file_page(
    admin_client: TestClient, app: FastAPI, session: Session, keyring: Keyring
) -> None:
    assert 'href="/screening/batch"' in admin_client.get("/screening").text
    analyst = _other(app, session, keyring, Role.ANALYST)
    page = analyst.get("/screening")
    assert page.status_code == 200
    assert 'href="/screening/batch"' not in page.text


FILE_NAMES = {
    "../../etc/passwd": "passwd",
    "..\\..\\x.csv": "x.csv",
    "/home/ana/customers.csv": "customers.csv",
    "C:\\Users\\ana\\Kunden.xlsx": "Kunden.xlsx",
    "a\x00b\x07c.csv": "abc.csv",
    "invoice\u202excs.csv": "invoicexcs.csv",  # a right-to-left override
    ".hidden.csv": "hidden.csv",
    "..": "customers",
    "": "customers",
    "  عملاء  2026 .csv": "عملاء 2026.csv",
    "n" * 300 + ".csv": "n" * 100 + ".csv",
    "م" * 300 + ".csv": "م" * 50 + ".csv",  # 100 bytes of the name kept, whatever the script
}


@pytest.mark.parametrize(("sent", "kept"), FILE_NAMES.items(), ids=repr)
def test_a_file_name_is_data_not_a_path(sent: str, kept: str) -> None:
    assert clean_file_name(sent) == kept
