"""`index._heaviest` compiled by numba: the records with the heaviest sums of a query's postings.

Imported on first use, as `align_kernel` is. The sums are added up in the order of the postings,
as np.bincount adds them, so that equal inputs give equal sums, bit for bit (a screening must be
reproducible from its record).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dignity.screening import kernel_cache

kernel_cache.use_own_directory()  # before any kernel is defined


@njit(cache=True, nogil=True)
def heaviest(
    numbers: np.ndarray,
    posting_at: np.ndarray,
    positions: np.ndarray,
    weights: np.ndarray,
    size: int,
    count: int,
    schema_of: np.ndarray,
    fits: np.ndarray,
    limit: int,
) -> np.ndarray:
    """Of the positions (of `size`) in postings `numbers` (posting n: `positions[posting_at[n]:
    posting_at[n + 1]]`, each weighing `weights[n]`), the `count` whose weights add up the most,
    heaviest first (among equals, the lowest position); of those, the first `limit` whose
    schema (`schema_of`) `fits`. Every weight is above zero."""
    sums = np.zeros(size)
    total = 0
    for n in numbers:
        total += posting_at[n + 1] - posting_at[n]
    touched = np.empty(total, np.int64)
    found = 0
    for n in numbers:
        weight = weights[n]
        for x in range(posting_at[n], posting_at[n + 1]):
            position = positions[x]
            if sums[position] == 0.0:
                touched[found] = position
                found += 1
            sums[position] += weight
    reached = touched[:found]
    if 0 < count < found:  # only records as heavy as the count-th heaviest can be among them
        heavy = sums[reached]
        reached = reached[heavy >= -np.partition(-heavy, count - 1)[count - 1]]
    reached = np.sort(reached)
    order = np.argsort(-sums[reached], kind="mergesort")[:count]
    kept = np.empty(min(limit, order.shape[0]), np.int64)
    chosen = 0
    for k in order:
        if chosen == kept.shape[0]:
            break
        position = reached[k]
        if fits[schema_of[position]]:
            kept[chosen] = position
            chosen += 1
    return kept[:chosen]
