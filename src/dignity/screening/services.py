"""Use cases of screening: keep the index current, screen queries, keep and read the records.

Every query screened leaves a `Screening` row (query, list versions, algorithm and version,
threshold, results with their explanations, who and when) and each call one audit event that
names those rows, so any answer can be shown to an examiner and reproduced.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.exc import NotFound
from dignity.screening.build import (
    Progress,
    build_records,
    current_versions,
    version_signature,
)
from dignity.screening.index import CandidateIndex, MemoryIndex
from dignity.screening.models import Screening
from dignity.screening.records import Record, query_record

# Re-exported: other capabilities use screening through this module only.
from dignity.screening.score import ALGORITHM as ALGORITHM
from dignity.screening.score import ALGORITHM_VERSION as ALGORITHM_VERSION
from dignity.screening.score import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
from dignity.screening.score import Scored, Scorer

DEFAULT_DATASET = "default"  # every list, as yente's default collection
DEFAULT_LIMIT = 5
# Candidates scored per query, at least: retrieval is cheap, a missed candidate is not.
MIN_CANDIDATES = 20


@dataclass(frozen=True)
class Query:
    key: str
    schema: str
    properties: Mapping[str, object]


@dataclass
class Hit:
    record: Record
    scored: Scored
    match: bool


@dataclass
class Outcome:
    key: str
    query: Record
    hits: list[Hit]
    total: int  # candidates scored
    screening_id: str = ""


@dataclass
class Options:
    dataset: str = DEFAULT_DATASET
    threshold: float = DEFAULT_THRESHOLD
    limit: int = DEFAULT_LIMIT
    settings: dict[str, Any] = field(default_factory=dict)


class IndexCache:
    """The index of the current list versions, rebuilt when any list gets a new version."""

    def __init__(self) -> None:
        self._index: MemoryIndex | None = None
        self._signature: tuple[tuple[str, str], ...] = ()
        self._lock = threading.Lock()

    def get(self, session: Session, progress: Progress | None = None) -> MemoryIndex:
        signature = version_signature(session)
        index = self._index
        if index is not None and self._signature == signature:
            return index
        with self._lock:
            if self._index is None or self._signature != signature:
                versions = current_versions(session)
                self._index = MemoryIndex(build_records(session, progress), versions)
                self._signature = signature
            return self._index


def _datasets(index: CandidateIndex, dataset: str) -> frozenset[str] | None:
    if dataset == DEFAULT_DATASET:
        return None
    if dataset not in index.versions:
        raise NotFound(f"no list named {dataset!r}")
    return frozenset({dataset})


def match_one(index: CandidateIndex, query: Record, options: Options) -> Outcome:
    """Score the candidates of one query; the best `options.limit` of them, best first."""
    datasets = _datasets(index, options.dataset)
    candidates = index.candidates(
        query, datasets=datasets, limit=max(options.limit * 3, MIN_CANDIDATES)
    )
    scorer = Scorer(query, index.names)
    scorer.prepare(candidates)
    hits = [
        Hit(candidate, result, result.score >= options.threshold)
        for result, candidate in scorer.ranked(candidates, options.limit)
    ]
    return Outcome(query.id, query, hits, len(candidates))


def match_unrecorded(
    index: CandidateIndex, queries: Sequence[Query], options: Options
) -> list[Outcome]:
    """Screen queries without keeping a `Screening` row of them.

    For callers whose queries must not be stored in plain text (names read from the identity
    vault): they record what was screened their own way, by reference, with `index.versions`,
    `ALGORITHM` and `ALGORITHM_VERSION`.
    """
    return [
        match_one(index, query_record(q.schema, q.properties, key=q.key), options) for q in queries
    ]


def screen(
    session: Session,
    index: CandidateIndex,
    queries: Sequence[Query],
    options: Options,
    *,
    actor: str,
    channel: str,
) -> list[Outcome]:
    """Screen every query, store a record of each, and log the call once."""
    records = [query_record(q.schema, q.properties, key=q.key) for q in queries]
    outcomes = [match_one(index, record, options) for record in records]
    for query, outcome in zip(queries, outcomes, strict=True):
        row = screening_row(
            index, options, outcome, query.schema, query.properties, actor=actor, channel=channel
        )
        session.add(row)
        session.flush()
        outcome.screening_id = row.id
    record_event(
        session,
        actor=actor,
        action="screening.run",
        object_type="screening",
        object_id=outcomes[0].screening_id if outcomes else "",
        details={
            "channel": channel,
            "screenings": [o.screening_id for o in outcomes],
            "dataset": options.dataset,
            "algorithm": f"{ALGORITHM}/{ALGORITHM_VERSION}",
            "threshold": options.threshold,
            "matches": sum(1 for o in outcomes for hit in o.hits if hit.match),
        },
    )
    return outcomes


def screening_row(
    index: CandidateIndex,
    options: Options,
    outcome: Outcome,
    schema: str,
    properties: Mapping[str, object],
    *,
    actor: str,
    channel: str,
    only_matches: bool = False,
) -> Screening:
    """The record of one query screened (not yet added to the session).

    `only_matches` keeps just the results at or above the threshold, as monitoring does for the
    hundreds of thousands of subjects it re-screens (the candidates below it say little).
    """
    hits = [hit for hit in outcome.hits if hit.match or not only_matches]
    return Screening(
        actor=actor,
        channel=channel,
        query_key=outcome.key,
        dataset=options.dataset,
        algorithm=ALGORITHM,
        algorithm_version=ALGORITHM_VERSION,
        threshold=options.threshold,
        result_limit=options.limit,
        list_versions=json.dumps(index.versions, sort_keys=True),
        query=json.dumps({"schema": schema, "properties": properties}, sort_keys=True),
        results=json.dumps([hit_summary(hit) for hit in hits]),
        settings=json.dumps(options.settings, sort_keys=True),
        matches=sum(1 for hit in outcome.hits if hit.match),
    )


def hit_summary(hit: Hit) -> dict[str, Any]:
    """A result as the screening record keeps it: entity, lists, score and explanation."""
    return {
        "id": hit.record.id,
        "schema": hit.record.schema,
        "caption": hit.record.caption,
        "datasets": list(hit.record.datasets),
        "score": hit.scored.score,
        "match": hit.match,
        "features": [asdict(feature) for feature in hit.scored.features],
    }


def get_screening(session: Session, screening_id: str) -> Screening:
    row = session.get(Screening, screening_id)
    if row is None:
        raise NotFound("no such screening")
    return row


def screening_document(row: Screening) -> dict[str, Any]:
    """The full record of one screening, as an examiner or an export reads it."""
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "actor": row.actor,
        "channel": row.channel,
        "query_key": row.query_key,
        "dataset": row.dataset,
        "algorithm": {"name": row.algorithm, "version": row.algorithm_version},
        "threshold": row.threshold,
        "limit": row.result_limit,
        "list_versions": json.loads(row.list_versions),
        "query": json.loads(row.query),
        "results": json.loads(row.results),
        "settings": json.loads(row.settings),
        "matches": row.matches,
    }
