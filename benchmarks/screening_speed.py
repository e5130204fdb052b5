"""Screening speed: batch throughput, POST /match latency, and yente's logic-v2 side by side.

    .venv/bin/uv sync --group bench      # nomenklatura, the peer (benchmark-only)
    .venv/bin/python benchmarks/screening_speed.py [--queries 3000] [--peer-queries N] [--runs 5]

The registry is the bundled default (OFAC SDN 2024, UN, Australia: about 20,000 listed entities)
in a fresh SQLite store. Queries are names taken from it (as listed, as an alias, reordered) and
made-up names from the Wikidata test tokens that match nothing, a third each. Figures:

- Dignity in batch: queries per second, one process and two (forked workers, as
  `dignity screen file` runs);
- logic-v2 in-process scoring the very candidates Dignity scored for the same queries (all of
  them unless `--peer-queries` says fewer: rates over a few hundred queries are mostly cold
  caches), queries per second on one core, and the ratio; beside it, Dignity scoring the same
  candidates, each with its explanation, as logic-v2 does;
- POST /match with one query through a real uvicorn server: p50 and p95 latency over HTTP.

One process and the scoring side by side are timed in CPU time (`time.process_time`), so that
other work on the machine does not count against either side: per core. Two processes are timed
by the clock. The batch runs start from cold caches: each is forked afresh from the process that
built the index and screened nothing. Each figure is the median of `--runs` runs (on this
machine, one run of the same work can be a third slower than the next: every round's figures
are printed too, with the round's ratio, to show the spread; and since Dignity's runs last a
second where logic-v2's last half a minute, each round times Dignity's thrice and keeps the
median); the one-process batch, logic-v2 and Dignity's scoring run in turn, over the same
queries, so that their ratios compare runs minutes apart at most.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from dignity.api.app import create_app
from dignity.registry import services as registry
from dignity.screening.index import MemoryIndex
from dignity.screening.records import Record, query_record
from dignity.screening.services import MIN_CANDIDATES, IndexCache, Options, match_one
from dignity.security import apitokens
from dignity.settings import Settings
from dignity.sources.bundled import bundled_files
from dignity.sources.services import open_list
from dignity.store import create_engine, make_sessionmaker, migrate, transaction

ROOT = Path(__file__).resolve().parents[1]
WIKIDATA = ROOT.parent / "shared/data/eval-candidates/netransliteration-wikidata/wd_russian_20.tsv"
OPTIONS = Options(limit=5)
_INDEX: MemoryIndex | None = None  # what forked workers inherit
SHORT_RUNS = 3  # runs of Dignity's side in each round of `peer_rate` (the median is kept)


def load_registry(url: str) -> None:
    engine = create_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        for path, fmt, known_date in bundled_files(ROOT / "data/bundled"):
            list_file = open_list(path, fmt)
            list_file.known_date = known_date
            registry.import_list(session, list_file, actor="benchmark")
    engine.dispose()


def make_queries(index: MemoryIndex, count: int, seed: int) -> list[tuple[str, str]]:
    """(schema, name) pairs: listed names, aliases and reorderings, and names of nobody."""
    rng = random.Random(seed)
    # in the order of their ids (the index's own order since version 5; before, the store's,
    # which differs from one store to the next), and the queries must be the same in every run
    records = sorted((r for r in index if r.names), key=lambda r: r.id)
    latin = [line.split("\t")[0] for line in WIKIDATA.read_text(encoding="utf-8").splitlines()]
    queries = []
    for number in range(count):
        if number % 3 == 2:
            queries.append(("Person", " ".join(rng.sample(latin, 3)).title()))
            continue
        record = rng.choice(records)
        name = rng.choice(record.names).original
        if number % 3 == 1:
            parts = name.replace(",", " ").split()
            rng.shuffle(parts)
            name = " ".join(parts)
        schema = (
            record.schema if record.schema in ("Person", "Vessel", "Airplane") else "LegalEntity"
        )
        queries.append((schema, name))
    return queries


def _screen_chunk(chunk: list[tuple[str, str]]) -> int:
    assert _INDEX is not None
    for schema, name in chunk:
        match_one(_INDEX, query_record(schema, {"name": [name]}), OPTIONS)
    return len(chunk)


def _one_process(queries: list[tuple[str, str]]) -> float:
    """Queries per second of this process's CPU time (other work on the machine does not count
    against it), screening every query in turn."""
    started = time.process_time()
    done = _screen_chunk(queries)
    return done / (time.process_time() - started)


def batch_rate(queries: list[tuple[str, str]], workers: int, runs: int) -> float:
    """Queries per second from cold caches, the median of `runs` runs: each in processes forked
    afresh from this one, which built the index and screened nothing. One process is timed in
    CPU time (per core); forked workers by the clock."""
    context = multiprocessing.get_context("fork")
    rates = []
    for _ in range(runs):
        if workers == 1:
            with context.Pool(1) as pool:
                rates.append(pool.apply(_one_process, (queries,)))
            continue
        chunks = [queries[i : i + 100] for i in range(0, len(queries), 100)]
        started = time.perf_counter()
        with context.Pool(workers) as pool:
            done = sum(pool.imap_unordered(_screen_chunk, chunks))
        rates.append(done / (time.perf_counter() - started))
    return statistics.median(rates)


# What forked runs of the side-by-side scoring inherit: the queries and Dignity's candidates for
# each (logic-v2's run makes them FollowTheMoney entities before its clock starts: held here,
# their hundreds of thousands of objects would slow every garbage collection of the other runs).
_WORK: list[tuple[str, str, list[Record]]] = []


def _peer_run() -> float:
    from nomenklatura.matching import LogicV2

    config = LogicV2.default_config()
    work = [
        (schema, name, [_entity(candidate, candidate.id) for candidate in candidates])
        for schema, name, candidates in _WORK
    ]
    for number, (_schema, _name, entities) in enumerate(work[:10]):
        if entities:  # a candidate as the query: logic-v2's one-time set-up is not its speed
            warm = _entity(_WORK[number][2][0], f"warm-{number}")
            for candidate in entities:
                LogicV2.compare(warm, candidate, config)
    gc.collect()  # the entities are old objects when the clock starts, as an index's would be
    started = time.process_time()
    for number, (schema, name, entities) in enumerate(work):
        # logic-v2 remembers what it read of an entity by the entity's id: one id per query
        proxy = _entity(query_record(schema, {"name": [name]}), f"query-{number}")
        for candidate in entities:
            LogicV2.compare(proxy, candidate, config)
    return len(work) / (time.process_time() - started)


def _our_run() -> float:
    from dignity.screening.score import Scorer

    started = time.process_time()
    for schema, name, candidates in _WORK:
        assert _INDEX is not None
        scorer = Scorer(query_record(schema, {"name": [name]}), _INDEX.names)  # as `match_one`
        scorer.prepare(candidates)
        for candidate in candidates:
            scorer.score(candidate)
    return len(_WORK) / (time.process_time() - started)


def _candidate_ids(queries: list[tuple[str, str]]) -> list[list[str]]:
    """The ids of each query's candidates, as `match_one` finds them."""
    assert _INDEX is not None
    limit = max(OPTIONS.limit * 3, MIN_CANDIDATES)
    return [
        [c.id for c in _INDEX.candidates(query_record(schema, {"name": [name]}), limit=limit)]
        for schema, name in queries
    ]


