"""Candidate retrieval: which listed entities are worth scoring for a query.

An inverted index from keys to records: name tokens, their metaphone keys and consonant skeletons,
run-together names, and identifiers. A query collects the records that share keys with it, each
key weighted by how rare it is (inverse document frequency), and only the best few hundred are
scored. `CandidateIndex` is the interface; `MemoryIndex` is the embedded default (the whole
registry's matchable entities fit in memory on one machine; see DESIGN.md's scale path).
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cache
from operator import attrgetter
from types import ModuleType
from typing import Protocol

import numpy as np
from followthemoney import model

from dignity.screening import align, name_table
from dignity.screening.name_table import NameTable, Rows
from dignity.screening.records import Record, compatible

# Weight of a key kind relative to an exact token: phonetic and skeleton keys are looser.
KEY_WEIGHTS = {"t": 1.0, "f": 1.0, "p": 0.6, "s": 0.4, "k": 0.6, "i": 3.0}
# Loose keys shared by more than this share of the records say nothing and are not followed.
COMMON_SHARE = 0.05
# An index of this many records or more is a process's main index: the collector leaves it be.
FREEZE_AT = 5_000
_ID = attrgetter("id")


class CandidateIndex(Protocol):
    """Finds candidates for a query among the listed entities of some lists."""

    versions: dict[str, int]  # list name -> version seq the index was built from
    names: NameTable | None  # the records' names as arrays, for scoring compiled (or none)

    def candidates(
        self, query: Record, *, datasets: frozenset[str] | None, limit: int
    ) -> list[Record]: ...

    def get(self, entity_id: str) -> Record | None: ...

    def __len__(self) -> int: ...


def record_keys(record: Record) -> set[str]:
    """The index keys of a record (the same function serves queries and listed entities)."""
    keys: set[str] = set()
    for name in record.names:
        if len(name.tokens) > 1 and len(name.fused) >= 4:
            keys.add("f:" + name.fused)
        for token in name.tokens:
            if token.particle:
                continue
            if len(token.text) >= 2 or token.text.isdigit():
                keys.add("t:" + token.text)
            if len(token.phonetic) >= 2:
                keys.add("p:" + token.phonetic)
            if len(token.skeleton) >= 2:
                keys.add("s:" + token.skeleton)
            if token.korean:  # Korean syllables romanised two ways (`korean.korean_key`)
                keys.add("k:" + token.korean_key)
    for values in record.identifiers.values():
        keys.update("i:" + value for value in values)
    return keys


class MemoryIndex:
    """Postings in memory: key -> positions of the records that have it."""

    def __init__(self, records: Iterable[Record], versions: dict[str, int] | None = None) -> None:
        self.versions = dict(versions or {})
        self._records: list[Record] = []
        self._by_id: dict[str, int] = {}
        postings: dict[str, list[int]] = defaultdict(list)
        # in entity-id order: retrieval breaks ties by position, so two indexes of the same
        # records find the same candidates whatever order their store gave the records in
        for record in sorted(records, key=_ID):
            position = len(self._records)
            self._records.append(record)
            self._by_id[record.id] = position
            for key in record_keys(record):
                postings[key].append(position)
        total = max(len(self._records), 1)
        common = max(50, int(total * COMMON_SHARE))
        # the postings in compressed rows: key -> its number n (`_keys`); `_postings` holds
        # (posting_at, positions, weights): posting n's records are at positions[posting_at[n]:
        # posting_at[n + 1]], each weighing weights[n]
        self._keys: dict[str, int] = {}
        weights: list[float] = []
        posting_at = [0]
        chunks: list[list[int]] = []
        for key, positions in postings.items():
            kind = key[0]
            if kind in "psk" and len(positions) > common:
                continue
            idf = math.log(1 + total / len(positions))
            self._keys[key] = len(weights)
            weights.append(KEY_WEIGHTS[kind] * idf)
            posting_at.append(posting_at[-1] + len(positions))
            chunks.append(positions)
        del postings
        self._postings = (
            np.array(posting_at, np.int64),
            np.fromiter((p for chunk in chunks for p in chunk), np.int32, posting_at[-1]),
            np.array(weights, np.float64),
        )
        del chunks
        # each record's schema, by its number in `_schemas`, and which of those fit a query's
        self._schemas = sorted({record.schema for record in self._records})
        number = {schema: n for n, schema in enumerate(self._schemas)}
        self._schema_of = np.array([number[r.schema] for r in self._records], np.int64)
        self._fits: dict[str, np.ndarray] = {}
        self._table = NameTable(self._records)
        self.names: NameTable | None = self._table
        align.warm_up()
        name_table.warm_up()
        self._heaviest([], "Thing", 4, 1)  # the compiled retrieval loaded now, not later
        if len(self._records) >= FREEZE_AT:
            # The index lives as long as the process and never changes, yet every full garbage
            # collection would walk its hundreds of thousands of objects again (with the bundled
            # registry, a fifth of a batch's time): freeze what is alive now, the index with it,
            # having released what an earlier index froze.
            gc.unfreeze()
            gc.freeze()

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    def get(self, entity_id: str) -> Record | None:
        position = self._by_id.get(entity_id)
        return None if position is None else self._records[position]

    def candidates(
        self, query: Record, *, datasets: frozenset[str] | None = None, limit: int = 50
    ) -> list[Record]:
        """Up to `limit` records sharing the most (and rarest) keys with the query, with their
        positions in the name table (the index's own: the table holds the records in its order)."""
        # Sorted, so that sums (and so ties) come out the same in every process: a screening
        # must be reproducible from its record, and Python's string hashing differs per process.
        keys = self._keys
        numbers = [n for key in sorted(record_keys(query)) if (n := keys.get(key)) is not None]
        if not numbers:
            return Rows(self._table, np.zeros(0, np.int64), ())
        records = self._records
        if datasets is None:
            found = self._heaviest(numbers, query.schema, limit * 4, limit)
        else:
            heaviest = self._heaviest(numbers, query.schema, limit * 4, limit * 4).tolist()
            kept = [p for p in heaviest if datasets.intersection(records[p].datasets)][:limit]
            found = np.array(kept, np.int64)
        return Rows(self._table, found, map(records.__getitem__, found.tolist()))

    def _heaviest(self, numbers: list[int], schema: str, count: int, limit: int) -> np.ndarray:
        """Of the records in postings `numbers`, the `count` with the heaviest sum of those
        postings' weights (heaviest first; among equals, the record indexed first), the
        first `limit` whose schema fits `schema`.

        Each record's sum is added up in the order of `numbers`, so that equal inputs give equal
        sums, bit for bit (`index_kernel`).
        """
        fits = self._fits.get(schema)
        if fits is None:
            wanted = model.schemata[schema]
            fits = self._fits[schema] = np.array(
                [compatible(wanted, model.schemata[name]) for name in self._schemas], np.bool_
            )
        return _kernel().heaviest(  # type: ignore[no-any-return]
            np.array(numbers, np.int64),
            *self._postings,
            len(self._records),
            count,
            self._schema_of,
            fits,
            limit,
        )


@cache
def _kernel() -> ModuleType:
    """The compiled retrieval (`index_kernel`), imported on first use: numba is slow to import."""
    from dignity.screening import index_kernel

    return index_kernel
