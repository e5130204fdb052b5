"""How near a Latin token comes to a lattice of spellings (see `translit`): an edit distance.

The lattice is compiled once into a graph whose paths are its spellings; a token is aligned with
it by dynamic programming over the token's letters, following only the paths that stay under the
cost that still counts (`similarity` would give 0 beyond it).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import lru_cache

# A row of segments, each the Latin strings it may be written as ("" for nothing).
Lattice = tuple[tuple[str, ...], ...]

_VOWELS = frozenset("aeiouy")
_SILENT = frozenset("hw")  # letters a Latin spelling adds without a sound of their own


@dataclass(frozen=True, slots=True, eq=False)
class Aligner:
    """A lattice compiled for alignment: nodes numbered in topological order (0 the start, the
    last the end) and, from each node, the edges that write a letter (`written[u]`: the next node
    and the letter) and the nodes reached by an alternative that writes nothing (`silent[u]`).
    """

    lattice: Lattice
    letters: frozenset[str]  # every letter some path writes
    written: tuple[tuple[tuple[int, str], ...], ...]
    silent: tuple[tuple[int, ...], ...]
    shortest: int  # the fewest letters a path writes


@lru_cache(maxsize=100_000)
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
    return Aligner(
        lattice,
        letters,
        tuple(tuple(edges) for edges in written),
        tuple(tuple(nodes) for nodes in silent),
        sum(min(len(option) for option in options) for options in lattice),
    )


def _substitutions(latin: str) -> dict[str, float]:
    """What writing each letter costs where the Latin token has `latin`: nothing for the same
    letter, half for another vowel, one for anything else."""
    vowel = latin in _VOWELS
    return {
        letter: 0.0 if letter == latin else 0.5 if vowel and letter in _VOWELS else 1.0
        for letter in "abcdefghijklmnopqrstuvwxyz"
    }


_SUBSTITUTIONS = {latin: _substitutions(latin) for latin in "abcdefghijklmnopqrstuvwxyz"}
_OTHER = dict.fromkeys("abcdefghijklmnopqrstuvwxyz", 1.0)


def _insertion(token: str, position: int) -> float:
    """What a Latin letter costs that no segment writes: less for a doubled or silent letter,
    and for the second letter of a vowel pair (ai, ou)."""
    letter = token[position]
    before = token[position - 1] if position else ""
    if before == letter:
        return 0.2
    if letter in _SILENT or (letter == "e" and position == len(token) - 1):
        return 0.4
    if letter in _VOWELS and before in _VOWELS:
        return 0.5
    return 1.0


def distance(token: str, aligner: Aligner, limit: float = 1e9) -> float:
    """The cheapest edit of the Latin `token` into a path through the lattice.

    An edit is a Latin letter left unwritten (see `_insertion`), a letter of the lattice left
    out (1), or one letter for another (see `_substitutions`). Only the paths that cost no more
    than `limit` are followed; past it, the answer is `limit` plus one.
    """
    # Quick lower bounds: each letter a path must write beyond the token's is left out (1), and
    # each Latin letter that no path writes costs at least its insertion.
    unwritten = max(0.0, aligner.shortest - len(token))
    for position, latin in enumerate(token):
        if latin not in aligner.letters:
            unwritten += min(_insertion(token, position), 0.5 if latin in _VOWELS else 1.0)
    if unwritten > limit:
        return limit + 1.0
    written, silent = aligner.written, aligner.silent
    end = len(written) - 1
    reached = _spread({0: 0.0}, written, silent, limit)
    for position, latin in enumerate(token):
        insertion = _insertion(token, position)
        substitution = _SUBSTITUTIONS.get(latin, _OTHER)
        following: dict[int, float] = {}
        for u, cost in reached.items():
            here = cost + insertion
            if here <= limit and here < following.get(u, 1e9):
                following[u] = here
            for v, letter in written[u]:
                there = cost + substitution.get(letter, 1.0)
                if there <= limit and there < following.get(v, 1e9):
                    following[v] = there
        if not following:
            return limit + 1.0
        reached = _spread(following, written, silent, limit)
    return reached.get(end, limit + 1.0)


def _spread(
    reached: dict[int, float],
    written: tuple[tuple[tuple[int, str], ...], ...],
    silent: tuple[tuple[int, ...], ...],
    limit: float,
) -> dict[int, float]:
    """Go on from the nodes reached without using a Latin letter: by leaving lattice letters
    out (1 each) or by alternatives that write nothing (free). Nodes come in topological order,
    so each is final once taken from the heap."""
    heap = list(reached)
    heapq.heapify(heap)
    done: set[int] = set()
    while heap:
        u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        cost = reached[u]
        for v in silent[u]:
            if cost < reached.get(v, 1e9):
                reached[v] = cost
                heapq.heappush(heap, v)
        if cost + 1.0 <= limit:
            for v, _letter in written[u]:
                if cost + 1.0 < reached.get(v, 1e9):
                    reached[v] = cost + 1.0
                    heapq.heappush(heap, v)
    return reached


# What an exact reading scores (not 1: the spelling is not the same), and what each unit of edit
# cost takes away, per letter of the Latin token.
EXACT = 0.95
COST_PER_LETTER = 1.0
FLOOR = 0.7  # below this, no likeness at all


@lru_cache(maxsize=200_000)
def similarity(token: str, aligner: Aligner) -> float:
    """How near a Latin token comes to a lattice: 0, or from `FLOOR` to `EXACT`."""
    if len(token) < 2:
        return 0.0
    letters = max(len(token), 4)
    cost = distance(token, aligner, (EXACT - FLOOR) * letters / COST_PER_LETTER)
    similarity = EXACT - COST_PER_LETTER * cost / letters
    return similarity if similarity >= FLOOR else 0.0