def _entity(record: Record, entity_id: str) -> Any:
    from followthemoney import model

    proxy = model.make_entity(record.schema)
    proxy.id = entity_id
    for prop, values in record.properties.items():
        if proxy.schema.get(prop) is not None:
            proxy.add(prop, list(values), quiet=True)
    return proxy


def peer_rate(
    index: MemoryIndex, queries: list[tuple[str, str]], runs: int
) -> tuple[float, float, float, int]:
    """logic-v2 and Dignity scoring the same candidates of the same queries (one core each), and
    Dignity's whole batch of the same queries in one process, run in turn: logic-v2, Dignity's
    scoring, Dignity's batch, then again (the machine's speed drifts from minute to minute, and
    a ratio of runs far apart drifts with it).

    Each figure is the median of `runs` runs, each in a process forked afresh from this
    one. The candidates are made FollowTheMoney entities, with their own ids, before logic-v2 is
    timed (yente reads them so from its index); the query is made one in the timed loop, as each
    side prepares it, with an id of its own (logic-v2 remembers what it read of an entity by its
    id alone). logic-v2 compares the candidates of 10 queries before its clock starts: its
    one-time set-up is not its speed. It does so in its own process: done in this one, before the
    fork, it slowed every Dignity run forked after it by an eighth to a fifth, the compiled code
    most.
    """
    context = multiprocessing.get_context("fork")
    # The candidates are found in a process of their own: preparing the queries here would
    # leave this process's caches warm for the batch runs forked from it.
    with context.Pool(1) as pool:
        candidate_ids = pool.apply(_candidate_ids, (queries,))
    _WORK.clear()
    for (schema, name), ids in zip(queries, candidate_ids, strict=True):
        candidates = [record for i in ids if (record := index.get(i)) is not None]
        _WORK.append((schema, name, candidates))
    rates: dict[Any, list[float]] = {_peer_run: [], _our_run: [], _one_process: []}
    for round_ in range(runs):
        for run, found in rates.items():
            # Dignity's runs last a second or so, logic-v2's half a minute: one of Dignity's
            # runs is at the mercy of a slow second of the machine, so each round times it
            # thrice and keeps the median (logic-v2's long run averages such seconds out).
            times = 1 if run is _peer_run else SHORT_RUNS
            timed = []
            for _ in range(times):
                with context.Pool(1) as pool:
                    timed.append(pool.apply(run, (queries,) if run is _one_process else ()))
            found.append(statistics.median(timed))
        peer, ours, batch = (found[-1] for found in rates.values())
        print(
            f"round {round_ + 1}: logic-v2 {peer:,.1f}, Dignity scoring {ours:,.0f}, batch "
            f"{batch:,.0f} queries/s; batch / logic-v2 {batch / peer:,.1f}x",
            flush=True,
        )
    pairs = sum(len(candidates) for _, _, candidates in _WORK)
    peer, ours, batch = (statistics.median(found) for found in rates.values())
    return peer, ours, batch, pairs


