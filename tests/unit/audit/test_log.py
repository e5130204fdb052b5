"""The audit log in the store: appending, the append-only triggers, tampering, checkpoints.

Tampering is done the way an attacker with the database owner's rights would: switch the
append-only triggers off, then change rows with plain SQL. All of it happens inside the test's
rolled-back transaction (DDL is transactional on SQLite and PostgreSQL; the first test shows it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from conftest import make_settings
from dignity.audit import maintenance, record_event
from dignity.audit.chain import GENESIS_HASH, Problem, VerifyReport, canonical_json
from dignity.audit.checkpoints import WITNESS_FILE, Checkpoint, DirectoryWitness
from dignity.audit.models import AuditEvent
from dignity.audit.services import (
    checkpoint_due,
    iter_entries,
    log_size,
    make_checkpoint,
    stored_checkpoints,
    utc_timestamp,
    verify_entries,
    verify_store,
)
from dignity.exc import IntegrityError
from dignity.security.keys import key_id, load_signing_key
from dignity.settings import Settings

APPEND_ONLY = ("audit_events", "audit_checkpoints")
EDITED = "content does not match its hash (edited)"
DOES_NOT_FOLLOW = "does not follow the entry before it (removed or reordered)"
INSUFFICIENT_PRIVILEGE = "42501"


# --- helpers ----------------------------------------------------------------------------------


def _is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _append_only_triggers(connection: Connection) -> set[tuple[str, str]]:
    """The triggers guarding the audit tables, with their state (PostgreSQL: 'O' on, 'D' off)."""
    if _is_postgres(connection):
        rows = connection.exec_driver_sql(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN ('audit_events'::regclass, 'audit_checkpoints'::regclass)"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT name, 'O' FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('audit_events', 'audit_checkpoints')"
        )
    return {(str(name), str(state)) for name, state in rows}


def _allow_tampering(connection: Connection) -> None:
    """What a database owner can do: switch off the append-only triggers."""
    for table in APPEND_ONLY:
        if _is_postgres(connection):
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_update")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_delete")


Statement = str | tuple[str, dict[str, object]] | sa.Update


def _tamper(session: Session, *statements: Statement) -> None:
    """Run SQL against the audit tables with the triggers off, then forget cached rows."""
    _allow_tampering(session.connection())
    for statement in statements:
        if isinstance(statement, sa.Update):
            session.execute(statement.execution_options(synchronize_session=False))
        else:
            sql, params = (statement, {}) if isinstance(statement, str) else statement
            session.execute(sa.text(sql), params)
    session.expire_all()


def _update_event(seq: int, **values: object) -> sa.Update:
    return sa.update(AuditEvent).where(AuditEvent.seq == seq).values(**values)


def _record(session: Session, n: int, start: int = 1) -> list[AuditEvent]:
    return [
        record_event(
            session,
            actor=f"operator:user{i}",
            action="case.updated",
            object_type="case",
            object_id=str(i),
            details={"step": i, "note": f"change {i}"},
        )
        for i in range(start, start + n)
    ]


def _verify(settings: Settings, factory: sessionmaker[Session]) -> VerifyReport:
    """What `dignity audit verify` does: the database, its checkpoints and the witness."""
    return maintenance.verify(settings, factory)


def _rewrite_history(session: Session, first: int, actor: str) -> None:
    """Edit entry `first` and recompute every hash after it, so the chain itself is consistent."""
    entries = list(iter_entries(session))
    prev_hash = entries[first - 2].hash if first > 1 else GENESIS_HASH
    updates: list[tuple[str, dict[str, object]]] = []
    for entry in entries[first - 1 :]:
        changed = replace(
            entry, actor=actor if entry.seq == first else entry.actor, prev_hash=prev_hash
        )
        new_hash = changed.expected_hash()
        updates.append(
            (
                "UPDATE audit_events SET actor = :actor, prev_hash = :prev, hash = :hash "
                "WHERE seq = :seq",
                {"actor": changed.actor, "prev": prev_hash, "hash": new_hash, "seq": entry.seq},
            )
        )
        prev_hash = new_hash
    _tamper(session, *updates)


def _expected_triggers(connection: Connection) -> set[tuple[str, str]]:
    if _is_postgres(connection):
        return {
            (f"{t}_{name}", "O") for t in APPEND_ONLY for name in ("append_only", "no_truncate")
        }
    return {(f"{t}_no_{change}", "O") for t in APPEND_ONLY for change in ("update", "delete")}


@pytest.fixture
def trusted(settings: Settings) -> set[str]:
    load_signing_key(settings.signing_key_path)  # the deployment's key, made as on first use
    return maintenance.trusted_key_ids(settings)


def test_verification_never_creates_a_signing_key(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 2)
    report = maintenance.verify(settings, factory)
    assert report.ok
    assert not settings.signing_key_path.exists()
    assert maintenance.trusted_key_ids(settings) == set()


@pytest.fixture(autouse=True)
def _triggers_outlive_every_test(engine: Engine) -> Iterator[None]:
    """After each test's transaction is rolled back, the shared store is append-only again."""
    yield
    with engine.connect() as connection, connection.begin():
        assert _append_only_triggers(connection) == _expected_triggers(connection)


