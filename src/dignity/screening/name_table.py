"""The names of an index's records as arrays, so that a query's candidates are scored compiled.

`Scorer.best_name` compares a query name with a candidate name in Python, a few microseconds a
pair; a query has some fifty such pairs. `NameTable` holds, for every name of the index, what that
comparison reads (its tokens by id, their weights, what each costs unmatched, its fused form), and
`best_names` hands a query's candidates to `names_kernel`, which does the very same arithmetic in
the same order: the same best name and the same score, bit for bit. What needs Python (how two
names written in different scripts sound, `score._sound`) stays there: a candidate with such a
pair of names to compare is scored as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from itertools import accumulate
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from dignity.screening.records import Record, make_record
from dignity.screening.score import EXTRA_TOKEN_COST, _Shape, _shape, _sound, _token_costs
from dignity.screening.text import PreparedName, Token

if TYPE_CHECKING:
    from dignity.screening.score import Scorer

# (person, cost) of the four columns of a token's unmatched cost (see `names_kernel`)
_COLUMNS = ((False, 1.0), (False, EXTRA_TOKEN_COST), (True, 1.0), (True, EXTRA_TOKEN_COST))


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), np.int32)


class _Names:
    """Names in compressed rows (see `names_kernel`), appended one by one, then frozen."""

    def __init__(self) -> None:
        self.start = [0]
        self.weight: list[float] = []
        self.flag: list[bool] = []  # query names: strong; indexed names: long
        self.significant: list[bool] = []
        self.costs: list[tuple[float, ...]] = []
        self.given: list[bool] = []
        self.kind_weight: list[float] = []
        self.fused_at = [0]
        self.fused: list[np.ndarray] = []
        self.foreign: list[bool] = []

    def add(self, shape: _Shape, strong: bool) -> None:
        name = shape.name
        self.start.append(self.start[-1] + len(name.tokens))
        self.weight.extend(shape.weights)
        self.flag.extend(shape.strong if strong else shape.long)
        self.significant.extend(bool(shape.significant >> k & 1) for k in range(len(name.tokens)))
        columns = [_token_costs(name, cost, person) for person, cost in _COLUMNS]
        self.costs.extend(zip(*columns, strict=True))
        self.given.append(shape.given_name)
        self.kind_weight.append(shape.kind_weight)
        points = _code_points(name.fused)
        self.fused_at.append(self.fused_at[-1] + len(points))
        self.fused.append(points)
        self.foreign.append(name.foreign)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """start, weight, strong or long, significant, costs, given, fused_at, fused,
        foreign."""
        return (
            np.array(self.start, np.int64),
            np.array(self.weight, np.float64),
            np.array(self.flag, np.bool_),
            np.array(self.significant, np.bool_),
            np.array(self.costs, np.float64).reshape(-1, 4),
            np.array(self.given, np.bool_),
            np.array(self.fused_at, np.int64),
            np.concatenate(self.fused) if self.fused else np.zeros(0, np.int32),
            np.array(self.foreign, np.bool_),
        )


class NameTable:
    """Every name of an index's records, as arrays; each record's names are a run of them."""

    def __init__(self, records: Iterable[Record]) -> None:
        self._token_ids: dict[Token, int] = {}
        self._names: list[PreparedName] = []
        # id of a record -> its first name and one past its last, and the distinct tokens of its
        # names in the order they come
        self._spans: dict[int, tuple[int, int, tuple[Token, ...]]] = {}
        names = _Names()
        tokens: list[int] = []
        for record in records:
            first = len(self._names)
            every: dict[Token, None] = {}
            for name in record.names:
                self._names.append(name)
                names.add(_shape(name), strong=False)
                for token in name.tokens:
                    tokens.append(self._token_ids.setdefault(token, len(self._token_ids)))
                    every[token] = None
            self._spans[id(record)] = (first, len(self._names), tuple(every))
        start, weight, long_, significant, costs, given, fused_at, fused, foreign = names.arrays()
        self._arrays = (
            start,
            np.array(tokens, np.int64),
            weight,
            long_,
            significant,
            costs,
            given,
            np.array(names.kind_weight, np.float64),
            fused_at,
            fused,
            foreign,
        )
        self._records = records  # what the ids in `_spans` name: kept alive

    def spans(self, records: Sequence[Record]) -> list[tuple[int, int, tuple[Token, ...]]] | None:
        """Where each record's names are, with their tokens; `None` unless all are here."""
        spans = self._spans
        try:
            return [spans[id(record)] for record in records]
        except KeyError:
            return None

    def best_names(
        self,
        scorer: Scorer,
        candidates: Sequence[Record],
        spans: list[tuple[int, int, tuple[Token, ...]]],
    ) -> list[tuple[float, PreparedName, PreparedName] | None]:
        """`scorer.best_name` of each candidate, compiled; the candidates must be prepared, and
        `spans` are theirs (`spans`).

        How names written in two scripts sound alike (`score._sound`) is worked out in Python,
        only for the candidates whose best name could not be found without it; these go through
        the compiled scoring again.
        """
        query = _Names()
        for shape in scorer._names:
            query.add(shape, strong=True)
        run = _Run(self, [shape.name for shape in scorer._names], query.arrays())
        run.partners = self._partners(scorer)
        schema = scorer.query.schema
        person = ["Person" in (schema, c.schema) for c in candidates]
        found = run.best([span[:2] for span in spans], person, sounds=False)
        again = [k for k, best in enumerate(found) if best is _UNKNOWN]
        if again:
            retried = run.best(
                [spans[k][:2] for k in again], [person[k] for k in again], sounds=True
            )
            for k, best in zip(again, retried, strict=True):
                found[k] = best
        return found  # type: ignore[return-value]

    def _partners(self, scorer: Scorer) -> tuple[np.ndarray, ...]:
        """The query names' partners by token id (see `names_kernel`): key_at, keys,
        partner_at, similarity, position."""
        ids = self._token_ids
        keys: list[int] = []
        key_at = [0]
        partner_at = [0]
        similarity: list[float] = []
        position: list[int] = []
        for person in (False, True):
            for matches in scorer._matches[person]:
                found = sorted((ids[t], partners) for t, partners in matches.items() if t in ids)
                for key, partners in found:
                    keys.append(key)
                    for value, at in partners:
                        similarity.append(value)
                        position.append(at)
                    partner_at.append(len(similarity))
                key_at.append(len(keys))
        return (
            np.array(key_at, np.int64),
            np.array(keys, np.int64),
            np.array(partner_at, np.int64),
            np.array(similarity, np.float64),
            np.array(position, np.int64),
        )