def match_latency(url: str, tmp: Path, queries: list[tuple[str, str]]) -> tuple[float, float]:
    settings = Settings(_env_file=None, database_url=url, data_dir=tmp / "var")  # type: ignore[call-arg]
    engine = create_engine(url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        account = apitokens.create_service_account(session, "benchmark", "benchmark")
        _, secret = apitokens.issue_token(
            session,
            settings,
            scopes=["screening:read"],
            expires_days=1,
            actor="benchmark",
            now=datetime.now(UTC),
            service_account=account,
        )
    listener = socket.socket()
    # Accepted connections inherit this; without it each response waits ~40 ms on delayed ACK.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(settings, factory), log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    timings = []
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        for number, (schema, name) in enumerate(queries):
            body = {"queries": {"q": {"schema": schema, "properties": {"name": [name]}}}}
            started = time.perf_counter()
            response = client.post("/match/default", json=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"POST /match answered {response.status_code}: {response.text}")
            if number >= 20:  # the first requests build the index and warm caches
                timings.append(elapsed * 1000)
    server.should_exit = True
    thread.join()
    engine.dispose()
    quantiles = statistics.quantiles(timings, n=100)
    return quantiles[49], quantiles[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument(
        "--peer-queries", type=int, default=None, help="queries logic-v2 scores (all of them)"
    )
    parser.add_argument("--http-queries", type=int, default=520)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--runs", type=int, default=5, help="runs of each measure (the median)")
    args = parser.parse_args()
    global _INDEX
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        url = f"sqlite:///{tmp / 'bench.db'}"
        started = time.perf_counter()
        load_registry(url)
        print(f"bundled registry loaded in {time.perf_counter() - started:.1f} s")
        with transaction(make_sessionmaker(create_engine(url))) as session:
            started = time.perf_counter()
            _INDEX = IndexCache().get(session)
        print(f"index of {len(_INDEX):,} entities built in {time.perf_counter() - started:.1f} s")
        queries = make_queries(_INDEX, args.queries, args.seed)
        two = batch_rate(queries, 2, args.runs)
        peer_queries = queries[: args.peer_queries]  # the same queries, unless told otherwise
        peer, ours, one, pairs = peer_rate(_INDEX, peer_queries, args.runs)
        p50, p95 = match_latency(url, tmp, queries[: args.http_queries])
    print()
    print("| measure | Dignity | logic-v2 | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| batch, 1 process (cold caches), queries/s | {one:,.0f} | {peer:,.1f} | "
        f"{one / peer:,.1f}x |"
    )
    print(f"| batch, 2 processes (cold caches), queries/s | {two:,.0f} | | |")
    print(
        f"| scoring the same {pairs:,} candidates of {len(peer_queries):,} queries, 1 core, "
        f"queries/s | {ours:,.0f} | {peer:,.1f} | {ours / peer:,.0f}x |"
    )
    print(f"| POST /match, one query, p50 ms | {p50:.1f} | | |")
    print(f"| POST /match, one query, p95 ms | {p95:.1f} | | |")


if __name__ == "__main__":
    main()
