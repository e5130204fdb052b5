"""Monitoring speed: re-screening a book of 100,000 watched subjects after a list update.

    .venv/bin/python benchmarks/monitoring_speed.py [--subjects 100000] [--added 50] [--full]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The registry is the bundled default (OFAC SDN 2024, UN, Australia). The OFAC file is first imported
without `--added` of its entries, chosen at random; 100,000 subjects are registered (one in a
hundred named after a listed entry, spelled as a customer file would, the rest names of nobody made
from the Wikidata test tokens) and screened in full by a first pass. Then the complete file is
imported, as the next day's update that adds those entries, and the delta pass is timed: the
figure the issue sets a target for (under 2 minutes). With `--full`, for comparison, a full
re-screen of the whole book on the same store. Each step's wall time and CPU time are printed as
a Markdown table.

No open peer keeps watched subjects and re-screens them on list change (yente screens what it is
sent), so there is nothing to run beside it.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from dignity.registry import services as registry
from dignity.screening.monitoring.models import Portfolio, Subject
from dignity.screening.monitoring.rescreen import monitor
from dignity.screening.monitoring.subjects import create_portfolio, store_subjects, subject_row
from dignity.screening.services import IndexCache
from dignity.security.authz import operator_principal
from dignity.security.projects import create_project
from dignity.sources.bundled import bundled_files
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

ROOT = Path(__file__).resolve().parents[1]
WIKIDATA = ROOT.parent / "shared/data/eval-candidates/netransliteration-wikidata/wd_russian_20.tsv"
T = TypeVar("T")


def timed(label: str, rows: list[tuple[str, float, float]], work: Callable[[], T]) -> T:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    rows.append((label, time.perf_counter() - wall, time.process_time() - cpu))
    print(f"{label}: {rows[-1][1]:.1f} s", flush=True)
    return result


def without_entries(sdn: Path, out: Path, count: int, rng: random.Random) -> None:
    """A copy of OFAC's sdn.csv without `count` of its entries (the end-of-file byte kept)."""
    lines = sdn.read_bytes()[:-1].split(b"\n")
    dropped = set(rng.sample(range(len(lines) - 1), count))
    kept = [line for number, line in enumerate(lines) if number not in dropped]
    out.write_bytes(b"\n".join(kept) + b"\x1a")


def import_lists(factory: sessionmaker[Session], files: list[tuple[Path, str]]) -> None:
    for path, fmt in files:
        with transaction(factory) as session:
            registry.import_list(session, open_list(path, fmt), actor="benchmark")


def subject_names(
    index_names: list[tuple[str, str]], count: int, seed: int
) -> list[tuple[str, str]]:
    """(schema, name): one in a hundred a listed name, the rest names of nobody."""
    rng = random.Random(seed)
    tokens = [line.split("\t")[0] for line in WIKIDATA.read_text(encoding="utf-8").splitlines()]
    names = []
    for number in range(count):
        if number % 100 == 0:
            names.append(rng.choice(index_names))
        else:
            names.append(("Person", " ".join(rng.sample(tokens, 3)).title()))
    return names


def register(factory: sessionmaker[Session], names: list[tuple[str, str]]) -> str:
    principal = operator_principal("benchmark")
    with transaction(factory) as session:
        team = create_project(session, "Benchmark bank", "", actor=principal.actor)
        portfolio = create_portfolio(session, principal, name="Customers", project_id=team.id)
        rows = [
            subject_row(number, f"C{number:07d}", schema, {"name": [name]})
            for number, (schema, name) in enumerate(names, start=1)
        ]
        store_subjects(session, principal, portfolio, rows)
        return portfolio.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--added", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--full", action="store_true", help="also time a full re-screen of the book on demand"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/monitoring.db"
        engine = create_engine(url)
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        files = [(path, fmt) for path, fmt, _ in bundled_files(ROOT / "data/bundled")]
        sdn = next(path for path, fmt in files if fmt == "ofac-csv")
        yesterday = Path(tmp) / "sdn.csv"
        without_entries(sdn, yesterday, args.added, rng)
        others = [(path, fmt) for path, fmt in files if path != sdn]
        timed(
            "import yesterday's lists",
            rows,
            lambda: import_lists(factory, [(yesterday, "ofac-csv"), *others]),
        )
        cache = IndexCache()
        with factory() as session:
            index = timed("build the index", rows, lambda: cache.get(session))
        listed = [
            ("Person" if record.schema == "Person" else "LegalEntity", record.names[0].original)
            for record in index
            if record.names and record.schema in ("Person", "Organization", "Company")
        ]
        names = subject_names(listed, args.subjects, args.seed)
        timed(f"register {args.subjects:,} subjects", rows, lambda: register(factory, names))
        first = timed(
            "first pass (every subject screened in full)",
            rows,
            lambda: monitor(factory, index, actor="benchmark", trigger="first"),
        )
        timed("import the update", rows, lambda: import_lists(factory, [(sdn, "ofac-csv")]))
        with factory() as session:
            updated = timed("rebuild the index", rows, lambda: cache.get(session))
        delta = timed(
            f"delta pass after the update (+{args.added} entries)",
            rows,
            lambda: monitor(factory, updated, actor="benchmark", trigger="update"),
        )
        full = None
        if args.full:
            with factory() as session:
                portfolio_id = session.execute(select(Portfolio.id)).scalar_one()
            full = timed(
                "full re-screen of the book, on demand",
                rows,
                lambda: monitor(
                    factory, updated, actor="benchmark", trigger="full", portfolio_id=portfolio_id
                ),
            )
        with transaction(factory) as session:
            session.execute(delete(Subject))
        engine.dispose()
    print()
    print(f"| step ({args.subjects:,} subjects, {url.split(':')[0]}) | wall s | CPU s |")
    print("|---|---:|---:|")
    for label, wall, cpu in rows:
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |")
    print()
    for name, run in (("first", first), ("delta", delta), ("full", full)):
        if run is None:
            continue
        print(
            f"{name}: {run.subjects_checked:,} checked, {run.subjects_rescreened:,} re-screened, "
            f"{run.entities_changed:,} entities changed, {run.alerts_new:,} new alerts, "
            f"{run.alerts_changed:,} changed, {run.suppressed:,} suppressed"
        )


if __name__ == "__main__":
    main()
