"""Fault injection for the emulated API server, kept out of the emulator itself.

`inject(cluster, ApiFaults(...))` makes the API server misbehave towards the operator's
clients (kopf and Enduro's own, told apart by User-Agent) the way a loaded real one
does: 500s, 429s with Retry-After, 409 conflicts on writes, slow answers, and watch
connections dropped every few seconds. Requests of the test itself and of the kubelet
stand-in are never disturbed. `injected` counts what was done, so a test can check the
faults really happened.
"""

from __future__ import annotations

import asyncio
import collections
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp.web
import attrs

from cluster.cluster import EmulatedCluster

OPERATOR_CLIENTS = ("kopf", "enduro-operator")


@dataclass
class ApiFaults:
    rate: float = 0.15  # share of the operator's requests that get a fault
    seed: int = 0
    kinds: tuple[str, ...] = ("500", "429", "409", "slow")
    slow_seconds: float = 0.3
    drop_watches_every: float | None = 1.5
    injected: collections.Counter[str] = field(default_factory=collections.Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def choose(self, verb: str) -> str | None:
        if self._random.random() >= self.rate:
            return None
        writes = verb in ("PATCH", "PUT")
        if writes and "409" in self.kinds and self._random.random() < 0.6:
            return "409"  # conflicts are what writes meet most under contention
        kinds = [k for k in self.kinds if k != "409"]
        return self._random.choice(kinds) if kinds else None


def _status(code: int, reason: str, headers: dict[str, str] | None = None) -> Any:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "message": f"injected fault: {reason}",
        "code": code,
    }
    return aiohttp.web.json_response(body, status=code, headers=headers)


def inject(cluster: EmulatedCluster, faults: ApiFaults) -> None:
    """Start injecting `faults` into `cluster`'s API server."""
    emulator = cluster.emulator
    original = emulator._handle

    async def handle(request: Any) -> Any:
        client = request.headers.get("User-Agent", "").split("/")[0].split(" ")[0]
        watch = request.params.get("watch") in ("true", "1")
        if client in OPERATOR_CLIENTS and watch and faults.drop_watches_every:
            # The operator's watch streams end early, as when a connection drops; the
            # kubelet stand-in's watches are left alone.
            faults.injected["dropped watches"] += 1
            seconds = faults._random.uniform(0.2, 1.0) * faults.drop_watches_every
            params = {**request.params, "timeoutSeconds": f"{seconds:.2f}"}
            request = attrs.evolve(request, params=params)
        if client in OPERATOR_CLIENTS and not watch and request.resource is not None:
            verb = str(request.method.value).upper()
            fault = faults.choose(verb)
            if fault is not None:
                faults.injected[fault] += 1
            if fault == "500":
                return _status(500, "InternalError")
            if fault == "429":
                return _status(429, "TooManyRequests", {"Retry-After": "1"})
            if fault == "409":
                return _status(409, "Conflict")
            if fault == "slow":
                await asyncio.sleep(faults.slow_seconds)
        return await original(request)

    object.__setattr__(emulator, "_handle", handle)
