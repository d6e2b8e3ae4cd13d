"""BenchmarkRun decisions: which scenarios to start, the aggregate scores and the phase.

Pure functions over the ScenarioRun statuses the operator observed; the operator only
lists children, calls these and patches what they return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from enduro.api.agent import AgentSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec, RunCounts, RunPhase
from enduro.api.conditions import Condition, ConditionStatus, set_ready_and_succeeded
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus, Usage
from enduro.api.settings import RunSettings
from enduro.engine.catalogue import BenchmarkScenarios


@dataclass(frozen=True)
class RunAggregate:
    """The BenchmarkRun status fields derived from its scenarios."""

    counts: RunCounts
    progress: str
    average_score: float | None
    success_rate: float | None
    mean_stamina: float | None
    usage: Usage = field(default_factory=Usage)


def scenario_indices(spec: BenchmarkRunSpec, scenarios_in_benchmark: int) -> list[int]:
    """The scenarios this run plays, in order; the subset must exist in the benchmark."""
    if spec.scenarios is None:
        return list(range(scenarios_in_benchmark))
    missing = [i for i in spec.scenarios if i >= scenarios_in_benchmark]
    if missing:
        raise ValueError(
            f"spec.scenarios lists {missing}, but the benchmark has {scenarios_in_benchmark} "
            f"scenarios (indices 0..{scenarios_in_benchmark - 1})"
        )
    return list(spec.scenarios)


def may_start(spec: BenchmarkRunSpec) -> bool:
    """Whether scenarios not started yet may start: not while suspended or canceled
    (started ones go on either way)."""
    return not (spec.suspend or spec.cancel)


def scenarios_to_start(
    spec: BenchmarkRunSpec,
    indices: Sequence[int],
    existing: Mapping[int, ScenarioPhase],
) -> list[int]:
    """Indices whose ScenarioRun should be created now: none while suspended or canceled,
    otherwise the first ones not created yet, keeping at most `parallelism` unfinished."""
    if not may_start(spec):
        return []
    active = sum(1 for phase in existing.values() if not phase.terminal)
    free = max(0, spec.parallelism - active)
    return [i for i in indices if i not in existing][:free]


def aggregate_run(
    statuses: Sequence[ScenarioRunStatus], total: int, turns: int | Sequence[int]
) -> RunAggregate:
    """Counts and scores over the run's ScenarioRuns (`total` scenarios of `turns` turns,
    or `turns[i]` turns for `statuses[i]` when they differ, as explicit scenarios do;
    scenarios without a ScenarioRun yet are pending). Scores cover ended scenarios only:
    average score, success rate (every turn passed) and mean stamina."""
    running = sum(
        1 for s in statuses if s.phase is not ScenarioPhase.PENDING and not s.phase.terminal
    )
    each = [turns] * len(statuses) if isinstance(turns, int) else turns
    ended = [(s, n) for s, n in zip(statuses, each, strict=True) if s.phase.terminal]
    succeeded = sum(1 for s, _ in ended if s.phase.evaluated)
    counts = RunCounts(
        total=total,
        pending=max(0, total - running - len(ended)),
        running=running,
        succeeded=succeeded,
        failed=len(ended) - succeeded,
    )
    progress = f"{len(ended)}/{total}"
    usage = Usage(
        agent_steps=sum(s.usage.agent_steps for s in statuses),
        tokens_in=sum(s.usage.tokens_in for s in statuses),
        tokens_out=sum(s.usage.tokens_out for s in statuses),
        cost_usd=round(sum(s.usage.cost_usd for s in statuses), 6),
        agent_seconds=round(sum(s.usage.agent_seconds for s in statuses), 3),
    )
    if not ended:
        return RunAggregate(counts, progress, None, None, None, usage)
    n = len(ended)
    perfect = sum(1 for s, n in ended if s.phase.evaluated and s.turns_passed >= n)
    return RunAggregate(
        counts=counts,
        progress=progress,
        average_score=round(sum(s.score or 0.0 for s, _ in ended) / n, 4),
        success_rate=round(perfect / n, 4),
        mean_stamina=round(sum(s.stamina for s, _ in ended) / n, 4),
        usage=usage,
    )


def run_phase(spec: BenchmarkRunSpec, counts: RunCounts) -> RunPhase:
    """The BenchmarkRun's phase: Canceled when asked; once every scenario ended,
    Succeeded if all were evaluated to the end, else Failed; Suspended while suspended;
    Running once anything started; Pending before."""
    if spec.cancel:
        return RunPhase.CANCELED
    ended = counts.succeeded + counts.failed
    if counts.total > 0 and ended >= counts.total:
        return RunPhase.SUCCEEDED if counts.failed == 0 else RunPhase.FAILED
    if spec.suspend:
        return RunPhase.SUSPENDED
    if counts.running or ended:
        return RunPhase.RUNNING
    return RunPhase.PENDING


def run_conditions(
    conditions: Sequence[Condition],
    phase: RunPhase,
    message: str,
    now: datetime,
    generation: int | None = None,
) -> list[Condition]:
    """`Ready` (False once Failed or Canceled) and `Succeeded` (Unknown until the run
    ended, then True only for Succeeded), so `kubectl wait` and Argo CD can read the run."""
    succeeded: ConditionStatus
    if phase in (RunPhase.SUCCEEDED, RunPhase.FAILED, RunPhase.CANCELED):
        succeeded = "True" if phase is RunPhase.SUCCEEDED else "False"
    else:
        succeeded = "Unknown"
    ready: ConditionStatus = "False" if phase in (RunPhase.FAILED, RunPhase.CANCELED) else "True"
    return set_ready_and_succeeded(
        conditions,
        ready=ready,
        succeeded=succeeded,
        reason=phase.value,
        message=message,
        now=now,
        generation=generation,
    )


def build_scenario_run_spec(
    run_name: str,
    run: BenchmarkRunSpec,
    scenarios: BenchmarkScenarios,
    agent: AgentSpec,
    scenario: int,
) -> ScenarioRunSpec:
    """The spec of one ScenarioRun of a BenchmarkRun: the run's settings, and snapshots of
    the Benchmark's generator (or the explicit Scenario) and the Agent so later edits
    never change a run in flight."""
    settings = {name: getattr(run, name) for name in RunSettings.model_fields}
    return ScenarioRunSpec(
        benchmark_run=run_name,
        agent=agent,
        scenario=scenario,
        **scenarios.snapshot(scenario),
        **settings,
    )
