"""List files for tests: read through the real format readers, as an import reads them, and the
hostile XML every XML reader must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney import StatementEntity

from conftest import PostgresDatabases
from dignity.exc import FieldError, InvalidInput
from dignity.registry import services as registry
from dignity.sources.entities import list_dataset
from dignity.sources.formats import get_reader
from dignity.sources.report import ImportReport
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures/sources"
# The UN consolidated list, verbatim, beside the repository.
UN_FILE = TESTS.parents[1] / "shared/data/un/consolidated.xml"
# Verbatim excerpts of the publishers' files, beside the repository (see their PROVENANCE.md).
EXCERPTS = TESTS.parents[1] / "shared/data/excerpts"

Read = tuple[ImportReport, dict[str, StatementEntity]]


def read_list(format_name: str, path: Path) -> tuple[ImportReport, list[StatementEntity]]:
    """The report and the entities of `path`, streamed through the `format_name` reader."""
    reader = get_reader(format_name)
    report = ImportReport(format_name, str(path))
    entities = list(reader.read(path, report, list_dataset(reader.DEFAULT_LIST)))
    return report, entities


def read_by_id(format_name: str, path: Path) -> Read:
    """As `read_list`, with the entities by id."""
    report, entities = read_list(format_name, path)
    return report, {str(entity.id): entity for entity in entities}


def refusal(format_name: str, path: Path) -> list[FieldError]:
    """The errors with which the `format_name` reader refuses `path`; fails if it reads it."""
    with pytest.raises(InvalidInput) as caught:
        read_list(format_name, path)
    return caught.value.errors


def write(tmp_path: Path, text: str, name: str = "list.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def hostile_xml(root: str, body: str) -> dict[str, str]:
    """Documents that declare a DOCTYPE on line 2, by kind: `laughs` (entities that expand a
    thousandfold), `xxe` (an external entity) and `padded` (the DOCTYPE after a 70,000-character
    comment, past the 64 KiB a scan of the head sees). `body` is what the `root` element holds,
    with `{}` where the declared entity is used."""
    head = '<?xml version="1.0"?>\n'
    laughs = "".join(f'  <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 4))
    return {
        "laughs": f'{head}<!DOCTYPE {root} [\n  <!ENTITY lol0 "lol">\n{laughs}]>\n'
        f"<{root}>{body.format('&lol3;')}</{root}>\n",
        "xxe": f'{head}<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f"<{root}>{body.format('&xxe;')}</{root}>\n",
        "padded": f'<?xml version="1.0"?><!--{"x" * 70_000}-->\n'
        f'<!DOCTYPE {root} [<!ENTITY e "e">]>\n<{root}>{body.format("&e;")}</{root}>\n',
    }


def un_store(postgres: PostgresDatabases | None, directory: Path) -> str:
    """The URL of a store of its own (a database on the PostgreSQL server when the run has one,
    else a SQLite file in `directory`), migrated, with the UN list imported."""
    url = postgres.create() if postgres is not None else f"sqlite:///{directory / 'dignity.db'}"
    engine = create_engine(url)
    try:
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine)) as session:
            registry.import_list(session, open_list(UN_FILE, "un-xml"), actor="test")
    finally:
        engine.dispose()
    return url
