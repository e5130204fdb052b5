"""Caches of name preparation that a hit does not write to, kept bounded by emptying them.

`functools.lru_cache` moves an entry to the front of its list on every hit: a write to the
entry's memory. A batch worker forked from the process that built the index shares that memory
until it writes to it, and each first write copies a page: with the index's tens of thousands of
cached names and parts, a fresh worker copied some 4,700 pages more than with `functools.cache`,
whose hits only read (measured with `benchmarks/screening_speed.py`'s queries; docs/benchmarks.md).
So these functions use `functools.cache`, and `trim` empties any grown past its bound: a long-lived
server keeps what it reads from growing without end, at the cost of working some entries out again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_BOUNDED: list[tuple[Any, int]] = []  # (cached function, most entries it keeps)
TRIM_EVERY = 1_000  # calls of `tick` between two trims
_ticks = 0


def bounded(maxsize: int) -> Callable[[F], F]:
    """`functools.cache`, emptied by `trim` once it holds more than `maxsize` entries."""

    def decorate(function: F) -> F:
        cached = cache(function)
        _BOUNDED.append((cached, maxsize))
        return cached  # type: ignore[return-value]

    return decorate


def trim() -> None:
    """Empty every bounded cache that holds more than its bound."""
    for cached, maxsize in _BOUNDED:
        if cached.cache_info().currsize > maxsize:
            cached.cache_clear()


def tick() -> None:
    """Count one query; every `TRIM_EVERY` of them, `trim`."""
    global _ticks
    _ticks += 1
    if _ticks >= TRIM_EVERY:
        _ticks = 0
        trim()