# --- the test transaction contains the tampering ----------------------------------------------


def test_switching_the_triggers_off_is_undone_by_the_rollback(engine: Engine) -> None:
    with engine.connect() as connection:
        with connection.begin():
            before = _append_only_triggers(connection)
        assert before == _expected_triggers(connection)
        transaction = connection.begin()
        _allow_tampering(connection)
        during = _append_only_triggers(connection)
        assert during == (
            {(name, "D") for name, _ in before} if _is_postgres(connection) else set()
        )
        transaction.rollback()
        with connection.begin():
            assert _append_only_triggers(connection) == before
    with engine.connect() as other, other.begin():
        assert _append_only_triggers(other) == before


def test_the_triggers_refuse_changes_again_after_a_tampering_test(engine: Engine) -> None:
    # Seen by behaviour too: a row inserted afterwards still cannot be changed.
    with engine.connect() as connection:
        transaction = connection.begin()
        _allow_tampering(connection)
        transaction.rollback()
        with connection.begin() as outer:
            with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                _record(session, 1)
                with pytest.raises(DBAPIError), session.begin_nested():
                    session.execute(sa.text("UPDATE audit_events SET actor = 'x'"))
            outer.rollback()


# --- appending --------------------------------------------------------------------------------


def test_record_event_builds_a_hash_chain(session: Session) -> None:
    events = _record(session, 5)
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert [event.prev_hash for event in events] == [GENESIS_HASH] + [e.hash for e in events[:-1]]
    for event in events:
        payload = {
            "seq": event.seq,
            "occurred_at": event.occurred_at,
            "actor": event.actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "details": event.details,
        }
        recomputed = hashlib.sha256(
            bytes.fromhex(event.prev_hash) + canonical_json(payload).encode("utf-8")
        ).hexdigest()
        assert event.hash == recomputed
    assert len({event.hash for event in events}) == 5


def test_rows_are_stored_as_recorded(session: Session) -> None:
    recorded = _record(session, 3)
    session.expire_all()
    stored = list(iter_entries(session))
    assert [(e.seq, e.actor, e.prev_hash, e.hash) for e in stored] == [
        (e.seq, e.actor, e.prev_hash, e.hash) for e in recorded
    ]
    assert stored[1].details == '{"note":"change 2","step":2}'
    assert log_size(session) == 3


def test_details_are_stored_as_canonical_json(session: Session) -> None:
    event = record_event(
        session,
        actor="operator:alice",
        action="case.created",
        object_type="case",
        object_id="7",
        details={"z": 1, "a": "ü\n", "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
    )
    assert event.details == '{"a":"ü\\n","when":"2026-01-02T03:04:05+00:00","z":1}'
    assert record_event(session, actor="a", action="b", object_type="c").details == "{}"


def test_a_newline_in_the_actor_yields_one_record(session: Session) -> None:
    forged = "alice\nentry 2: forged"
    event = record_event(session, actor=forged, action="user.signed_in", object_type="user")
    session.expire_all()
    assert log_size(session) == 1
    assert [(e.seq, e.actor) for e in iter_entries(session)] == [(1, forged)]
    assert event.hash == next(iter(iter_entries(session))).expected_hash()


@pytest.mark.parametrize(
    ("moment", "stamp"),
    [
        (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "2026-03-01T12:00:00.000000Z"),
        (
            datetime(2026, 3, 1, 14, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2))),
            "2026-03-01T12:00:00.250000Z",
        ),
    ],
    ids=["utc", "plus-two-hours"],
)
def test_events_carry_the_utc_time(session: Session, moment: datetime, stamp: str) -> None:
    with time_machine.travel(moment, tick=False):
        event = record_event(session, actor="a", action="b", object_type="c")
    assert event.occurred_at == stamp


