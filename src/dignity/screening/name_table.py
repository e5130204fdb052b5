"""The names of an index's records as arrays, so that a query's candidates are scored compiled.

`Scorer.best_name` compares a query name with a candidate name in Python, a few microseconds a
pair; a query has some fifty such pairs. `NameTable` holds, for every name of the index, what that
comparison reads (its tokens by id, their weights, what each costs unmatched, its fused form, and
for names in two scripts its sound key and the graph of its Latin spellings), and `best_names`
hands a query's candidates to `names_kernel`, which does the very same arithmetic in the same
order: the same best name and the same score, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from dignity.screening.records import Record, make_record
from dignity.screening.score import EXTRA_TOKEN_COST, _Shape, _shape, _token_costs
from dignity.screening.text import PreparedName, Token
from dignity.screening.token_table import Lattices, Tokens, code_points, joined
from dignity.screening.tokens import _nicknames_of

if TYPE_CHECKING:
    from dignity.screening.score import Scorer

# (person, cost) of the four columns of a token's unmatched cost (see `names_kernel`)
_COLUMNS = ((False, 1.0), (False, EXTRA_TOKEN_COST), (True, 1.0), (True, EXTRA_TOKEN_COST))


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
        # the name is one word, and the graph of its Latin spellings (`align.Aligner`), if any
        self.sound_at = [0]
        self.sound: list[np.ndarray] = []
        self.parts: list[int] = []
        self.one_word: list[bool] = []
        self.lattices = Lattices()

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
        points = code_points(name.fused)
        self.fused_at.append(self.fused_at[-1] + len(points))
        self.fused.append(points)
        self.foreign.append(name.foreign)
        sound = code_points(name.sound)
        self.sound_at.append(self.sound_at[-1] + len(sound))
        self.sound.append(sound)
        self.parts.append(sum(not token.particle for token in name.tokens))
        self.one_word.append(name.one_word)
        self.lattices.add(name.readings)

    def frozen(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """The names as arrays: what `names_kernel.best_names` reads (start, weight, strong or
        long, significant, costs, given, fused_at, fused, foreign), and what `score._sound` reads
        (see `names_kernel._sound`: fused_at, fused, sound_at, sound, parts, one_word, each
        name's row of the graphs (-1: none), graph_at, the five graph arrays joined, the letter
        masks and the fewest letters of each graph's paths); the fused forms are in both."""
        fused_at = np.array(self.fused_at, np.int64)
        fused = joined(self.fused, np.int32)
        names = (
            np.array(self.start, np.int64),
            np.array(self.weight, np.float64),
            np.array(self.flag, np.bool_),
            np.array(self.significant, np.bool_),
            np.array(self.costs, np.float64).reshape(-1, 4),
            np.array(self.given, np.bool_),
            fused_at,
            fused,
            np.array(self.foreign, np.bool_),
        )
        sounds = (
            fused_at,
            fused,
            np.array(self.sound_at, np.int64),
            joined(self.sound, np.int32),
            np.array(self.parts, np.int64),
            np.array(self.one_word, np.bool_),
            *self.lattices.arrays(),
        )
        return names, sounds


class Rows(list[Record]):
    """Records of a `NameTable` that know their positions in it: retrieval finds them by
    position, and the scoring need not look each up again (`NameTable.positions`)."""

    def __init__(self, table: NameTable, positions: np.ndarray, records: Iterable[Record]) -> None:
        super().__init__(records)
        self.table = table
        self.positions = positions


class NameTable:
    """Every name of an index's records, as arrays; each record's names are a run of them."""

    def __init__(self, records: Sequence[Record]) -> None:
        token_ids: dict[Token, int] = {}
        self._strings: dict[str, int] = {}  # ids of the strings compared (`token_table`)
        tokens = Tokens(self._strings, grow=True)
        self._by_text: dict[str, list[int]] = {}  # text -> ids of the tokens that have it
        self._names: list[PreparedName] = []
        self._positions: dict[int, int] = {}  # id of a record -> its position
        # of each record in turn: its first name (its last is the next record's first, less
        # one), where the ids of its names' tokens start (each once, sorted), and those ids
        record_names = [0]
        tokens_at = [0]
        record_tokens: list[int] = []
        names = _Names()
        ids: list[int] = []
        for record in records:
            every: set[int] = set()
            for name in record.names:
                self._names.append(name)
                names.add(_shape(name), strong=False)
                for token in name.tokens:
                    found = token_ids.get(token)
                    if found is None:
                        found = token_ids[token] = len(token_ids)
                        tokens.add(token)
                        self._by_text.setdefault(token.text, []).append(found)
                    ids.append(found)
                    every.add(found)
            self._positions[id(record)] = len(record_names) - 1
            record_names.append(len(self._names))
            record_tokens.extend(sorted(every))
            tokens_at.append(len(record_tokens))
        arrays, self._sounds = names.frozen()
        start, weight, long_, significant, costs, given, fused_at, fused, foreign = arrays
        self._arrays = (
            start,
            np.array(ids, np.int64),
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
        self._tokens = tokens.side()
        self._records = (
            np.array(record_names, np.int64),
            np.array(tokens_at, np.int64),
            np.array(record_tokens, np.int64),
        )
        self._person = np.array([record.schema == "Person" for record in records], np.bool_)
        self._kept = records  # what the ids in `_positions` name: kept alive

    def positions(self, records: Sequence[Record]) -> np.ndarray | None:
        """The positions of `records` in the table; `None` unless all are here."""
        if isinstance(records, Rows) and records.table is self:
            return records.positions
        positions = self._positions
        try:
            return np.array([positions[id(record)] for record in records], np.int64)
        except KeyError:
            return None

    def best_names(self, scorer: Scorer, positions: np.ndarray) -> BestNames:
        """`scorer.best_name` of the records at `positions` (`positions`), compiled."""
        query = _Names()
        tokens = Tokens(self._strings, grow=False)
        name_tokens = [0]
        nick_at = [0]
        nicks: list[int] = []
        for shape in scorer._names:
            query.add(shape, strong=True)
            for token in shape.name.tokens:
                tokens.add(token)
                texts = _nicknames_of().get(token.text, ())
                nicks.extend(sorted(i for text in texts for i in self._by_text.get(text, ())))
                nick_at.append(len(nicks))
            name_tokens.append(len(nick_at) - 1)
        count = len(positions)
        best_score = np.empty(count)
        best_query = np.empty(count, np.int64)
        best_name = np.empty(count, np.int64)
        query_names, query_sounds = query.frozen()
        _kernel().best_of(
            query_names,
            query_sounds,
            tokens.side(),
            np.array(name_tokens, np.int64),
            np.array(nick_at, np.int64),
            np.array(nicks, np.int64),
            self._arrays,
            self._sounds,
            self._tokens,
            self._records,
            positions,
            # compared as people when either side is one (`Scorer.prepare`)
            np.ones(count, np.bool_)
            if scorer.query.schema == "Person"
            else self._person[positions],
            _costs(),
            best_score,
            best_query,
            best_name,
        )
        names = [shape.name for shape in scorer._names]
        return BestNames(best_score.tolist(), best_query.tolist(), best_name.tolist(), names, self)


class BestNames:
    """What `NameTable.best_names` found for each record: its score (0 when no name paired),
    and the names paired, looked up only for the records asked about."""

    def __init__(
        self,
        scores: list[float],
        query: list[int],
        names: list[int],
        query_names: list[PreparedName],
        table: NameTable,
    ) -> None:
        self.scores = scores
        self._query = query
        self._names = names
        self._query_names = query_names
        self._table = table

    def __len__(self) -> int:
        return len(self.scores)

    def __iter__(self) -> Iterator[tuple[float, PreparedName, PreparedName] | None]:
        return map(self.__getitem__, range(len(self.scores)))

    def __getitem__(self, k: int) -> tuple[float, PreparedName, PreparedName] | None:
        """The k-th record's best score with its query name and its own name, as
        `Scorer.best_name` gives them (None when no name paired)."""
        a = self._query[k]
        if a < 0:
            return None
        return self.scores[k], self._query_names[a], self._table._names[self._names[k]]


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
