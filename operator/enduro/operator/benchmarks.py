"""A Benchmark's status: pure, from its spec (and, for explicit scenarios, the Scenarios
of its namespace). `Ready` with the number of scenarios it provides, `Pending` while a
Scenario it names (or any matching its labels) does not exist, or `Invalid` with the
reason (the field and the problem) when it cannot be used; runs that refer to it say
`InvalidBenchmark` or `ScenarioNotFound` then."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from enduro.api.benchmark import BenchmarkPhase, BenchmarkSpec, BenchmarkStatus
from enduro.api.conditions import Condition, set_condition
from enduro.api.errors import explain
from enduro.api.validation import parse_spec
from enduro.engine.catalogue import SCENARIO_NOT_FOUND


def benchmark_status(
    spec: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    generation: int | None,
    now: datetime,
    scenarios: Mapping[str, Mapping[str, str]] | None = None,
) -> BenchmarkStatus:
    """The status the Benchmark with `spec` should have (`status`: the current one;
    `scenarios`: the labels of each Scenario in its namespace, by name)."""
    try:
        old = BenchmarkStatus.model_validate(status or {})
    except ValidationError:
        old = BenchmarkStatus()
    try:
        parsed = parse_spec(BenchmarkSpec, spec)
    except ValidationError as error:
        message = explain(error, "spec")[:1024]
        return _with_ready(
            old, BenchmarkPhase.INVALID, None, message, generation=generation, now=now
        )
    phase = BenchmarkPhase.READY
    if parsed.generator is not None:
        count = parsed.generator.scenarios
        message = f"{count} scenarios of {parsed.generator.turns} turns"
    else:
        assert parsed.scenarios is not None
        selection = parsed.scenarios
        found = [n for n, labels in (scenarios or {}).items() if selection.selects(n, dict(labels))]
        count = len(found)
        missing = [n for n in selection.names or [] if n not in found]
        message = f"{count} explicit scenarios"
        if missing or not found:
            phase = BenchmarkPhase.PENDING
            message = (
                f"Scenario {', '.join(map(repr, missing))} not found: create it"
                if missing
                else f"no Scenario has the labels {selection.match_labels}"
            )
    return _with_ready(old, phase, count, message, generation=generation, now=now)


# The Ready condition's reason for a Benchmark that is not Ready, by phase.
_NOT_READY_REASON = {
    BenchmarkPhase.INVALID: BenchmarkPhase.INVALID.value,
    BenchmarkPhase.PENDING: SCENARIO_NOT_FOUND,
}


def _with_ready(
    old: BenchmarkStatus,
    phase: BenchmarkPhase,
    count: int | None,
    message: str,
    *,
    generation: int | None,
    now: datetime,
) -> BenchmarkStatus:
    """`old` moved to `phase`, with its Ready condition saying why."""
    ready = phase is BenchmarkPhase.READY
    condition = Condition(
        type="Ready",
        status="True" if ready else "False",
        reason=phase.value if ready else _NOT_READY_REASON[phase],
        message=message,
        observed_generation=generation,
    )
    return old.model_copy(
        update={
            "phase": phase,
            "observed_generation": generation,
            "scenario_count": count,
            "conditions": set_condition(old.conditions, condition, now),
        }
    )


def same_status(new: BenchmarkStatus, old: Mapping[str, Any]) -> bool:
    """Whether `old` (as read from the API) already says what `new` says."""
    try:
        return BenchmarkStatus.model_validate(old) == new
    except ValidationError:
        return False
