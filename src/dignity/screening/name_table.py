"""The names of an index's records as arrays, so that a query's candidates are scored compiled.

`Scorer.best_name` compares a query name with a candidate name in Python, a few microseconds a
pair; a query has some fifty such pairs. `NameTable` holds, for every name of the index, what that
comparison reads (its tokens by id, their weights, what each costs unmatched, its fused form, and
for names in two scripts its sound key and the graph of its Latin spellings), and `best_names`
hands a query's candidates to `names_kernel`, which does the very same arithmetic in the same
order: the same best name and the same score, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from dignity.screening.records import Record, make_record
from dignity.screening.score import EXTRA_TOKEN_COST, _Shape, _shape, _token_costs
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
        # what `score._sound` reads: the sound key, the parts that are not particles, whether
        # the name is one word, and the graph of its Latin spellings (`align.Aligner`, empty
        # when it has none) as rows of the five graph arrays
        self.sound_at = [0]
        self.sound: list[np.ndarray] = []
        self.parts: list[int] = []
        self.one_word: list[bool] = []
        self.graph_at = [[0, 0, 0, 0, 0]]
        self.graphs: list[tuple[np.ndarray, ...]] = []

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
        sound = _code_points(name.sound)
        self.sound_at.append(self.sound_at[-1] + len(sound))
        self.sound.append(sound)
        self.parts.append(sum(not token.particle for token in name.tokens))
        self.one_word.append(name.one_word)
        graph = name.readings.graph if name.readings is not None else _NO_GRAPH
        ends = zip(self.graph_at[-1], map(len, graph), strict=True)
        self.graph_at.append([at + size for at, size in ends])
        self.graphs.append(graph)

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
            _joined(self.fused, np.int32),
            np.array(self.foreign, np.bool_),
        )

    def sounds(self) -> tuple[np.ndarray, ...]:
        """What `score._sound` reads (see `names_kernel._sound`): fused_at, fused, sound_at,
        sound, parts, one_word, graph_at, then the five graph arrays joined."""
        graphs = [
            _joined([graph[k] for graph in self.graphs], dtype)
            for k, dtype in enumerate(_GRAPH_TYPES)
        ]
        return (
            np.array(self.fused_at, np.int64),
            _joined(self.fused, np.int32),
            np.array(self.sound_at, np.int64),
            _joined(self.sound, np.int32),
            np.array(self.parts, np.int64),
            np.array(self.one_word, np.bool_),
            np.array(self.graph_at, np.int64).reshape(-1, 5),
            *graphs,
        )


# written_at, written_to, written_letter, silent_at, silent_to (see `align_kernel`)
_GRAPH_TYPES = (np.int32, np.int32, np.uint8, np.int32, np.int32)
_NO_GRAPH = tuple(np.zeros(0, dtype) for dtype in _GRAPH_TYPES)


def _joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)


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
        self._sounds = names.sounds()
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
        `spans` are theirs (`spans`)."""
        query = _Names()
        for shape in scorer._names:
            query.add(shape, strong=True)
        names = [shape.name for shape in scorer._names]
        schema = scorer.query.schema
        count = len(spans)
        best_score = np.empty(count)
        best_query = np.empty(count, np.int64)
        best_name = np.empty(count, np.int64)
        _kernel().best_names(
            *query.arrays(),
            *self._arrays,
            np.array([span[0] for span in spans], np.int64),
            np.array([span[1] for span in spans], np.int64),
            np.array(["Person" in (schema, c.schema) for c in candidates], np.bool_),
            *self._partners(scorer),
            query.sounds(),
            self._sounds,
            _costs(),
            best_score,
            best_query,
            best_name,
        )
        found: list[tuple[float, PreparedName, PreparedName] | None] = []
        for score, a, n in zip(
            best_score.tolist(), best_query.tolist(), best_name.tolist(), strict=True
        ):
            found.append((score, names[a], self._names[n]) if a >= 0 else None)
        return found

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


@cache
def _kernel() -> ModuleType:
    """The compiled scoring (`names_kernel`), imported on first use: numba is slow to import."""
    from dignity.screening import names_kernel

    return names_kernel


@cache
def _costs() -> tuple[np.ndarray, ...]:
    """The alignment's costs (`align_kernel`): substitution, vowel, silent."""
    from dignity.screening import align_kernel

    return align_kernel.SUBSTITUTION, align_kernel.VOWEL, align_kernel.SILENT


def warm_up() -> None:
    """Load the compiled scoring now (a second; compiled the first time, then cached), not on
    the first query."""
    from dignity.screening.score import Scorer

    record = make_record("warm-up", "Person", {"name": ["Warm Up"]})
    Scorer(record, NameTable([record])).prepare([record])
