"""Re-screening watched subjects: after a list changes, in full on demand, or one by one.

A delta pass compares every listed entity with what the last finished pass saw (`MonitoredEntity`
signatures). Only subjects that could match an entity that is new or changed, or that have an alert
on one that changed or left the lists, are screened again, and in full, against the whole index:
so a delta pass raises exactly the alerts a full re-screen would, at a fraction of the cost. A
portfolio whose threshold or algorithm changed since its last full pass is re-screened whole.

Alerts follow matches: a new match raises one; a match whose entity or subject changed since it
was last decided raises one again (or updates the open one) with what changed; a match decided as
a false positive and unchanged stays quiet (suppressed). Every chunk of subjects is one transaction
with its own audit event, so a pass that stops half-way loses nothing it reported, and the next
pass (the entity state is only moved on at the end) picks up the rest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from dignity.audit import record_event
from dignity.exc import Conflict
from dignity.screening.index import CandidateIndex, MemoryIndex
from dignity.screening.monitoring.entities import Snapshot, diff, signature, snapshot
from dignity.screening.monitoring.models import (
    Alert,
    MonitoredEntity,
    MonitorRun,
    Notification,
    Portfolio,
    Subject,
)
from dignity.screening.monitoring.subjects import config_for, revision_properties, subject_record
from dignity.screening.records import Record
from dignity.screening.score import ALGORITHM, ALGORITHM_VERSION, score
from dignity.screening.services import MIN_CANDIDATES, Hit, Options, match_one, screening_row
from dignity.store.session import write_transaction
from dignity.store.types import new_id, utcnow

# Matches kept per subject: a subject rarely matches more than a handful of listed entities.
MONITOR_LIMIT = 10
OPEN_STATUSES = ("open", "needs_info", "escalated")
CHUNK = 500
IN_CHUNK = 900  # ids per IN (...) list, under SQLite's limit on parameters
# Share of the listed entities changed from which a pass screens every subject in full.
FULL_SHARE = 0.25
# A run whose heartbeat is this old died with its process; another may start.
STALE_RUN = timedelta(minutes=10)

Progress = Callable[[int, int], None]  # subjects checked, subjects in all


@dataclass(frozen=True, slots=True)
class SubjectRow:
    id: str
    portfolio_id: str
    schema: str
    properties: str
    revision: int


def config_of(portfolio: Portfolio) -> str:
    """What a full pass of the portfolio is screened with: algorithm, version, threshold."""
    return config_for(portfolio.threshold)


@dataclass
class _Entities:
    signatures: dict[str, str]
    snapshots: dict[str, Snapshot]


_ENTITIES: WeakKeyDictionary[CandidateIndex, _Entities] = WeakKeyDictionary()


def _entities(index: CandidateIndex) -> _Entities:
    """Signature and snapshot of every entity of the index, worked out once per index."""
    found = _ENTITIES.get(index)
    if found is None:
        snapshots = {record.id: snapshot(record) for record in _records(index)}
        signatures = {entity_id: signature(values) for entity_id, values in snapshots.items()}
        found = _ENTITIES[index] = _Entities(signatures, snapshots)
    return found


def _records(index: CandidateIndex) -> Iterator[Record]:
    if not isinstance(index, MemoryIndex):
        raise TypeError("monitoring needs an index it can walk")
    return iter(index)


@dataclass
class _Counts:
    new: list[str] = field(default_factory=list)  # alert ids
    changed: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    by_portfolio: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


class _Pass:
    """Screens subjects against the index and brings their alerts up to date."""

    def __init__(self, index: CandidateIndex, run: MonitorRun, thresholds: dict[str, float]):
        self.index = index
        self.run_id = run.id
        self.actor = run.actor
        self.thresholds = thresholds
        self.entities = _entities(index)
        self.versions = json.dumps(index.versions, sort_keys=True)

    def screen(self, session: Session, subjects: Sequence[SubjectRow]) -> _Counts:
        counts = _Counts()
        latest = _latest_alerts(session, [s.id for s in subjects])
        for subject in subjects:
            record = subject_record(subject.id, subject.schema, subject.properties)
            options = Options(threshold=self.thresholds[subject.portfolio_id], limit=MONITOR_LIMIT)
            outcome = match_one(self.index, record, options)
            session.add(
                screening_row(
                    self.index,
                    options,
                    outcome,
                    subject.schema,
                    json.loads(subject.properties),
                    actor=self.actor,
                    channel=f"monitoring:{self.run_id}",
                    only_matches=True,
                )
            )
            matches = {hit.record.id: hit for hit in outcome.hits if hit.match}
            previous = latest.get(subject.id, {})
            for entity_id, hit in matches.items():
                self._reconcile(session, subject, hit, previous.get(entity_id), counts)
            for entity_id, alert in previous.items():
                if entity_id not in matches and alert.status in OPEN_STATUSES and not alert.gone_at:
                    alert.gone_at = utcnow()
                    counts.gone.append(alert.id)
        session.flush()
        return counts

    def _reconcile(
        self,
        session: Session,
        subject: SubjectRow,
        hit: Hit,
        previous: Alert | None,
        counts: _Counts,
    ) -> None:
        entity_id = hit.record.id
        entity_signature = self.entities.signatures[entity_id]
        values = self.entities.snapshots[entity_id]
        if previous is None:
            alert = self._alert(subject, hit, entity_signature, values, "new", {})
            session.add(alert)
            counts.new.append(alert.id)
            counts.by_portfolio[subject.portfolio_id][0] += 1
            return
        same = (
            previous.entity_signature == entity_signature
            and previous.subject_revision == subject.revision
        )
        if same:
            previous.gone_at = None
            if previous.status == "false_positive":
                counts.suppressed.append(previous.id)
            return
        changes = {
            "entity": diff(json.loads(previous.entity_snapshot), values),
            "subject": diff(
                revision_properties(session, subject.id, previous.subject_revision),
                json.loads(subject.properties),
            ),
        }
        counts.by_portfolio[subject.portfolio_id][1] += 1
        if previous.status in OPEN_STATUSES:  # still being reviewed: bring it up to date
            previous.score = hit.scored.score
            previous.features = _features(hit)
            previous.entity_signature, previous.entity_snapshot = entity_signature, _json(values)
            previous.subject_revision, previous.changes = subject.revision, _json(changes)
            previous.reason, previous.updated_at, previous.gone_at = "changed", utcnow(), None
            previous.list_versions = self.versions
            counts.changed.append(previous.id)
            return
        alert = self._alert(subject, hit, entity_signature, values, "changed", changes)
        alert.previous_id = previous.id
        session.add(alert)
        counts.changed.append(alert.id)

    def _alert(
        self,
        subject: SubjectRow,
        hit: Hit,
        entity_signature: str,
        values: Snapshot,
        reason: str,
        changes: dict[str, Any],
    ) -> Alert:
        return Alert(
            id=new_id(),
            portfolio_id=subject.portfolio_id,
            subject_id=subject.id,
            entity_id=hit.record.id,
            entity_caption=hit.record.caption[:500],
            status="open",
            reason=reason,
            score=hit.scored.score,
            datasets=_json(list(hit.record.datasets)),
            programs=_json(sorted(hit.record.programs)),
            features=_features(hit),
            list_versions=self.versions,
            entity_signature=entity_signature,
            entity_snapshot=_json(values),
            subject_revision=subject.revision,
            changes=_json(changes),
            run_id=self.run_id,
        )


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _features(hit: Hit) -> str:
    return _json([asdict(feature) for feature in hit.scored.features])


def _latest_alerts(session: Session, subject_ids: Sequence[str]) -> dict[str, dict[str, Alert]]:
    """subject -> entity -> the newest alert of the pair."""
    latest: dict[str, dict[str, Alert]] = defaultdict(dict)
    for start in range(0, len(subject_ids), IN_CHUNK):
        chunk = subject_ids[start : start + IN_CHUNK]
        for alert in session.execute(
            select(Alert).where(Alert.subject_id.in_(chunk)).order_by(Alert.created_at, Alert.id)
        ).scalars():
            latest[alert.subject_id][alert.entity_id] = alert
    return latest


def _start(
    session: Session, index: CandidateIndex, kind: str, trigger: str, actor: str, portfolio: str
) -> MonitorRun:
    running = session.execute(select(MonitorRun).where(MonitorRun.status == "running")).scalars()
    for other in running:
        if utcnow() - other.heartbeat_at < STALE_RUN:
            raise Conflict("a monitoring pass is already running; try again when it ends")
        other.status, other.error = "failed", "stopped without finishing"
    run = MonitorRun(
        kind=kind,
        trigger=trigger[:200],
        portfolio_id=portfolio or None,
        status="running",
        algorithm=ALGORITHM,
        algorithm_version=ALGORITHM_VERSION,
        list_versions=json.dumps(index.versions, sort_keys=True),
        actor=actor,
    )
    session.add(run)
    session.flush()
    return run


def _active_subjects(session: Session, portfolio_ids: Sequence[str]) -> list[SubjectRow]:
    rows = session.execute(
        select(
            Subject.id, Subject.portfolio_id, Subject.schema, Subject.properties, Subject.revision
        )
        .where(Subject.active.is_(True), Subject.portfolio_id.in_(portfolio_ids))
        .order_by(Subject.created_at, Subject.id)
    )
    return [SubjectRow(*row) for row in rows]


def _subjects_with_alerts_on(session: Session, entity_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(entity_ids), IN_CHUNK):
        chunk = entity_ids[start : start + IN_CHUNK]
        found.update(
            session.execute(
                select(Alert.subject_id).where(Alert.entity_id.in_(chunk)).distinct()
            ).scalars()
        )
    return found


def _may_match(changed: MemoryIndex, record: Record, threshold: float) -> bool:
    """Whether a subject reaches the threshold against any new or changed entity."""
    candidates = changed.candidates(record, limit=max(MONITOR_LIMIT * 3, MIN_CANDIDATES))
    return any(score(record, candidate).score >= threshold for candidate in candidates)


def monitor(
    factory: sessionmaker[Session],
    index: CandidateIndex,
    *,
    actor: str,
    trigger: str,
    portfolio_id: str | None = None,
    progress: Progress | None = None,
) -> MonitorRun:
    """One pass over the watched subjects against the current list versions.

    Without `portfolio_id`: every portfolio, re-screening only what the lists' changes since the
    last pass can affect (and in full the portfolios whose threshold or algorithm changed). With
    it: that portfolio in full, on demand; the entity state is left for the next delta pass.
    """
    full_only = portfolio_id is not None
    entities = _entities(index)
    with write_transaction(factory) as session:
        run = _start(
            session, index, "full" if full_only else "delta", trigger, actor, portfolio_id or ""
        )
        query = select(Portfolio)
        if portfolio_id is not None:
            query = query.where(Portfolio.id == portfolio_id)
        portfolios = list(session.execute(query).scalars())
        stored: dict[str, str] = dict(
            session.execute(select(MonitoredEntity.entity_id, MonitoredEntity.signature)).all()
        )
        changed = [e for e, sig in entities.signatures.items() if stored.get(e) != sig]
        removed = [e for e in stored if e not in entities.signatures]
        if not full_only:
            run.entities_changed, run.entities_removed = len(changed), len(removed)
        thresholds = {p.id: p.threshold for p in portfolios}
        # When most of the lists changed (a first pass, a new list, a new format), checking each
        # subject against what changed costs as much as screening it: screen everyone.
        everything = len(changed) > FULL_SHARE * max(len(entities.signatures), 1)
        full = {
            p.id for p in portfolios if full_only or everything or p.screened_with != config_of(p)
        }
        subjects = _active_subjects(session, [p.id for p in portfolios])
        touched = set() if full_only else _subjects_with_alerts_on(session, changed + removed)
        run.subjects_total = len(subjects)
        run_id = run.id
    try:
        counts = _run(factory, index, run, subjects, thresholds, full, changed, touched, progress)
    except BaseException as error:
        with write_transaction(factory) as session:
            failed = session.get(MonitorRun, run_id)
            if failed is not None:
                failed.status, failed.finished_at = "failed", utcnow()
                failed.error = f"{type(error).__name__}: {error}"[:2000]
        raise
    with write_transaction(factory) as session:
        if not full_only:
            _move_entity_state(session, entities, changed, removed)
        for portfolio_id in sorted(full):
            # What this pass used (a threshold changed meanwhile makes the next pass full
            # again), written around the ORM so that an editor's revision stays valid.
            session.execute(
                update(Portfolio)
                .where(Portfolio.id == portfolio_id)
                .values(screened_with=config_for(thresholds[portfolio_id]))
            )
        done = session.get(MonitorRun, run_id)
        assert done is not None  # noqa: S101 (created above, never deleted)
        _finish(session, done, counts)
        return done


def _run(
    factory: sessionmaker[Session],
    index: CandidateIndex,
    run: MonitorRun,
    subjects: Sequence[SubjectRow],
    thresholds: dict[str, float],
    full: set[str],
    changed: Sequence[str],
    touched: set[str],
    progress: Progress | None,
) -> _Counts:
    screening = _Pass(index, run, thresholds)
    changed_index = MemoryIndex(r for r in (index.get(e) for e in changed) if r is not None)
    total = _Counts()
    checked = rescreened = 0
    for start in range(0, len(subjects), CHUNK):
        chunk = subjects[start : start + CHUNK]
        affected = [
            subject
            for subject in chunk
            if subject.portfolio_id in full
            or subject.id in touched
            or (
                len(changed_index)
                and _may_match(
                    changed_index,
                    subject_record(subject.id, subject.schema, subject.properties),
                    thresholds[subject.portfolio_id],
                )
            )
        ]
        checked += len(chunk)
        rescreened += len(affected)
        with write_transaction(factory) as session:
            counts = screening.screen(session, affected) if affected else _Counts()
            _log_chunk(session, run.actor, run.id, counts)
            row = session.get(MonitorRun, run.id)
            assert row is not None  # noqa: S101 (created by this pass)
            row.subjects_checked, row.subjects_rescreened = checked, rescreened
            row.heartbeat_at = utcnow()
            _add(row, counts)
        _merge(total, counts)
        if progress is not None:
            progress(checked, len(subjects))
    return total


def _add(run: MonitorRun, counts: _Counts) -> None:
    run.alerts_new += len(counts.new)
    run.alerts_changed += len(counts.changed)
    run.suppressed += len(counts.suppressed)
    run.matches_gone += len(counts.gone)


def _merge(total: _Counts, counts: _Counts) -> None:
    total.new += counts.new
    total.changed += counts.changed
    total.suppressed += counts.suppressed
    total.gone += counts.gone
    for portfolio_id, (new, changed) in counts.by_portfolio.items():
        total.by_portfolio[portfolio_id][0] += new
        total.by_portfolio[portfolio_id][1] += changed


def _log_chunk(session: Session, actor: str, run_id: str, counts: _Counts) -> None:
    """One audit event per chunk naming every alert raised, updated, suppressed or gone."""
    if not (counts.new or counts.changed or counts.suppressed or counts.gone):
        return
    record_event(
        session,
        actor=actor,
        action="monitoring.alerts",
        object_type="monitor_run",
        object_id=run_id,
        details={
            "new": counts.new,
            "changed": counts.changed,
            "suppressed": counts.suppressed,
            "gone": counts.gone,
        },
    )


def _move_entity_state(
    session: Session, entities: _Entities, changed: Sequence[str], removed: Sequence[str]
) -> None:
    gone_or_changed = [*removed, *changed]
    for start in range(0, len(gone_or_changed), IN_CHUNK):
        chunk = gone_or_changed[start : start + IN_CHUNK]
        session.execute(delete(MonitoredEntity).where(MonitoredEntity.entity_id.in_(chunk)))
    rows = [{"entity_id": e, "signature": entities.signatures[e]} for e in changed]
    for start in range(0, len(rows), 5000):
        session.execute(insert(MonitoredEntity), rows[start : start + 5000])


def _finish(session: Session, run: MonitorRun, counts: _Counts) -> None:
    run.status, run.finished_at = "done", utcnow()
    for portfolio_id, (new, changed) in sorted(counts.by_portfolio.items()):
        if new or changed:
            session.add(
                Notification(
                    portfolio_id=portfolio_id,
                    run_id=run.id,
                    new_alerts=new,
                    changed_alerts=changed,
                    link=f"/monitoring/portfolios/{portfolio_id}/alerts",
                )
            )
    record_event(
        session,
        actor=run.actor,
        action="monitoring.run",
        object_type="monitor_run",
        object_id=run.id,
        details={
            "kind": run.kind,
            "trigger": run.trigger,
            "lists": json.loads(run.list_versions),
            "algorithm": f"{run.algorithm}/{run.algorithm_version}",
            "subjects": run.subjects_total,
            "rescreened": run.subjects_rescreened,
            "alerts_new": run.alerts_new,
            "alerts_changed": run.alerts_changed,
            "suppressed": run.suppressed,
            "gone": run.matches_gone,
        },
    )


def screen_subjects(
    session: Session,
    index: CandidateIndex,
    subject_ids: Sequence[str],
    *,
    actor: str,
    trigger: str,
    progress: Progress | None = None,
) -> MonitorRun:
    """Screen subjects just registered or changed, in the caller's transaction."""
    run = MonitorRun(
        kind="subjects",
        trigger=trigger[:200],
        status="running",
        algorithm=ALGORITHM,
        algorithm_version=ALGORITHM_VERSION,
        list_versions=json.dumps(index.versions, sort_keys=True),
        actor=actor,
    )
    session.add(run)
    session.flush()
    rows: list[SubjectRow] = []
    for start in range(0, len(subject_ids), IN_CHUNK):
        chunk = list(subject_ids[start : start + IN_CHUNK])
        rows.extend(
            SubjectRow(*row)
            for row in session.execute(
                select(
                    Subject.id,
                    Subject.portfolio_id,
                    Subject.schema,
                    Subject.properties,
                    Subject.revision,
                ).where(Subject.id.in_(chunk), Subject.active.is_(True))
            )
        )
    portfolio_ids = sorted({row.portfolio_id for row in rows})
    thresholds: dict[str, float] = dict(
        session.execute(
            select(Portfolio.id, Portfolio.threshold).where(Portfolio.id.in_(portfolio_ids))
        ).all()
    )
    screening = _Pass(index, run, thresholds)
    total = _Counts()
    run.subjects_total = len(rows)
    for start in range(0, len(rows), CHUNK):
        counts = screening.screen(session, rows[start : start + CHUNK])
        _log_chunk(session, actor, run.id, counts)
        _add(run, counts)
        _merge(total, counts)
        run.subjects_checked = run.subjects_rescreened = min(start + CHUNK, len(rows))
        if progress is not None:
            progress(run.subjects_checked, len(rows))
    _finish(session, run, total)
    session.flush()
    return run
