"""The alignment of `align.distance`, compiled by numba: the one loop of the matcher that pure
Python made slow (each name part written in another script is aligned with the Latin parts it
may stand for, and most such pairs are new from one query to the next).

Imported on first use (numba takes a second to import): `align` asks for `kernel()`.

Letters are ASCII codes. The graph of a lattice is in compressed rows: the edges that write a
letter leave node u at `written_at[u]` to `written_at[u + 1]` (target `written_to`, letter
`written_letter`), those that write nothing at `silent_at[u]` to `silent_at[u + 1]`. Nodes are
numbered in topological order, so one forward pass settles what is reached without a letter.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dignity.screening import kernel_cache
from dignity.screening.align import COST_PER_LETTER, EXACT, FLOOR

kernel_cache.use_own_directory()  # before any kernel is defined

_VOWELS = b"aeiouy"
_SILENT = b"hw"

# SUBSTITUTION[t, l]: writing lattice letter l where the Latin token has t (see `align`)
SUBSTITUTION = np.ones((128, 128))
for _t in range(ord("a"), ord("z") + 1):
    for _l in range(ord("a"), ord("z") + 1):
        if _t == _l:
            SUBSTITUTION[_t, _l] = 0.0
        elif _t in _VOWELS and _l in _VOWELS:
            SUBSTITUTION[_t, _l] = 0.5
VOWEL = np.zeros(128, np.bool_)
VOWEL[list(_VOWELS)] = True
SILENT = np.zeros(128, np.bool_)
SILENT[list(_SILENT)] = True
_E = ord("e")


@njit(cache=True, nogil=True)
def insertions(token: np.ndarray, vowel: np.ndarray, silent: np.ndarray) -> np.ndarray:
    """What each Latin letter costs when no segment writes it: less for a doubled letter (0.2),
    a silent one or a final e (0.4), and the second letter of a vowel pair (ai, ou: 0.5)."""
    size = token.shape[0]
    costs = np.empty(size)
    for position in range(size):
        letter = token[position]
        before = token[position - 1] if position else -1
        if before == letter:
            costs[position] = 0.2
        elif silent[letter] or (letter == _E and position == size - 1):
            costs[position] = 0.4
        elif vowel[letter] and before >= 0 and vowel[before]:
            costs[position] = 0.5
        else:
            costs[position] = 1.0
    return costs


@njit(cache=True, nogil=True)
def _spread(
    cost: np.ndarray,
    written_at: np.ndarray,
    written_to: np.ndarray,
    silent_at: np.ndarray,
    silent_to: np.ndarray,
    limit: float,
) -> None:
    """Go on from the nodes reached without using a Latin letter: lattice letters left out (1
    each), alternatives that write nothing (free)."""
    for u in range(cost.shape[0]):
        here = cost[u]
        if here > limit:
            continue
        for e in range(silent_at[u], silent_at[u + 1]):
            v = silent_to[e]
            if here < cost[v]:
                cost[v] = here
        if here + 1.0 <= limit:
            for e in range(written_at[u], written_at[u + 1]):
                v = written_to[e]
                if here + 1.0 < cost[v]:
                    cost[v] = here + 1.0


@njit(cache=True, nogil=True)
def distance(
    token: np.ndarray,
    written_at: np.ndarray,
    written_to: np.ndarray,
    written_letter: np.ndarray,
    silent_at: np.ndarray,
    silent_to: np.ndarray,
    substitution: np.ndarray,
    vowel: np.ndarray,
    silent: np.ndarray,
    limit: float,
) -> float:
    """The cheapest edit of `token` into a path through the graph, or `limit` + 1 past it."""
    nodes = written_at.shape[0] - 1
    unreached = 1e9
    cost = np.full(nodes, unreached)
    cost[0] = 0.0
    _spread(cost, written_at, written_to, silent_at, silent_to, limit)
    following = np.empty(nodes)
    inserted = insertions(token, vowel, silent)
    for position in range(token.shape[0]):
        following[:] = unreached
        latin = token[position]
        insertion = inserted[position]
        reached = False
        for u in range(nodes):
            here = cost[u]
            if here > limit:
                continue
            there = here + insertion
            if there <= limit and there < following[u]:
                following[u] = there
                reached = True
            for e in range(written_at[u], written_at[u + 1]):
                v = written_to[e]
                there = here + substitution[latin, written_letter[e]]
                if there <= limit and there < following[v]:
                    following[v] = there
                    reached = True
        if not reached:
            return limit + 1.0
        _spread(following, written_at, written_to, silent_at, silent_to, limit)
        cost, following = following, cost
    end = cost[nodes - 1]
    return end if end <= limit else limit + 1.0


@njit(cache=True, nogil=True)
def bounded(
    token: np.ndarray,
    mask: np.ndarray,
    shortest: int,
    written_at: np.ndarray,
    written_to: np.ndarray,
    written_letter: np.ndarray,
    silent_at: np.ndarray,
    silent_to: np.ndarray,
    substitution: np.ndarray,
    vowel: np.ndarray,
    silent: np.ndarray,
    limit: float,
) -> float:
    """`distance`, or `limit` + 1 at once when a lower bound is past it: the letters a path
    must write beyond the token's (1 each), and each Latin letter no path writes (`mask`: those
    some path does) at no less than its insertion or 0.5 for a vowel, 1 otherwise."""
    inserted = insertions(token, vowel, silent)
    unwritten = max(0.0, shortest - token.shape[0])
    for position in range(token.shape[0]):
        latin = token[position]
        if not mask[latin]:
            unwritten += min(inserted[position], 0.5 if vowel[latin] else 1.0)
    if unwritten > limit:
        return limit + 1.0
    return distance(
        token,
        written_at,
        written_to,
        written_letter,
        silent_at,
        silent_to,
        substitution,
        vowel,
        silent,
        limit,
    )


@njit(cache=True, nogil=True)
def similarity(
    points: np.ndarray,
    r: int,
    graph_at: np.ndarray,
    written_at: np.ndarray,
    written_to: np.ndarray,
    written_letter: np.ndarray,
    silent_at: np.ndarray,
    silent_to: np.ndarray,
    masks: np.ndarray,
    shortest: np.ndarray,
    costs: tuple[np.ndarray, ...],
) -> float:
    """`align.similarity` of the Latin text `points` (code points) with lattice `r` of graphs
    joined end to end: row `r` of `graph_at` says where its part of each graph array starts
    (see `token_table`); `costs` are substitution, vowel and silent."""
    size = points.shape[0]
    if size < 2:
        return 0.0
    token = np.empty(size, np.uint8)
    for k in range(size):
        token[k] = points[k] if points[k] < 128 else 63  # "?", as `align.distance` encodes it
    g = graph_at
    letters = max(size, 4)
    cost = bounded(
        token,
        masks[r],
        shortest[r],
        written_at[g[r, 0] : g[r + 1, 0]],
        written_to[g[r, 1] : g[r + 1, 1]],
        written_letter[g[r, 2] : g[r + 1, 2]],
        silent_at[g[r, 3] : g[r + 1, 3]],
        silent_to[g[r, 4] : g[r + 1, 4]],
        costs[0],
        costs[1],
        costs[2],
        (EXACT - FLOOR) * letters / COST_PER_LETTER,
    )
    found = EXACT - COST_PER_LETTER * cost / letters
    return float(found) if found >= FLOOR else 0.0


@njit(cache=True, nogil=True)
def indel(a: np.ndarray, b: np.ndarray, row: np.ndarray) -> float:
    """rapidfuzz's `Indel.normalized_similarity`: from the longest common subsequence (`row`:
    room for its row, as long as `b` and one more)."""
    la = a.shape[0]
    lb = b.shape[0]
    total = la + lb
    if total == 0:
        return 1.0
    row[: lb + 1] = 0
    for i in range(la):
        diagonal = 0
        for j in range(lb):
            above = row[j + 1]
            if a[i] == b[j]:
                row[j + 1] = diagonal + 1
            elif row[j] > above:
                row[j + 1] = row[j]
            diagonal = above
    common = row[lb]
    return float(1.0 - (total - 2 * common) / total)
