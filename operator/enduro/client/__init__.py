"""The Python client of Enduro on Kubernetes, shaped like Runloop's (docs/scenarios.md):
`AsyncEnduro` (async) and `Enduro` (its blocking facade)."""

from enduro.client.aio import AsyncEnduro
from enduro.client.sync import Enduro
from enduro.client.views import (
    Benchmark,
    BenchmarkRun,
    EnduroError,
    Page,
    RunEndedError,
    Scenario,
    ScenarioRun,
)

__all__ = [
    "AsyncEnduro",
    "Benchmark",
    "BenchmarkRun",
    "Enduro",
    "EnduroError",
    "Page",
    "RunEndedError",
    "Scenario",
    "ScenarioRun",
]
