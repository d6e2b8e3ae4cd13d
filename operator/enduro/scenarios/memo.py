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