def test_utc_timestamps_are_fixed_width_so_text_order_is_time_order() -> None:
    early = utc_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = utc_timestamp(datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC))
    assert (early, late) == ("2026-01-02T03:04:05.000000Z", "2026-01-02T03:04:05.000001Z")
    assert early < late


def test_appending_to_a_log_whose_last_entry_is_gone_is_refused(session: Session) -> None:
    _record(session, 3)
    _tamper(session, "DELETE FROM audit_events WHERE seq = 3")
    with pytest.raises(IntegrityError, match="entry 3 is missing"):
        _record(session, 1, start=4)


# --- the append-only triggers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'operator:mallory' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "UPDATE audit_checkpoints SET root_hash = 'x' WHERE tree_size = 2",
        "DELETE FROM audit_checkpoints",
    ],
    ids=["update-event", "delete-event", "update-checkpoint", "delete-checkpoint"],
)
def test_rows_cannot_be_changed_or_removed(session: Session, statement: str) -> None:
    _record(session, 2)
    make_checkpoint(session, Ed25519PrivateKey.generate())
    before = (list(iter_entries(session)), stored_checkpoints(session))
    # A failed statement aborts a PostgreSQL transaction: try it inside a SAVEPOINT.
    with pytest.raises(DBAPIError) as caught, session.begin_nested():
        session.execute(sa.text(statement))
    if _is_postgres(session.connection()):
        assert caught.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE  # type: ignore[union-attr]
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    assert f"table {table} is append-only" in str(caught.value.orig)
    session.expire_all()
    assert (list(iter_entries(session)), stored_checkpoints(session)) == before


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_postgres_refuses_truncate(session: Session, table: str) -> None:
    if not _is_postgres(session.connection()):
        pytest.skip("SQLite has no TRUNCATE (DELETE is refused, above)")
    _record(session, 1)
    with pytest.raises(DBAPIError) as caught, session.begin_nested():
        session.execute(sa.text(f"TRUNCATE {table}"))
    assert caught.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE  # type: ignore[union-attr]
    assert log_size(session) == 1


# --- verification and tampering ---------------------------------------------------------------


def test_an_intact_log_verifies(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 5)
    assert maintenance.checkpoint_now(settings, factory) is not None
    _record(session, 2, start=6)
    report = _verify(settings, factory)
    # The database's checkpoint and the witness's copy are the same one, counted once.
    assert (report.ok, report.entries, report.checkpoints, report.problems) == (True, 7, 1, [])


def test_an_empty_log_verifies(settings: Settings, factory: sessionmaker[Session]) -> None:
    report = _verify(settings, factory)
    assert (report.ok, report.entries, report.checkpoints) == (True, 0, 0)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "operator:mallory"),
        ("action", "case.deleted"),
        ("object_type", "person"),
        ("object_id", "999"),
        ("details", '{"note":"nothing happened","step":3}'),
        ("occurred_at", "2020-01-01T00:00:00.000000Z"),
    ],
)
def test_an_edited_entry_is_reported_at_its_position(
    session: Session,
    settings: Settings,
    factory: sessionmaker[Session],
    column: str,
    value: str,
) -> None:
    _record(session, 5)
    _tamper(session, _update_event(3, **{column: value}))
    assert _verify(settings, factory).problems == [Problem(3, EDITED)]


def test_an_edited_hash_is_reported_at_its_entry(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 5)
    _tamper(session, ("UPDATE audit_events SET hash = :h WHERE seq = 3", {"h": "ab" * 32}))
    report = _verify(settings, factory)
    assert report.problems == [Problem(3, EDITED), Problem(4, DOES_NOT_FOLLOW)]
    assert report.first_problem == Problem(3, EDITED)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("DELETE FROM audit_events WHERE seq = 3", Problem(3, "missing (entries 3 absent)")),
        ("DELETE FROM audit_events WHERE seq = 1", Problem(1, "missing (entries 1 absent)")),
        (
            "DELETE FROM audit_events WHERE seq BETWEEN 2 AND 4",
            Problem(2, "missing (entries 2-4 absent)"),
        ),
    ],
    ids=["middle", "first", "several"],
)
def test_a_deleted_entry_is_reported_where_it_was(
    session: Session,
    settings: Settings,
    factory: sessionmaker[Session],
    statement: str,
    problem: Problem,
) -> None:
    _record(session, 5)
    _tamper(session, statement)
    assert _verify(settings, factory).problems == [problem]


