"""Chains of custody and fixity (SECURITY.md item 45): every entry is hash-chained, any edit,
removal or addition is found at the right entry, and the fixity pass finds exactly the damaged
blobs, logs a verification for every item, alerts on the corrupt ones and reports orphans."""

from __future__ import annotations

import itertools
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from evidence_helpers import Vault, make_vault
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit.models import AuditEvent
from dignity.evidence import fixity
from dignity.evidence import services as evidence
from dignity.evidence.blobs import new_blob_id, writing
from dignity.evidence.custody import ChainReport, entry_hash
from dignity.evidence.models import CustodyEvent, EvidenceItem

Edit = dict[str, Any]


@pytest.fixture
def chained(session: Session, tmp_path: Path) -> tuple[Vault, EvidenceItem]:
    """An item with five custody entries: ingest, then four reads."""
    vault = make_vault(session, tmp_path)
    item = vault.add(b"video frames " * 40, "clip.bin")
    for _ in range(4):
        vault.read(item)
    return vault, item


def test_the_chain_links_every_entry_and_mirrors_it_in_the_audit_log(
    chained: tuple[Vault, EvidenceItem],
) -> None:
    vault, item = chained
    chain = evidence.custody(vault.session, vault.investigator, item.id)
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    assert {e.sha256 for e in chain} == {item.sha256}
    assert chain[1].purpose == "review for the referral"
    assert chain[1].actor == vault.investigator.actor
    assert (item.custody_seq, item.custody_head) == (5, chain[-1].hash)
    report = evidence.verify_chain(vault.session, vault.investigator, item.id)
    assert (report.ok, report.entries) == (True, 5)
    logged = vault.session.execute(
        select(AuditEvent.details).where(AuditEvent.object_id == item.id).order_by(AuditEvent.seq)
    ).scalars()
    assert [json.loads(d)["custody_hash"] for d in logged] == [e.hash for e in chain]


@pytest.mark.parametrize(
    ("edit", "first_bad"),
    [
        ({"purpose": "nothing to see"}, 3),
        ({"actor": "user:someone-else"}, 2),
        ({"action": "view"}, 4),
        ({"sha256": "0" * 64}, 1),
        ({"details": {"result": "ok"}}, 5),
        ({"at": "earlier"}, 3),
    ],
)
def test_any_edited_entry_breaks_the_chain_there(
    chained: tuple[Vault, EvidenceItem], edit: Edit, first_bad: int
) -> None:
    vault, item = chained
    values = dict(edit)
    if values.get("at") == "earlier":
        entry = vault.session.get(CustodyEvent, (item.id, first_bad))
        assert entry is not None
        values["at"] = entry.at - timedelta(hours=1)
    vault.session.execute(
        update(CustodyEvent)
        .where(CustodyEvent.item_id == item.id, CustodyEvent.seq == first_bad)
        .values(**values)
    )
    vault.session.expire_all()
    report = evidence.verify_chain(vault.session, vault.investigator, item.id)
    assert (report.ok, report.first_bad) == (False, first_bad)
    assert "changed" in report.problem


def test_removed_or_added_entries_break_the_chain(chained: tuple[Vault, EvidenceItem]) -> None:
    vault, item = chained
    session = vault.session
    rows = [
        {c.name: getattr(e, c.name) for c in CustodyEvent.__table__.columns}
        for e in evidence.custody(session, vault.investigator, item.id)
    ]

    def keep(*seqs: int) -> ChainReport:
        session.execute(delete(CustodyEvent).where(CustodyEvent.item_id == item.id))
        session.execute(insert(CustodyEvent), [rows[n - 1] for n in seqs])
        session.expire_all()
        return evidence.verify_chain(session, vault.investigator, item.id)

    assert keep(1, 2, 3, 4, 5).ok
    tail = keep(1, 2, 3, 4)  # the newest entry dropped: caught by the item's count
    assert (tail.ok, tail.first_bad) == (False, 5)
    middle = keep(1, 2, 4, 5)
    assert (middle.ok, middle.first_bad) == (False, 3)
    assert "missing" in middle.problem

    forged = CustodyEvent(**{**rows[4], "seq": 6, "prev_hash": rows[4]["hash"]})
    rows.append({**rows[4], "seq": 6, "prev_hash": rows[4]["hash"], "hash": entry_hash(forged)})
    added = keep(1, 2, 3, 4, 5, 6)  # a well-formed entry written behind the item's back
    assert (added.ok, added.first_bad) == (False, 6)


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x80
    path.write_bytes(bytes(data))


def test_fixity_finds_exactly_the_damaged_items(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with factory() as session:
        vault = make_vault(session, tmp_path)
        items = [vault.add(os.urandom(300 + n), f"file-{n}.bin") for n in range(5)]
        session.commit()
    flipped, missing = items[1], items[3]
    backup = vault.blob(flipped).read_bytes()
    _flip(vault.blob(flipped))
    vault.blob(missing).unlink()
    orphan = new_blob_id()
    with writing(vault.store, orphan) as handle:  # a blob whose row never committed
        handle.write(b"ciphertext of a failed intake")

    seen: list[tuple[int, int]] = []
    report = fixity.verify_all(
        factory,
        vault.keyring,
        vault.store,
        actor="operator:fixity",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (report.checked, report.ok) == (5, 3)
    assert sorted(report.corrupt) == sorted([flipped.id, missing.id])
    assert report.orphans == [orphan]
    assert seen[-1] == (5, 5)

    with factory() as session:
        for item in items:
            stored = session.get(EvidenceItem, item.id)
            assert stored is not None
            assert stored.last_verified_at is not None
            bad = item in (flipped, missing)
            assert stored.state == ("corrupt" if bad else "stored")
            last = session.get(CustodyEvent, (item.id, 2))
            assert last is not None
            assert last.action == "verification"
            assert last.details["result"] == ("corrupt" if bad else "ok")
            assert last.actor == "operator:fixity"
            report_chain = evidence.verify_chain(session, vault.investigator, item.id)
            assert report_chain.ok
        alerts = session.execute(
            select(AuditEvent.object_id).where(AuditEvent.action == "evidence.corrupt")
        ).scalars()
        assert sorted(alerts) == sorted([flipped.id, missing.id])

    vault.blob(flipped).write_bytes(backup)  # the blob restored from a backup
    again = fixity.verify_all(factory, vault.keyring, vault.store, actor="operator:fixity")
    assert (again.ok, again.corrupt) == (4, [missing.id])
    with factory() as session:
        restored = session.get(EvidenceItem, flipped.id)
        assert restored is not None
        assert restored.state == "stored"
        entry = session.get(CustodyEvent, (flipped.id, 3))
        assert entry is not None
        assert entry.details == {"result": "ok", "was": "corrupt"}


def test_a_consistently_rewritten_chain_is_caught_by_the_audit_log(
    chained: tuple[Vault, EvidenceItem],
) -> None:
    """Someone with write access rewrites entry 3 and every hash after it, and the item's head."""
    vault, item = chained
    session = vault.session
    chain = evidence.custody(session, vault.investigator, item.id)
    chain[2].purpose = "routine"
    previous = chain[1].hash
    for entry in chain[2:]:
        entry.prev_hash = previous
        entry.hash = previous = entry_hash(entry)
    item.custody_head = previous
    session.flush()
    session.expire_all()
    report = evidence.verify_chain(session, vault.investigator, item.id)
    assert (report.ok, report.first_bad) == (False, 3)
    assert "audit log" in report.problem
