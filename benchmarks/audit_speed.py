"""Audit log speed: appends per second, and verification (chain + Merkle checkpoints) per second.

    .venv/bin/python benchmarks/audit_speed.py [--events N] [--database-url URL]

Runs on a fresh store each time (a temporary SQLite file by default; with --database-url, a fresh
database created on that PostgreSQL server and dropped afterwards). Appends are measured two ways:
one event per transaction (what a web request does) and a batch of 1,000 events per transaction
(what an import does). There is no peer to compare with here: no open tool keeps a hash-chained,
checkpointed log in the application database.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dignity.audit import record_event
from dignity.audit.checkpoints import DirectoryWitness
from dignity.audit.services import make_checkpoint, verify_store
from dignity.security.keys import key_id, load_signing_key
from dignity.store import create_engine, make_sessionmaker, migrate


def _fresh_url(server: str | None, directory: Path) -> tuple[str, str | None]:
    if not server:
        return f"sqlite:///{directory / 'bench.db'}", None
    name = f"dignity_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def _drop(server: str, name: str) -> None:
    admin = sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def run(events: int, server: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url, created = _fresh_url(server, directory)
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            factory = make_sessionmaker(engine)
            single = min(events, 2000)
            started = time.perf_counter()
            for i in range(single):
                with factory() as session, session.begin():
                    record_event(
                        session,
                        actor="bench",
                        action="bench.single",
                        object_type="thing",
                        object_id=str(i),
                        details={"i": i},
                    )
            single_rate = single / (time.perf_counter() - started)

            started = time.perf_counter()
            batch = 1000
            for start in range(0, events, batch):
                with factory() as session, session.begin():
                    for i in range(start, min(start + batch, events)):
                        record_event(
                            session,
                            actor="bench",
                            action="bench.batch",
                            object_type="thing",
                            object_id=str(i),
                            details={"i": i},
                        )
            batch_rate = events / (time.perf_counter() - started)

            key = load_signing_key(directory / "key.pem")
            started = time.perf_counter()
            with factory() as session, session.begin():
                make_checkpoint(session, key)
            checkpoint_seconds = time.perf_counter() - started

            started = time.perf_counter()
            with factory() as session, session.begin():
                report = verify_store(
                    session, {key_id(key.public_key())}, DirectoryWitness(directory)
                )
            verify_seconds = time.perf_counter() - started
            assert report.ok, report.problems[:3]
        finally:
            engine.dispose()
            if server and created:
                _drop(server, created)
    total = single + events
    print(f"backend: {engine.dialect.name}")
    print(f"append, one event per transaction: {single_rate:,.0f} events/s ({single:,} events)")
    print(f"append, 1,000 events per transaction: {batch_rate:,.0f} events/s ({events:,} events)")
    print(f"checkpoint (Merkle root of {total:,} entries, signed): {checkpoint_seconds:.2f} s")
    rate = total / verify_seconds
    print(f"verify (chain + checkpoint): {rate:,.0f} entries/s ({verify_seconds:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to use instead of SQLite"
    )
    args = parser.parse_args()
    run(args.events, args.database_url)


if __name__ == "__main__":
    main()
