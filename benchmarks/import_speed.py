"""List import speed: seconds and peak memory per official file, reading only and importing.

    .venv/bin/python benchmarks/import_speed.py [--database-url URL]

Each file runs in a child process of its own, so its peak resident memory is its own. "read" streams
the file through its format reader (parsing and building FollowTheMoney entities); "import" also
writes the statements into a fresh registry (SQLite by default), in one transaction. Times include
the interpreter's start and FollowTheMoney's one-time set-up (about 5 s on this machine). No open
peer imports these formats into a versioned statement store, so the figures stand alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

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
list_file = open_list(Path(path), fmt)
if mode == "read":
    entities = sum(1 for _ in list_file.entities())
else:
    from dignity.registry.services import import_list
    from dignity.store import create_engine, make_sessionmaker, migrate, transaction
    engine = create_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        result = import_list(session, list_file, actor="benchmark")
    entities = result.version.entities
import resource
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - started, "entities": entities,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=None, help="store to import into (default: SQLite)"
    )
    args = parser.parse_args()
    print(
        f"{'file':58} {'targets':>8} {'entities':>9} {'read s':>7} {'import s':>9} {'peak MB':>8}"
    )
    for fmt, path in FILES:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            read = measure("read", fmt, path, url)
            imported = measure("import", fmt, path, url)
        name = str(path.relative_to(DATA))
        print(
            f"{name:58} {int(read['targets']):>8,} {int(read['entities']):>9,} "
            f"{read['seconds']:>7.1f} {imported['seconds']:>9.1f} {read['peak_mb']:>8.0f} "
            f"{imported['peak_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
