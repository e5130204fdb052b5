"""`ftm`: FollowTheMoney entity files (JSON lines), and `write_entities` for exports.

The round trip uses the entities the `ca-xml` reader makes of the real 2020 Canadian file in
../shared/data/canada (read in place). Every other input is written into tmp_path by its test.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from followthemoney import StatementEntity

from dignity.exc import InvalidInput
from dignity.sources.entities import list_dataset, make_entity
from dignity.sources.formats import get_reader
from dignity.sources.formats.ftm import write_entities
from dignity.sources.report import ImportReport

DATA = Path(__file__).resolve().parents[3].parent / "shared/data"
CA_FILE = DATA / "canada/sema-lmes.xml"


def read(path: Path, format_name: str = "ftm") -> tuple[ImportReport, list[StatementEntity]]:
    reader = get_reader(format_name)
    report = ImportReport(format_name, str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, entities


def snapshot(entities: list[StatementEntity]) -> dict[str | None, tuple[str, dict[str, list[str]]]]:
    return {
        e.id: (e.schema.name, {prop: sorted(values) for prop, values in e.properties.items()})
        for e in entities
    }


def write_lines(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "entities.ftm.json"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


PERSON = {"id": "p-1", "schema": "Person", "properties": {"name": ["Ivan EXAMPLOV"]}}


@pytest.fixture(scope="module")
def canada() -> list[StatementEntity]:
    return read(CA_FILE, "ca-xml")[1]


def test_round_trip(tmp_path, canada):
    path = tmp_path / "ca.ftm.json"
    with path.open("w", encoding="utf-8") as handle:
        assert write_entities(canada, handle) == len(canada)
    report, back = read(path)
    assert snapshot(back) == snapshot(canada)
    assert report.warnings == []
    assert report.targets == 1369  # the persons and organisations; not their Sanctions
    assert report.programs["JVCFOR"] == 70


def test_writing_is_sorted_and_deterministic(canada):
    shuffled = list(canada)
    random.Random(7).shuffle(shuffled)
    first, second = io.StringIO(), io.StringIO()
    write_entities(canada, first)
    write_entities(shuffled, second)
    assert first.getvalue() == second.getvalue()
    ids = [json.loads(line)["id"] for line in first.getvalue().splitlines()]
    assert ids == sorted(ids)


def test_entities_sharing_an_id_are_merged():
    dataset = list_dataset("ftm")
    one = make_entity(dataset, "Person", "p-1")
    one.add("name", "Ivan EXAMPLOV")
    two = make_entity(dataset, "LegalEntity", "p-1")
    two.add("name", "Ivan EKZAMPLOV")
    out = io.StringIO()
    assert write_entities([one, two], out) == 1
    assert json.loads(out.getvalue()) == {
        "id": "p-1",
        "schema": "Person",
        "properties": {"name": ["Ivan EKZAMPLOV", "Ivan EXAMPLOV"]},
    }


def test_opensanctions_metadata_is_counted_and_targets_marked(tmp_path):
    sanction = {
        "id": "s-1",
        "schema": "Sanction",
        "properties": {"entity": ["p-1"], "programId": ["GLOMAG"]},
        "datasets": ["us_ofac_sdn"],
        "target": False,
    }
    path = write_lines(tmp_path, {**PERSON, "target": True, "first_seen": "2024-01-01"}, sanction)
    report, entities = read(path)
    assert [e.id for e in entities] == ["p-1", "s-1"]
    assert report.targets == 1
    assert dict(report.programs) == {"GLOMAG": 1}
    assert dict(report.unmapped) == {"first_seen": 1, "datasets": 1}


def test_a_value_its_type_refuses_is_left_out_with_a_warning(tmp_path):
    line = {**PERSON, "properties": {"name": ["X"], "birthDate": ["not a date", "1970-05"]}}
    report, (person,) = read(write_lines(tmp_path, line))
    assert person.get("birthDate") == ["1970-05"]
    assert [(w.location, w.field) for w in report.warnings] == [
        (f"{tmp_path / 'entities.ftm.json'}:1", "properties.birthDate")
    ]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({**PERSON, "schema": "Spaceship"}, "schema"),
        ({**PERSON, "schema": "Thing"}, "schema"),
        ({**PERSON, "properties": {"starship": ["X"]}}, "properties.starship"),
        ({**PERSON, "properties": {"name": {"a": 1}}}, "properties.name"),
        ({"schema": "Person", "properties": {}}, "id"),
        ('{"id": "p-2", "schema": "Person", "properties": {', "json"),
        ("[1, 2, 3]", "json"),
    ],
    ids=[
        "unknown-schema",
        "abstract",
        "unknown-property",
        "not-a-list",
        "no-id",
        "bad-json",
        "array",
    ],
)
def test_invalid_lines_are_refused_naming_line_and_field(tmp_path, line, field):
    path = write_lines(tmp_path, PERSON, line)
    with pytest.raises(InvalidInput) as caught:
        read(path)
    error = caught.value.errors[0]
    assert (error.location, error.field) == (f"{path}:2", field)
    assert f"{path}:2" in str(caught.value)


def test_a_utf16_file_is_refused(tmp_path):
    path = tmp_path / "entities.ftm.json"
    path.write_bytes(json.dumps(PERSON).encode("utf-16"))
    with pytest.raises(InvalidInput) as caught:
        read(path)
    assert (caught.value.errors[0].location, caught.value.errors[0].field) == (
        f"{path}:1",
        "encoding",
    )


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        read(path)
