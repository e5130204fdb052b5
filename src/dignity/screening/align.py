"""How near a Latin token comes to a lattice of spellings (see `translit`): an edit distance.

The lattice is compiled once into a graph whose paths are its spellings; a token is aligned with
it by dynamic programming over the token's letters, following only the paths that stay under the
cost that still counts (`similarity` would give 0 beyond it). That loop is compiled by numba
(`align_kernel`); the lattice's graph is kept in the arrays it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import ModuleType

import numpy as np

from dignity.screening.caches import bounded

# A row of segments, each the Latin strings it may be written as ("" for nothing).
Lattice = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True, eq=False)
class Aligner:
    """A lattice compiled for alignment: a graph whose nodes are numbered in topological order
    (0 the start, the last the end), with edges that write a letter and edges of alternatives
    that write nothing, in the compressed rows `align_kernel` reads (`graph`).
    """

    lattice: Lattice
    letters: frozenset[str]  # every letter some path writes
    graph: tuple[np.ndarray, ...]  # written_at, written_to, written_letter, silent_at, silent_to
    shortest: int  # the fewest letters a path writes
    mask: np.ndarray  # `letters` by ASCII code, for the compiled lower bound


@bounded(100_000)
def compile_lattice(lattice: Lattice) -> Aligner:
    incoming: list[list[tuple[int, str]]] = [[]]
    start = 0
    for options in lattice:
        end_edges: list[tuple[int, str]] = []
        for option in dict.fromkeys(options):
            if not option:
                end_edges.append((start, ""))
                continue
            previous = start
            for letter in option[:-1]:
                incoming.append([(previous, letter)])
                previous = len(incoming) - 1
            end_edges.append((previous, option[-1]))
        incoming.append(end_edges)
        start = len(incoming) - 1
    letters = frozenset(letter for options in lattice for option in options for letter in option)
    written: list[list[tuple[int, str]]] = [[] for _ in incoming]
    silent: list[list[int]] = [[] for _ in incoming]
    for v, edges in enumerate(incoming):
        for u, letter in edges:
            if letter:
                written[u].append((v, letter))
            else:
                silent[u].append(v)
    mask = np.zeros(128, np.bool_)
    mask[[ord(letter) for letter in letters if letter.isascii()]] = True
    return Aligner(
        lattice,
        letters,
        _graph(written, silent),
        sum(min(len(option) for option in options) for options in lattice),
        mask,
    )


def _graph(written: list[list[tuple[int, str]]], silent: list[list[int]]) -> tuple[np.ndarray, ...]:
    written_at, written_to, written_letter, silent_at, silent_to = [0], [], [], [0], []
    for edges, nodes in zip(written, silent, strict=True):
        for v, letter in edges:
            written_to.append(v)
            written_letter.append(ord(letter) if letter.isascii() else ord("?"))
        written_at.append(len(written_to))
        silent_to.extend(nodes)
        silent_at.append(len(silent_to))
    return (
        np.array(written_at, np.int32),
        np.array(written_to, np.int32),
        np.array(written_letter, np.uint8),
        np.array(silent_at, np.int32),
        np.array(silent_to, np.int32),
    )


def distance(token: str, aligner: Aligner, limit: float = 1e9) -> float:
    """The cheapest edit of the Latin `token` into a path through the lattice.

    An edit is a Latin letter left unwritten (less for a doubled or silent letter and the second
    letter of a vowel pair: `align_kernel.insertions`), a letter of the lattice left
    out (1), or one letter for another (nothing for the same letter, 0.5 for a vowel for another
    vowel, 1 otherwise). Only the paths that cost no more than `limit` are followed; past it, the
    answer is `limit` plus one. It runs compiled (`align_kernel.bounded`), after a quick lower
    bound: each letter a path must write beyond the token's is left out (1), and each Latin
    letter that no path writes costs at least its insertion.
    """
    kernel = _kernel()
    letters = np.frombuffer(token.encode("ascii", "replace"), np.uint8)
    return float(
        kernel.bounded(
            letters,
            aligner.mask,
            aligner.shortest,
            *aligner.graph,
            kernel.SUBSTITUTION,
            kernel.VOWEL,
            kernel.SILENT,
            float(limit),
        )
    )


def warm_up() -> None:
    """Import and load the compiled alignment now (a second or two), not on the first query."""
    distance("ab", compile_lattice((("a",), ("c",))), 1.0)


@cache
def _kernel() -> ModuleType:
    """The compiled alignment (`align_kernel`), imported on first use: numba is slow to import."""
    from dignity.screening import align_kernel

    return align_kernel


# What an exact reading scores (not 1: the spelling is not the same), and what each unit of edit
# cost takes away, per letter of the Latin token.
EXACT = 0.95
COST_PER_LETTER = 1.0
FLOOR = 0.7  # below this, no likeness at all


@bounded(200_000)
def similarity(token: str, aligner: Aligner) -> float:
    """How near a Latin token comes to a lattice: 0, or from `FLOOR` to `EXACT`."""
    if len(token) < 2:
        return 0.0
    letters = max(len(token), 4)
    cost = distance(token, aligner, (EXACT - FLOOR) * letters / COST_PER_LETTER)
    similarity = EXACT - COST_PER_LETTER * cost / letters
    return similarity if similarity >= FLOOR else 0.0
