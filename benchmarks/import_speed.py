"""List import speed: seconds and peak memory per official file, reading only and importing.

    .venv/bin/python benchmarks/import_speed.py [--database-url URL]

Each file runs in a child process of its own, so its peak resident memory is its own. "start" is
the child's set-up before the file is opened: importing the libraries and, for an import, creating
the empty registry. "read" streams the file through its format reader (parsing and building
FollowTheMoney entities); "import" also writes the statements into the registry (SQLite by default,
a throwaway PostgreSQL database per file with --database-url), in one transaction. "read" and
"import" include one-time set-up inside the libraries on first use, such as rigour's table of
country names (about 1.5 s on this machine). No open peer imports these formats into a versioned
statement store, so the figures stand alone.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = (
    ("ofac-csv", DATA / "ofac/sdn-csv-2024-05-03/sdn.csv"),
    ("ofac-csv", DATA / "ofac/legacy-csv-2021-07-07"),
    ("un-xml", DATA / "un/consolidated.xml"),
    ("au-xlsx", DATA / "australia/Australian_Sanctions_Consolidated_List.xlsx"),
    ("ca-xml", DATA / "canada/sema-lmes.xml"),
)

CHILD = """
import json, sys, time
from pathlib import Path
mode, fmt, path, url = sys.argv[1:5]
started = time.perf_counter()
from dignity.sources.services import open_list
from dignity.registry.services import import_list
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
engine = create_engine(url)
if mode == "import":
    migrate.upgrade(engine)
ready = time.perf_counter()
list_file = open_list(Path(path), fmt)
if mode == "read":
    entities = sum(1 for _ in list_file.entities())
else:
    with transaction(make_sessionmaker(engine)) as session:
        result = import_list(session, list_file, actor="benchmark")
    entities = result.version.entities
done = time.perf_counter()
import resource
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"start": ready - started, "seconds": done - ready, "entities": entities,
                  "targets": list_file.report.targets, "peak_mb": peak_mb}))
"""


def measure(mode: str, fmt: str, path: Path, url: str) -> dict[str, float]:
    """Run one read or import in a fresh interpreter; it reports its own peak RSS."""
    output = subprocess.run(  # noqa: S603 (our own interpreter and script, fixed arguments)
        [sys.executable, "-c", CHILD, mode, fmt, str(path), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


@contextmanager
def fresh_store(database_url: str | None) -> Iterator[str]:
    """A store of its own for one file: a SQLite file, or a throwaway PostgreSQL database."""
    if database_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    url = make_url(database_url)
    name = f"dignity_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to import into (default: SQLite)"
    )
    args = parser.parse_args()
    print(
        f"{'file':54} {'targets':>8} {'entities':>9} {'start s':>8} {'read s':>7} "
        f"{'import s':>9} {'read MB':>8} {'import MB':>10}"
    )
    for fmt, path in FILES:
        with fresh_store(args.database_url) as url:
            read = measure("read", fmt, path, url)
            imported = measure("import", fmt, path, url)
        name = str(path.relative_to(DATA))
        print(
            f"{name:54} {int(read['targets']):>8,} {int(read['entities']):>9,} "
            f"{imported['start']:>8.1f} {read['seconds']:>7.1f} {imported['seconds']:>9.1f} "
            f"{read['peak_mb']:>8.0f} {imported['peak_mb']:>10.0f}"
        )


if __name__ == "__main__":
    main()