_UNKNOWN = object()  # a best name not found without how names in two scripts sound
_NO_PLACES = np.zeros(0, np.int64)
_NO_SOUNDS = np.zeros(0)


class _Run:
    """One query's candidates through the compiled scoring (`names_kernel.best_names`)."""

    def __init__(
        self, table: NameTable, names: list[PreparedName], arrays: tuple[np.ndarray, ...]
    ) -> None:
        self.table = table
        self.names = names  # the query's
        self.arrays = arrays  # the query names'
        self.partners: tuple[np.ndarray, ...] = ()

    def best(
        self, spans: list[tuple[int, int]], person: list[bool], sounds: bool
    ) -> list[tuple[float, PreparedName, PreparedName] | object | None]:
        """Each candidate's best name (`None`: it has none), or `_UNKNOWN` when that needs how
        a name in one script sounds like one in another and `sounds` is false."""
        table = self.table
        count = len(spans)
        sound_at, sound = _NO_PLACES, _NO_SOUNDS
        if sounds:
            pairs = [len(self.names) * (last - first) for first, last in spans]
            sound_at = np.array([0, *accumulate(pairs)], np.int64)
            sound = np.zeros(int(sound_at[-1]))
            for k, (first, last) in enumerate(spans):
                for a, query_name in enumerate(self.names):
                    for n in range(first, last):
                        name = table._names[n]
                        if name.foreign != query_name.foreign:
                            at = int(sound_at[k]) + a * (last - first) + n - first
                            sound[at] = _sound(query_name, name)
        best_score = np.empty(count)
        best_query = np.empty(count, np.int64)
        best_name = np.empty(count, np.int64)
        _kernel().best_names(
            *self.arrays,
            *table._arrays,
            np.array([span[0] for span in spans], np.int64),
            np.array([span[1] for span in spans], np.int64),
            np.array(person, np.bool_),
            sound_at,
            sound,
            *self.partners,
            best_score,
            best_query,
            best_name,
        )
        found: list[tuple[float, PreparedName, PreparedName] | object | None] = []
        for score, a, n in zip(
            best_score.tolist(), best_query.tolist(), best_name.tolist(), strict=True
        ):
            if a >= 0:
                found.append((score, self.names[a], table._names[n]))
            else:
                found.append(None if a == -1 else _UNKNOWN)
        return found


@cache
def _kernel() -> ModuleType:
    """The compiled scoring (`names_kernel`), imported on first use: numba is slow to import."""
    from dignity.screening import names_kernel

    return names_kernel


def warm_up() -> None:
    """Load the compiled scoring now (a second; compiled the first time, then cached), not on
    the first query."""
    from dignity.screening.score import Scorer

    record = make_record("warm-up", "Person", {"name": ["Warm Up"]})
    Scorer(record, NameTable([record])).prepare([record])
