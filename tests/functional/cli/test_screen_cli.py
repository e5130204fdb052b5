"""`dignity screen` end to end on the real UN list: files in, results out, records kept, resumable.

The UN list is imported once per module into a store of its own; each test tells its runs apart by
their run id, so tests do not depend on each other's rows.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import PostgresDatabases, make_settings
from dignity.audit.models import AuditEvent
from dignity.cli import app
from dignity.cli.context import operator, state
from dignity.screening.batch import BatchOptions, screen_file
from dignity.screening.models import Screening
from dignity.security.exports import safe_cell
from dignity.settings import Settings
from dignity.store import transaction
from factories.sources import un_store as un_list_store

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HAMZA = "un-qdi.421"  # HAMZA USAMA MUHAMMAD BIN LADEN
HAMZA_ARABIC = "حمزة أسامة محمد بن لادن"  # his NAME_ORIGINAL_SCRIPT in the UN file
NOBODY = "Quentin Zebulon Fairweather"
VERSIONS = {"un_sc_consolidated": 1}
runner = CliRunner()


@pytest.fixture(scope="module")
def un_store(postgres: PostgresDatabases | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    return un_list_store(postgres, tmp_path_factory.mktemp("screen"))


@pytest.fixture
def cli(tmp_path: Path, un_store: str) -> Iterator[Settings]:
    settings = make_settings(tmp_path, database_url=un_store)
    state.configure(settings)
    yield settings
    state.configure(None)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _run_id(out: str) -> str:
    return out.strip().rsplit("(run ", 1)[1].rstrip(")")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _json_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _screenings(run: str) -> list[Screening]:
    with transaction(state.sessionmaker) as session:
        rows = session.execute(select(Screening).where(Screening.settings.contains(run)))
        return list(rows.scalars())


def _batch_event(run: str) -> dict[str, Any]:
    with transaction(state.sessionmaker) as session:
        events = session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "screening.batch", AuditEvent.object_id == run
            )
        ).scalars()
        (event,) = events
        details: dict[str, Any] = json.loads(event.details)
        return details


CUSTOMERS = [
    ["Customer ID", "Full Name", "DOB", "Nationality"],
    ["C-1", "HAMZA USAMA MUHAMMAD BIN LADEN", "1989-05-09", "Saudi Arabia"],
    ["C-2", HAMZA_ARABIC, "", ""],
    ["C-3", NOBODY, "1970-01-01", "Iceland"],
    ["C-4", "", "1980-02-02", ""],
    ["C-5", "Hamza bin Laden", "not known", ""],
]


def _write_csv(path: Path, rows: list[list[str]], delimiter: str = ";") -> Path:
    # Excel's "CSV UTF-8": a byte-order mark, and a semicolon where the comma is a decimal mark.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def test_csv_rows_are_screened_explained_recorded_and_audited(
    cli: Settings, tmp_path: Path
) -> None:
    source = _write_csv(tmp_path / "customers.csv", CUSTOMERS)
    out = tmp_path / "results.csv"
    code, stdout, stderr = _run(
        "screen", "file", str(source), "--out", str(out), "--schema", "Person",
        "--map", "name=Full Name", "--map", "birthDate=DOB", "--id-column", "Customer ID",
    )  # fmt: skip
    assert code == 0, stderr
    assert "screened 5 rows of customers.csv: 3 with a match, 1 error, 1 warning" in stdout
    rows = {row["id"]: row for row in _csv_rows(out)}
    assert list(rows) == ["C-1", "C-2", "C-3", "C-4", "C-5"]
    latin, arabic, nobody, nameless, unsure = rows.values()
    assert (latin["match_1_id"], latin["match_1_match"], latin["matched"]) == (
        HAMZA,
        "true",
        "true",
    )
    assert latin["match_1_lists"] == "un_sc_consolidated"
    assert latin["match_1_explanation"] == (
        "name_match +1.00 'HAMZA USAMA MUHAMMAD BIN LADEN' ~ 'HAMZA USAMA MUHAMMAD BIN LADEN'; "
        "date_match +0.05 '1989-05-09' ~ '1989-05-09'"
    )
    assert json.loads(latin["query"])["nationality"] == ["Saudi Arabia"]
    assert (arabic["match_1_id"], arabic["match_1_match"]) == (HAMZA, "true")
    assert arabic["name"] == HAMZA_ARABIC
    assert nobody["matched"] == "false"
    assert all(nobody[f"match_{n}_match"] in ("", "false") for n in (1, 2, 3))
    assert nameless["error"] == (
        "row 5, column 'Full Name' (name): a name or an identifier is needed"
    )
    assert (nameless["screening_id"], nameless["match_1_id"]) == ("", "")
    assert unsure["warning"] == (
        "row 6, column 'DOB' (birthDate): 'not known' is not a date; screened without it"
    )
    assert unsure["match_1_id"] == HAMZA
    for row in rows.values():
        assert (row["algorithm"], row["algorithm_version"], row["threshold"]) == (
            "dignity-v1",
            "6",
            "0.8",
        )
        assert json.loads(row["list_versions"]) == VERSIONS
    assert not list(tmp_path.glob("results.csv.*"))  # no partial or state file is left

    run = _run_id(stdout)
    records = {r.id: r for r in _screenings(run)}
    assert set(records) == {row["screening_id"] for row in rows.values() if row["screening_id"]}
    record = records[latin["screening_id"]]
    assert (record.channel, record.query_key, record.actor) == (
        "batch:customers.csv",
        "C-1",
        operator(),
    )
    assert json.loads(record.results)[0]["id"] == HAMZA
    details = _batch_event(run)
    assert {k: details[k] for k in ("rows", "screened", "errors", "warnings", "matched")} == {
        "rows": 5,
        "screened": 4,
        "errors": 1,
        "warnings": 1,
        "matched": 3,
    }
    assert details["input"] == "customers.csv"
    assert len(details["input_sha256"]) == 64
    assert details["list_versions"] == VERSIONS

    code, stdout, _ = _run("screen", "show", latin["screening_id"])
    assert code == 0
    shown = json.loads(stdout)
    assert shown["query"]["properties"]["name"] == ["HAMZA USAMA MUHAMMAD BIN LADEN"]
    assert (shown["results"][0]["id"], shown["list_versions"]) == (HAMZA, VERSIONS)
    assert shown["algorithm"] == {"name": "dignity-v1", "version": "6"}
    exported = tmp_path / "examiner.jsonl"
    today = datetime.now(UTC).date().isoformat()
    code, stdout, _ = _run(
        "screen", "export", "--out", str(exported), "--since", today,
        "--actor", operator(),
    )  # fmt: skip
    assert code == 0
    ids = {record["id"] for record in _json_rows(exported)}
    assert set(records) <= ids
    assert stdout.strip() == f"exported {len(ids)} screening records to {exported}"


def test_xlsx_in_and_out_on_two_workers(cli: Settings, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Customers")
    sheet.append(["name", "Birth Date", "nationality"])
    sheet.append(["HAMZA USAMA MUHAMMAD BIN LADEN", date(1989, 5, 9), "sa"])
    sheet.append([NOBODY, None, None])
    sheet.append([None, None, None])
    sheet.cell(4, 1, '=HYPERLINK("http://example.org")').data_type = "s"  # text, not a formula
    for _ in range(7):
        sheet.append([HAMZA_ARABIC, None, None])
    source = tmp_path / "customers.xlsx"
    workbook.save(source)
    out = tmp_path / "results.xlsx"
    code, stdout, stderr = _run(
        "screen", "file", str(source), "--out", str(out), "--schema", "Person",
        "--sheet", "Customers", "--workers", "2", "--chunk-size", "3", "--limit", "1",
    )  # fmt: skip
    assert code == 0, stderr
    results = openpyxl.load_workbook(out, read_only=True)
    cells = [list(row) for row in results.worksheets[0].iter_rows()]
    results.close()
    header, *rows = [[cell.value for cell in row] for row in cells]
    found = [dict(zip(header, row, strict=True)) for row in rows]
    assert [row["row"] for row in found] == list(range(2, 12))
    assert (found[0]["match_1_id"], found[0]["match_1_match"]) == (HAMZA, True)
    assert "date_match +0.05 '1989-05-09'" in found[0]["match_1_explanation"]
    assert found[1]["matched"] is False
    # A cell that looks like a formula is written as text, not as a formula.
    assert found[2]["name"] == '=HYPERLINK("http://example.org")'
    assert cells[3][header.index("name")].data_type == "s"
    assert all(row["match_1_id"] == HAMZA for row in found[3:])
    assert "match_2_id" not in header
    assert len(_screenings(_run_id(stdout))) == 10


def test_json_lines_flat_and_followthemoney_with_a_broken_line(
    cli: Settings, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"ref": "a", "schema": "Person", "name": "Hamza bin Laden"}),
        json.dumps(
            {"id": "b", "schema": "Person", "properties": {"name": [HAMZA_ARABIC]}},
            ensure_ascii=False,
        ),
        "{not json",
        json.dumps({"ref": "d", "schema": "Persn", "name": "Hamza bin Laden"}),
        json.dumps({"ref": "e", "name": NOBODY, "birthDate": {"year": 1970}}),
        "",
        json.dumps({"ref": "g", "schema": "Person", "firstName": "Hamza", "lastName": "bin Laden"}),
    ]
    source = tmp_path / "customers.jsonl"
    source.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    code, _, stderr = _run(
        "screen", "file", str(source), "--out", str(out), "--id-column", "ref",
    )  # fmt: skip
    assert code == 0, stderr
    flat, ftm, broken, unknown, nested, parts = _json_rows(out)
    assert (flat["id"], flat["results"][0]["id"], flat["matched"]) == ("a", HAMZA, True)
    assert flat["list_versions"] == VERSIONS
    assert (ftm["id"], ftm["results"][0]["id"]) == ("2", HAMZA)  # no `ref`: the line number
    assert ftm["warning"] == "row 2, column 'ref': empty; the row number is used"
    assert ftm["query"] == {"schema": "Person", "properties": {"name": [HAMZA_ARABIC]}}
    assert broken["error"].startswith("row 3: not JSON (")
    assert unknown["error"] == (
        "row 4, column 'schema': 'Persn' is not a schema that can be screened; use one of "
        "Person, Organization, Company, LegalEntity, Vessel, Airplane"
    )
    assert nested["warning"] == "row 5, field 'birthDate': an object, not a value; ignored"
    assert (nested["query"]["schema"], nested["error"]) == ("LegalEntity", "")
    # A name in parts is screened as the whole name.
    assert parts["query"]["properties"]["name"] == ["Hamza bin Laden"]
    assert (parts["row"], parts["results"][0]["id"]) == (7, HAMZA)


def _interrupt_after(rows: int) -> Any:
    def progress(done: int, expected: int | None) -> None:
        if done >= rows:
            raise KeyboardInterrupt

    return progress


def _many_customers(path: Path, extra: list[list[str]] | None = None) -> Path:
    names = ["HAMZA USAMA MUHAMMAD BIN LADEN", HAMZA_ARABIC, NOBODY, "Hamza bin Laden", ""]
    rows = [["id", "name"], *([f"c{n}", names[n % len(names)]] for n in range(12))]
    return _write_csv(path, rows + (extra or []), delimiter=",")


FILE_ARGS = ("--schema", "Person", "--id-column", "id")
OPTIONS = BatchOptions(schema="Person", id_column="id")


def _without_ids(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k != "screening_id"} for row in rows]


def test_an_interrupted_run_continues_to_the_same_result(cli: Settings, tmp_path: Path) -> None:
    source = _many_customers(tmp_path / "customers.csv")
    reference = tmp_path / "reference.csv"
    assert _run("screen", "file", str(source), "--out", str(reference), *FILE_ARGS)[0] == 0
    out = tmp_path / "results.csv"
    with pytest.raises(KeyboardInterrupt):
        screen_file(
            state.sessionmaker, source, out, OPTIONS, actor="test", workers=1, chunk_size=4,
            progress=_interrupt_after(4),
        )  # fmt: skip
    saved = json.loads((tmp_path / "results.csv.state.json").read_text())
    assert (saved["rows_done"], saved["finished"]) == (4, False)
    assert len((tmp_path / "results.csv.partial").read_bytes().splitlines()) == 4
    assert not out.exists()

    code, stdout, stderr = _run("screen", "file", str(source), "--out", str(out), *FILE_ARGS)
    assert code == 0, stderr
    assert "screened 12 rows of customers.csv (resumed after 4)" in stdout
    assert _without_ids(_csv_rows(out)) == _without_ids(_csv_rows(reference))
    run = _run_id(stdout)
    assert run == saved["run"]
    records = _screenings(run)
    assert sorted(r.id for r in records) == sorted(
        row["screening_id"] for row in _csv_rows(out) if row["screening_id"]
    )
    details = _batch_event(run)
    assert (details["rows"], details["resumed"], details["errors"]) == (12, 1, 2)


def test_resuming_is_refused_when_the_input_changed(cli: Settings, tmp_path: Path) -> None:
    source = _many_customers(tmp_path / "customers.csv")
    out = tmp_path / "results.jsonl"
    with pytest.raises(KeyboardInterrupt):
        screen_file(
            state.sessionmaker, source, out, OPTIONS, actor="test", workers=1, chunk_size=4,
            progress=_interrupt_after(4),
        )  # fmt: skip
    _many_customers(source, extra=[["c99", "Someone Else"]])
    code, _, stderr = _run("screen", "file", str(source), "--out", str(out), *FILE_ARGS)
    assert code == 1
    assert stderr.strip() == (
        "error: results.jsonl.state.json records an interrupted run, but the input file "
        "changed since; continue it with the same input, options and lists, or pass --restart "
        "to start over"
    )
    code, _, stderr = _run(
        "screen", "file", str(source), "--out", str(out), "--schema", "Person", "--id-column", "id",
        "--limit", "5",
    )  # fmt: skip
    assert code == 1
    assert "the input file and the options changed" in stderr
    code, stdout, stderr = _run(
        "screen", "file", str(source), "--out", str(out), *FILE_ARGS, "--restart"
    )
    assert code == 0, stderr
    assert "screened 13 rows" in stdout
    assert [row["id"] for row in _json_rows(out)][-1] == "c99"


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_result(
    cli: Settings, un_store: str, tmp_path: Path
) -> None:
    names = ["HAMZA USAMA MUHAMMAD BIN LADEN", HAMZA_ARABIC, NOBODY, "Hamza bin Laden", "x"]
    rows = [["id", "name"], *([f"c{n}", names[n % 5]] for n in range(300))]
    source = _write_csv(tmp_path / "customers.csv", rows, delimiter=",")
    script = Path(sys.executable).parent / "dignity"
    env = {
        **os.environ,
        "DIGNITY_DATA_DIR": str(tmp_path / "var"),
        "DIGNITY_DATABASE_URL": un_store,
        "PYTHONHASHSEED": "7",  # candidate ties are broken by set order: keep it fixed
    }

    def command(out: Path) -> list[str]:
        args = ["screen", "file", str(source), "--out", str(out), *FILE_ARGS, "--workers", "2"]
        return [str(script), *args, "--chunk-size", "20"]

    reference = tmp_path / "reference.csv"
    subprocess.run(command(reference), env=env, check=True, capture_output=True)
    out = tmp_path / "results.csv"
    saved = tmp_path / "results.csv.state.json"
    process = subprocess.Popen(command(out), env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if saved.exists() and json.loads(saved.read_text())["rows_done"] >= 100:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = json.loads(saved.read_text())["rows_done"]
    assert 100 <= done < 300
    finished = subprocess.run(command(out), env=env, check=True, capture_output=True, text=True)
    assert f"(resumed after {done})" in finished.stdout
    assert _without_ids(_csv_rows(out)) == _without_ids(_csv_rows(reference))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "name"], "error: bad column mapping: --map: 'name': write PROPERTY=COLUMN"),
        (
            ["--map", "nickname=Full Name"],
            "error: bad column mapping: --map: nickname=Full Name: 'nickname' is not a property "
            "of a screenable schema",
        ),
        (["--schema", "Ship"], "error: unknown schema: --schema: 'Ship' is not a schema"),
        (["--id-column", "Client"], "no such column: {path}: --id-column: no column 'Client'"),
        (["--sheet", "One"], "error: --sheet is for XLSX files: --sheet: One"),
        (
            [],
            "error: a column does not fit the schema: DOB: maps to birthDate, which a "
            "LegalEntity does not have; pass --schema (Person, ...) or add a schema column",
        ),
    ],
    ids=["no-equals", "unknown-property", "unknown-schema", "no-column", "sheet", "schema-fit"],
)
def test_bad_options_are_one_clear_line(
    cli: Settings, tmp_path: Path, args: list[str], message: str
) -> None:
    source = _write_csv(tmp_path / "customers.csv", CUSTOMERS)
    run_args = ["--map", "name=Full Name", *args] if args[:1] != ["--map"] else args
    code, _, stderr = _run(
        "screen", "file", str(source), "--out", str(tmp_path / "out.csv"), *run_args
    )
    assert code == 1
    assert len(stderr.splitlines()) == 1
    assert message.format(path=source) in stderr


def test_text_that_is_not_utf8_is_refused_naming_the_line(cli: Settings, tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("name\nAlice\nJos\u00e9\n".encode("latin-1"))
    code, _, stderr = _run("screen", "file", str(source), "--out", str(tmp_path / "o.csv"))
    assert code == 1
    assert stderr.strip() == (
        f"error: the input is not UTF-8 text: {source}:3: encoding: save it as UTF-8 "
        "(Excel: CSV UTF-8)"
    )


def test_csv_output_quotes_what_would_be_a_formula(cli: Settings, tmp_path: Path) -> None:
    source = tmp_path / "customers.jsonl"
    source.write_text(json.dumps({"id": "@A1", "name": "=1+2"}) + "\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    assert _run("screen", "file", str(source), "--out", str(out), "--id-column", "id")[0] == 0
    (row,) = _csv_rows(out)
    assert (row["id"], row["name"]) == ("'@A1", "'=1+2")


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        (" =1+1", "' =1+1"),
        ("Hamza = Usama", "Hamza = Usama"),
        ("", ""),
    ],
)
def test_csv_cells_cannot_start_a_formula(text: str, written: str) -> None:
    assert safe_cell(text) == written


def test_show_an_unknown_screening(cli: Settings) -> None:
    code, _, stderr = _run("screen", "show", "no-such-id")
    assert (code, stderr.strip()) == (1, "error: no such screening")
