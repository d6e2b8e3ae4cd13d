"""Memoisation by object identity, for renderers of structurally shared schemas.

Consecutive turns share every schema node a change did not touch, so the text rendered
for an unchanged entity or field can be reused. The cache keys on ``id(obj)`` and keeps
a reference to ``obj``, so an id cannot be recycled while its entry lives. Generated
schemas are never mutated (changes copy); a schema edited in place (a test, a script)
counts an edit (``edited``), and what was remembered before any edit is not used again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


_EDITS = [0]  # one cell, so the count is not rebound


def edited() -> None:
    """An IR node was assigned to in place: nothing remembered so far is used again."""
    _EDITS[0] += 1


def edits() -> int:
    """How many in-place edits there have been: part of every memo key."""
    return _EDITS[0]


def by_identity(size: int = 16384) -> Callable[[Callable[[T], R]], Callable[[T], R]]:
    def decorate(func: Callable[[T], R]) -> Callable[[T], R]:
        # Single dict operations are atomic under the GIL; a race only recomputes.
        cache: dict[int, tuple[Any, int, R]] = {}

        @wraps(func)
        def wrapper(obj: T) -> R:
            hit = cache.get(id(obj))
            if hit is not None and hit[0] is obj and hit[1] == _EDITS[0]:
                return hit[2]
            result = func(obj)
            if len(cache) >= size:
                cache.clear()  # cheaper than LRU bookkeeping on every hit
            cache[id(obj)] = (obj, _EDITS[0], result)
            return result

        return wrapper

    return decorate


class Generations[K, V]:
    """A memo of at most ``2 * size`` entries that forgets its older half at once.

    Entries go into a young generation; a full one becomes the old generation, the old
    one is dropped, and an old entry asked for again moves back to the young one. A memo
    cleared whole (cheaper than LRU bookkeeping on every hit) missed on everything right
    after, so the next turn rendered all it reuses again; here what the current turns
    read survives. Single dict operations are atomic under the GIL; a race between
    threads only loses an entry, rendered again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.young: dict[K, V] = {}
        self.old: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        hit = self.young.get(key)
        if hit is None:
            hit = self.old.get(key)
            if hit is not None:
                self.put(key, hit)
        return hit

    def put(self, key: K, value: V) -> None:
        if len(self.young) >= self.size:
            self.old = self.young
            self.young = {}
        self.young[key] = value