def test_swapped_sequence_numbers_are_reported_at_the_smaller_one(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 5)
    _tamper(
        session,
        "UPDATE audit_events SET seq = -1 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = -1",
    )
    report = _verify(settings, factory)
    assert report.first_problem == Problem(2, DOES_NOT_FOLLOW)
    assert [p.seq for p in report.problems] == [2, 3, 4, 5]


def test_swapped_contents_are_reported_at_the_smaller_position(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    events = _record(session, 5)
    columns = ("occurred_at", "actor", "action", "object_type", "object_id", "details")
    second, fourth = events[1], events[3]
    _tamper(
        session,
        *(
            _update_event(target.seq, **{column: getattr(source, column) for column in columns})
            for target, source in ((second, fourth), (fourth, second))
        ),
    )
    assert [e.actor for e in iter_entries(session)][1:4] == [
        "operator:user4",
        "operator:user3",
        "operator:user2",
    ]
    report = _verify(settings, factory)
    assert report.problems == [Problem(2, EDITED), Problem(4, EDITED)]


def test_a_truncated_tail_is_caught_by_the_witness(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 5)
    checkpoint = maintenance.checkpoint_now(settings, factory)
    assert checkpoint is not None
    assert checkpoint.tree_size == 5
    # Remove the last entries and every checkpoint in the database, and reset the counter.
    _tamper(
        session,
        "DELETE FROM audit_events WHERE seq >= 4",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_head SET seq = 3",
    )
    assert (log_size(session), stored_checkpoints(session)) == (3, [])
    report = _verify(settings, factory)
    assert report.problems == [
        Problem(
            4,
            f"missing: the log ends at 3 entries but a checkpoint signed {checkpoint.issued_at} "
            "covers 5 (truncated)",
        )
    ]
    assert report.checkpoints == 1  # the witness's copy


def test_a_truncated_and_regrown_log_is_caught_by_the_witness(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 5)
    checkpoint = maintenance.checkpoint_now(settings, factory)
    assert checkpoint is not None
    _tamper(
        session,
        "DELETE FROM audit_events WHERE seq >= 4",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_head SET seq = 3",
    )
    # New events fill the gap: the chain is whole again, but not the one that was signed.
    _record(session, 3, start=100)
    report = _verify(settings, factory)
    assert report.problems == [
        Problem(
            5,
            f"entries 1-5 do not match the checkpoint signed {checkpoint.issued_at} "
            "(history rewritten)",
        )
    ]


def test_the_database_checkpoints_alone_catch_a_truncation(
    session: Session, trusted: set[str], settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 5)
    assert maintenance.checkpoint_now(settings, factory) is not None
    _tamper(session, "DELETE FROM audit_events WHERE seq = 5")
    report = verify_store(session, trusted, None)
    assert report.first_problem is not None
    assert report.first_problem.seq == 5
    assert report.first_problem.message.startswith("missing: the log ends at 4 entries")


@pytest.mark.parametrize("drop_database_checkpoints", [False, True], ids=["kept", "dropped"])
def test_rewritten_history_is_caught_by_the_checkpoint_root(
    session: Session,
    settings: Settings,
    factory: sessionmaker[Session],
    drop_database_checkpoints: bool,
) -> None:
    _record(session, 5)
    checkpoint = maintenance.checkpoint_now(settings, factory)
    assert checkpoint is not None
    _rewrite_history(session, 2, actor="operator:mallory")
    if drop_database_checkpoints:
        _tamper(session, "DELETE FROM audit_checkpoints")
    # The chain alone is consistent: only the signed root shows the rewrite.
    assert verify_entries(iter_entries(session), [], None).problems == []
    assert _verify(settings, factory).problems == [
        Problem(
            5,
            f"entries 1-5 do not match the checkpoint signed {checkpoint.issued_at} "
            "(history rewritten)",
        )
    ]


def test_rewritten_history_is_reported_at_the_first_checkpoint_after_it(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    signed: list[Checkpoint] = []
    for start in (1, 3, 5):
        _record(session, 2, start=start)
        checkpoint = maintenance.checkpoint_now(settings, factory)
        assert checkpoint is not None
        signed.append(checkpoint)
    assert [c.tree_size for c in signed] == [2, 4, 6]
    _rewrite_history(session, 3, actor="operator:mallory")
    report = _verify(settings, factory)
    assert [p.seq for p in report.problems] == [4, 6]
    assert report.first_problem == Problem(
        4,
        f"entries 1-4 do not match the checkpoint signed {signed[1].issued_at} (history rewritten)",
    )


def test_a_checkpoint_signed_with_another_key_is_untrusted(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 3)
    other = Ed25519PrivateKey.generate()
    with factory() as other_session, other_session.begin():
        forged = make_checkpoint(other_session, other)
    assert forged is not None
    DirectoryWitness(settings.witness_dir).publish(forged)
    report = _verify(settings, factory)
    expected = f"it is signed by an untrusted key {key_id(other.public_key())[:16]}"
    assert report.problems == [Problem(None, f"checkpoint of 3 entries: {expected}")]
    # Trusting no particular key, the same checkpoint is fine.
    assert verify_store(session, None, DirectoryWitness(settings.witness_dir)).ok


def _flipped(signature: str) -> str:
    raw = bytearray(base64.b64decode(signature))
    raw[10] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_a_checkpoint_with_a_flipped_signature_is_reported(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 3)
    checkpoint = maintenance.checkpoint_now(settings, factory)
    assert checkpoint is not None
    _tamper(
        session,
        (
            "UPDATE audit_checkpoints SET signature = :signature WHERE tree_size = 3",
            {"signature": _flipped(checkpoint.signature)},
        ),
    )
    report = _verify(settings, factory)
    # The witness's copy is intact and still verifies; the database's copy does not.
    assert report.problems == [
        Problem(None, "checkpoint of 3 entries: its signature does not verify")
    ]
    assert report.checkpoints == 2


def test_a_witness_copy_with_a_flipped_signature_is_reported(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 3)
    checkpoint = maintenance.checkpoint_now(settings, factory)
    assert checkpoint is not None
    witness_file = settings.witness_dir / WITNESS_FILE
    record = json.loads(witness_file.read_text(encoding="utf-8"))
    record["signature"] = _flipped(record["signature"])
    witness_file.write_text(canonical_json(record) + "\n", encoding="utf-8")
    report = _verify(settings, factory)
    assert report.problems == [
        Problem(None, "checkpoint of 3 entries: its signature does not verify")
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "Expecting value"),
        ("[1, 2]", "checkpoint is not an object"),
        ('{"tree_size": 3}', "checkpoint is incomplete"),
        (
            '{"tree_size": 0, "root_hash": "", "issued_at": "", "key_id": "", "public_key": "",'
            ' "signature": ""}',
            "bad checkpoint: ",
        ),
        (
            '{"tree_size": 3, "root_hash": "", "issued_at": "", "key_id": "", "public_key": 7,'
            ' "signature": 7}',
            "bad checkpoint: ",
        ),
    ],
    ids=["not-json", "not-an-object", "incomplete", "size-zero", "not-strings"],
)
def test_an_unreadable_witness_line_is_reported(
    session: Session,
    settings: Settings,
    factory: sessionmaker[Session],
    line: str,
    reason: str,
) -> None:
    _record(session, 3)
    assert maintenance.checkpoint_now(settings, factory) is not None
    witness_file = settings.witness_dir / WITNESS_FILE
    with witness_file.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    report = _verify(settings, factory)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.seq is None
    assert problem.message.startswith(f"witness {witness_file}:2: unreadable checkpoint (")
    assert reason in problem.message


