"""Name parts (tokens) as the arrays `tokens_kernel` reads: one side of its comparisons.

The index's tokens are one side, built once with the index (`name_table.NameTable`); a query's
tokens are the other, built per query with the index's ids of the strings compared only for
equality (metaphone and spelling keys, skeleton, Korean key), so that equal strings have equal ids.
"""

from __future__ import annotations

import numpy as np

from dignity.screening.align import Aligner
from dignity.screening.caches import bounded
from dignity.screening.text import Token
from dignity.screening.tokens import _spoken

# flags of a token (`tokens_kernel`)
ABJAD, KOREAN, SPOKEN, READINGS = 1, 2, 4, 8
# written_at, written_to, written_letter, silent_at, silent_to (see `align_kernel`)
GRAPH_TYPES = (np.int32, np.int32, np.uint8, np.int32, np.int32)
_UNKNOWN = -1  # the id of a string that no indexed token has
_NO_KEY = -2  # the id of a token's spelling key when it has none (equal to no other id)


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), np.int32)


@bounded(200_000)
def letters(text: str) -> int:
    """A bit for each letter `text` has: a to z one each, any other folded onto 37 more.

    Bits that differ stand for letters one text has and the other has not: each edit changes at
    most two, so two texts whose bits differ in more than twice n places are more than n edits
    apart (`tokens_kernel`).
    """
    mask = 0
    for char in text:
        code = ord(char)
        mask |= 1 << (code - 97 if 97 <= code <= 122 else 26 + code % 37)
    return mask


def joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)


def _joined_graphs(graphs: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    """The five arrays of `graphs` (`align.Aligner.graph`), each joined end to end."""
    return [joined([graph[k] for graph in graphs], dtype) for k, dtype in enumerate(GRAPH_TYPES)]


def _graph_end(graph_at: list[int], graph: tuple[np.ndarray, ...]) -> list[int]:
    """Where the five arrays of the graphs joined so far end, with `graph` after `graph_at`."""
    return [at + len(part) for at, part in zip(graph_at, graph, strict=True)]


_NO_GRAPH = tuple(np.zeros(0, dtype) for dtype in GRAPH_TYPES)
# graph_at, the graphs, masks and fewest letters of no graph at all (read, never written)
_NO_LATTICE = (
    np.zeros((1, 5), np.int64),
    *_NO_GRAPH,
    np.zeros((0, 128), np.bool_),
    np.zeros(0, np.int64),
)


class Lattices:
    """The Latin spellings of names or tokens written in another script (`align.Aligner`),
    joined as `align_kernel.similarity` reads them; each item added has a row, or -1."""

    def __init__(self) -> None:
        self.row: list[int] = []
        self.graph_at = [[0, 0, 0, 0, 0]]
        self.graphs: list[tuple[np.ndarray, ...]] = []
        self.masks: list[np.ndarray] = []
        self.shortest: list[int] = []

    def add(self, readings: Aligner | None) -> None:
        if readings is None:
            self.row.append(-1)
            return
        self.row.append(len(self.graphs))
        self.graph_at.append(_graph_end(self.graph_at[-1], readings.graph))
        self.graphs.append(readings.graph)
        self.masks.append(readings.mask)
        self.shortest.append(readings.shortest)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """row, graph_at, the five graph arrays, letter masks, fewest letters of a path."""
        if not self.graphs:  # most queries: nothing written in another script
            return (np.full(len(self.row), -1, np.int64), *_NO_LATTICE)
        return (
            np.array(self.row, np.int64),
            np.array(self.graph_at, np.int64).reshape(-1, 5),
            *_joined_graphs(self.graphs),
            np.array(self.masks, np.bool_).reshape(-1, 128),
            np.array(self.shortest, np.int64),
        )


class Tokens:
    """Tokens appended one by one, then frozen into a side (`side`).

    `strings` gives the ids of compared strings: the index's side adds the strings it meets, a
    query's side (`grow` false) only reads them.
    """

    def __init__(self, strings: dict[str, int], grow: bool) -> None:
        self._strings = strings
        self._grow = grow
        self.text_at = [0]
        self.text: list[str] = []
        self.sound_at = [0]
        self.sound: list[str] = []
        self.phonetic: list[tuple[int, int, int]] = []
        self.keys: list[tuple[int, int, int, int]] = []
        self.flags: list[int] = []
        self.lattices = Lattices()

    def _id(self, string: str) -> int:
        if self._grow:
            return self._strings.setdefault(string, len(self._strings))
        return self._strings.get(string, _UNKNOWN)

    def add(self, token: Token) -> None:
        text = token.text
        self.text_at.append(self.text_at[-1] + len(text))  # in code points, as `code_points`
        self.text.append(text)
        sound = token.sound
        self.sound_at.append(self.sound_at[-1] + len(sound))
        self.sound.append(sound)
        spelling = self._id(token.spelling) if token.spelling else _NO_KEY
        self.phonetic.append((self._id(token.phonetic), len(token.phonetic), spelling))
        skeleton = token.skeleton
        self.keys.append(
            (self._id(skeleton), self._id(token.korean_key), len(skeleton), letters(text))
        )
        readings = token.readings
        self.flags.append(
            (ABJAD if token.abjad else 0)
            | (KOREAN if token.korean else 0)
            | (SPOKEN if _spoken(text) else 0)
            | (READINGS if readings is not None else 0)
        )
        self.lattices.add(readings)

    def side(self) -> tuple[np.ndarray, ...]:
        """The arrays of `tokens_kernel`'s side, in its order."""
        return (
            np.array(self.text_at, np.int64),
            code_points("".join(self.text)),
            np.array(self.sound_at, np.int64),
            code_points("".join(self.sound)),
            np.array(self.phonetic, np.int64).reshape(-1, 3),
            np.array(self.keys, np.int64).reshape(-1, 4),
            np.array(self.flags, np.int64),
            *self.lattices.arrays(),
        )
