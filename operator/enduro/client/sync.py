"""`Enduro`: the sync facade of `AsyncEnduro`, for scripts without an event loop. Each
call runs the async one to completion on the facade's own loop (the Kubernetes client's
connections belong to that loop, so one facade is used from one thread)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from enduro.client.aio import AsyncEnduro


class _Blocking:
    """One of the client's groups (`benchmarks`, `scenario_runs`...) with blocking methods."""

    def __init__(self, target: object, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method: Callable[..., Coroutine[Any, Any, Any]] = getattr(self._target, name)

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(method(*args, **kwargs))

        return call


class Enduro:
    """`Enduro.connect(namespace=...)`, then the same calls as `AsyncEnduro`, blocking."""

    def __init__(self, client: AsyncEnduro, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop
        self.benchmarks = _Blocking(client.benchmarks, loop)
        self.scenarios = _Blocking(client.scenarios, loop)
        self.scenario_runs = _Blocking(client.scenario_runs, loop)
        self.benchmark_runs = _Blocking(client.benchmark_runs, loop)

    @classmethod
    def connect(cls, **options: Any) -> Enduro:
        """The options of `AsyncEnduro.connect` (namespace, kubeconfig, context...)."""
        loop = asyncio.new_event_loop()
        return cls(loop.run_until_complete(AsyncEnduro.connect(**options)), loop)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.close())
        self._loop.close()

    def __enter__(self) -> Enduro:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