def test_a_witness_file_that_is_not_utf8_is_reported(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 3)
    assert maintenance.checkpoint_now(settings, factory) is not None
    witness_file = settings.witness_dir / WITNESS_FILE
    with witness_file.open("ab") as handle:
        handle.write(b'{"tree_size": "\xff"}\n')
    report = _verify(settings, factory)
    assert [(p.seq, p.message.split(" (")[0]) for p in report.problems] == [
        (None, f"witness {witness_file}:2: unreadable checkpoint")
    ]


# --- making checkpoints -----------------------------------------------------------------------


def test_checkpoint_now_signs_stores_and_witnesses(
    session: Session, settings: Settings, factory: sessionmaker[Session], trusted: set[str]
) -> None:
    assert maintenance.checkpoint_now(settings, factory) is None  # nothing to sign yet
    _record(session, 4)
    checkpoint = maintenance.checkpoint_now(settings, factory)
    assert checkpoint is not None
    assert (checkpoint.tree_size, checkpoint.key_id) == (4, next(iter(trusted)))
    assert checkpoint.signature_problem(trusted) is None
    assert stored_checkpoints(session) == [checkpoint]
    assert DirectoryWitness(settings.witness_dir).read() == ([checkpoint], [])
    # Nothing new: no second checkpoint, and the witness gets no second line.
    assert maintenance.checkpoint_now(settings, factory) is None
    lines = (settings.witness_dir / WITNESS_FILE).read_text(encoding="utf-8").splitlines()
    assert lines == [canonical_json(checkpoint.to_dict())]


