"""Wake-up signals between handlers: a pod event wakes its ScenarioRun's daemon, a
ScenarioRun event wakes its BenchmarkRun's daemon, at once instead of at the next poll."""

from __future__ import annotations

import asyncio
import contextlib

Key = tuple[str, str, str]  # kind, namespace, name


class Wakeups:
    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}
        self._follows: dict[Key, str] = {}  # woken by another namespace's changes too

    def follow(self, kind: str, namespace: str, name: str, other: str) -> None:
        """`wake_all` of namespace `other` wakes this one too (a run of another namespace's
        Benchmark, such as the catalogue's, hears of that namespace's Scenarios)."""
        self._follows[(kind, namespace, name)] = other
        self._event((kind, namespace, name))  # a wake_all before the next wait is kept

    def _event(self, key: Key) -> asyncio.Event:
        return self._events.setdefault(key, asyncio.Event())

    def wake(self, kind: str, namespace: str, name: str) -> None:
        self._event((kind, namespace, name)).set()

    def wake_all(self, kind: str, namespace: str) -> None:
        for key, event in self._events.items():
            if key[0] == kind and namespace in (key[1], self._follows.get(key)):
                event.set()

    async def wait(self, kind: str, namespace: str, name: str, timeout: float) -> None:
        """Until woken or `timeout` seconds passed. A wake-up that came while the caller was
        busy is not lost: it ends the next wait at once."""
        event = self._event((kind, namespace, name))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    def forget(self, kind: str, namespace: str, name: str) -> None:
        self._events.pop((kind, namespace, name), None)
        self._follows.pop((kind, namespace, name), None)
