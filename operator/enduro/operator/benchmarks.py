"""A Benchmark's status: pure, from its spec. `Ready` with the number of scenarios it
provides, or `Invalid` with the reason (the field and the problem) when its generator
cannot be used; runs that refer to it say `InvalidBenchmark` then."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from enduro.api.benchmark import BenchmarkPhase, BenchmarkSpec, BenchmarkStatus
from enduro.api.conditions import Condition, set_condition
from enduro.api.errors import explain
from enduro.api.validation import parse_spec


def benchmark_status(
    spec: Mapping[str, Any], status: Mapping[str, Any] | None, generation: int | None, now: datetime
) -> BenchmarkStatus:
    """The status the Benchmark with `spec` should have (`status`: the current one)."""
    try:
        old = BenchmarkStatus.model_validate(status or {})
    except ValidationError:
        old = BenchmarkStatus()
    try:
        parsed = parse_spec(BenchmarkSpec, spec)
    except ValidationError as error:
        message = explain(error, "spec")[:1024]
        ready = Condition(
            type="Ready",
            status="False",
            reason=BenchmarkPhase.INVALID.value,
            message=message,
            observed_generation=generation,
        )
        return old.model_copy(
            update={
                "phase": BenchmarkPhase.INVALID,
                "observed_generation": generation,
                "scenario_count": None,
                "conditions": set_condition(old.conditions, ready, now),
            }
        )
    if parsed.generator is not None:
        count: int | None = parsed.generator.scenarios
        message = f"{count} scenarios of {parsed.generator.turns} turns"
    else:
        assert parsed.scenarios is not None
        count = len(parsed.scenarios.names) if parsed.scenarios.names is not None else None
        message = "explicit scenarios"
    ready = Condition(
        type="Ready",
        status="True",
        reason=BenchmarkPhase.READY.value,
        message=message,
        observed_generation=generation,
    )
    return old.model_copy(
        update={
            "phase": BenchmarkPhase.READY,
            "observed_generation": generation,
            "scenario_count": count,
            "conditions": set_condition(old.conditions, ready, now),
        }
    )


def same_status(new: BenchmarkStatus, old: Mapping[str, Any]) -> bool:
    """Whether `old` (as read from the API) already says what `new` says."""
    try:
        return BenchmarkStatus.model_validate(old) == new
    except ValidationError:
        return False