def test_the_signing_key_is_created_once_with_mode_0600(
    session: Session, settings: Settings, factory: sessionmaker[Session]
) -> None:
    _record(session, 1)
    first = maintenance.checkpoint_now(settings, factory)
    _record(session, 1, start=2)
    second = maintenance.checkpoint_now(settings, factory)
    assert first is not None
    assert second is not None
    assert first.key_id == second.key_id
    assert settings.signing_key_path.stat().st_mode & 0o777 == 0o600


# --- when a checkpoint is due -----------------------------------------------------------------

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TEN_MINUTES = timedelta(minutes=10)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.usefixtures("clock")
def test_not_due_on_an_empty_log(session: Session) -> None:
    assert not checkpoint_due(session, 3, TEN_MINUTES)


@pytest.mark.usefixtures("clock")
def test_due_for_the_first_events(session: Session) -> None:
    _record(session, 1)
    assert checkpoint_due(session, 3, TEN_MINUTES)


def test_not_due_when_nothing_is_new(session: Session, clock: time_machine.Coordinates) -> None:
    _record(session, 5)
    assert make_checkpoint(session, Ed25519PrivateKey.generate()) is not None
    assert not checkpoint_due(session, 3, TEN_MINUTES)
    clock.shift(timedelta(days=30))
    assert not checkpoint_due(session, 3, TEN_MINUTES)


@pytest.mark.parametrize("every", [1, 3, 10])
def test_due_after_every_n_events(
    session: Session, clock: time_machine.Coordinates, every: int
) -> None:
    _record(session, 2)
    assert make_checkpoint(session, Ed25519PrivateKey.generate()) is not None
    for i in range(every - 1):
        _record(session, 1, start=10 + i)
        assert not checkpoint_due(session, every, TEN_MINUTES)
    _record(session, 1, start=99)
    assert checkpoint_due(session, every, TEN_MINUTES)


def test_due_after_m_minutes_with_a_new_event(
    session: Session, clock: time_machine.Coordinates
) -> None:
    _record(session, 2)
    assert make_checkpoint(session, Ed25519PrivateKey.generate()) is not None
    _record(session, 1, start=3)
    clock.shift(TEN_MINUTES - timedelta(microseconds=1))
    assert not checkpoint_due(session, 100, TEN_MINUTES)
    clock.shift(timedelta(microseconds=1))
    assert checkpoint_due(session, 100, TEN_MINUTES)


def test_checkpoint_if_due_follows_the_settings(
    session: Session,
    factory: sessionmaker[Session],
    store_url: str,
    tmp_path: Path,
    clock: time_machine.Coordinates,
) -> None:
    settings = make_settings(
        tmp_path, database_url=store_url, audit_checkpoint_every=3, audit_checkpoint_minutes=10
    )
    _record(session, 1)
    first = maintenance.checkpoint_if_due(settings, factory)  # the first event is always due
    assert first is not None
    assert first.tree_size == 1
    _record(session, 2, start=2)
    assert maintenance.checkpoint_if_due(settings, factory) is None
    _record(session, 1, start=4)
    by_count = maintenance.checkpoint_if_due(settings, factory)
    assert by_count is not None
    assert by_count.tree_size == 4
    _record(session, 1, start=5)
    clock.shift(timedelta(minutes=9))
    assert maintenance.checkpoint_if_due(settings, factory) is None
    clock.shift(timedelta(minutes=1))
    by_age = maintenance.checkpoint_if_due(settings, factory)
    assert by_age is not None
    assert by_age.tree_size == 5
    clock.shift(timedelta(hours=1))
    assert maintenance.checkpoint_if_due(settings, factory) is None
    witnessed, problems = DirectoryWitness(settings.witness_dir).read()
    assert ([c.tree_size for c in witnessed], problems) == ([1, 4, 5], [])
