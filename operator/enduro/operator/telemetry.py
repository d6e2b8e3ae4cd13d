"""What one engine decision means for the Prometheus metrics (`enduro.operator.metrics`) and
for the Kubernetes Events of its ScenarioRun (`event_for`).

`record_decision` compares the status before and after a decision and calls the
recorders: attempts started, turns finished (with their score), scenario ends (stamina,
score), infrastructure retries, agent usage and step durations. The
metrics' labels are the namespace, the Benchmark and the Agent names (bounded), taken
from the ScenarioRun's labels; run and pod names never become labels.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus
from enduro.engine.events import (
    AgentFinished,
    Event,
    StepFailedInfra,
    TestFinished,
    WorkspaceLost,
)
from enduro.engine.machine import AgentStep, Done, Step, TestStep
from enduro.operator import metrics
from enduro.operator.children import AGENT_LABEL, BENCHMARK_LABEL


def tally_phase(
    counts: Counter[metrics.ScenarioRunKey],
    old: metrics.ScenarioRunKey | None,
    new: metrics.ScenarioRunKey | None,
) -> None:
    """Move one ScenarioRun from `old` to `new` in `counts` (None: not counted), so the
    gauge is set from a count per key, not by counting every ScenarioRun again at each
    phase change; keys left without runs are dropped (their groups leave the gauge)."""
    if old is not None:
        counts[old] -= 1
        if counts[old] <= 0:
            del counts[old]
    if new is not None:
        counts[new] += 1


UNNAMED = "none"  # a ScenarioRun created alone names no Benchmark or Agent


@dataclass(frozen=True)
class RunLabels:
    namespace: str
    benchmark: str
    agent: str

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> RunLabels:
        meta = body["metadata"]
        labels = meta.get("labels") or {}
        return cls(
            meta["namespace"],
            labels.get(BENCHMARK_LABEL, UNNAMED),
            labels.get(AGENT_LABEL, UNNAMED),
        )


def _stage(step: Step) -> metrics.Stage | None:
    if isinstance(step, AgentStep):
        return "agent"
    if isinstance(step, TestStep):
        return "test"
    return None


def step_seconds(pod: Mapping[str, Any] | None, now: datetime.datetime) -> float | None:
    started = (pod or {}).get("status", {}).get("startTime")
    if not started:
        return None
    return max(0.0, (now - datetime.datetime.fromisoformat(str(started))).total_seconds())


def record_decision(
    run: RunLabels,
    *,
    step: Step,
    event: Event,
    old: ScenarioRunStatus,
    new: ScenarioRunStatus,
    next_step: Step,
    seconds: float | None,
) -> None:
    labels = (run.namespace, run.benchmark, run.agent)
    stage = _stage(step)
    if isinstance(event, StepFailedInfra) and stage is not None:
        metrics.record_infra_retry(run.namespace, stage=stage, reason=event.reason)
    elif stage is not None and seconds is not None:
        metrics.record_step(*labels, stage=stage, seconds=seconds)
    if isinstance(event, AgentFinished):
        outcome = event.outcome
        metrics.record_agent_usage(
            *labels,
            input_tokens=outcome.tokens_in,
            output_tokens=outcome.tokens_out,
            cost_usd=outcome.cost_usd,
        )
    if isinstance(next_step, AgentStep) and next_step.retry == 0:
        metrics.record_attempt(*labels)
    for turn in new.turns[len(old.turns) :]:
        outcome_name: metrics.TurnOutcome = "passed" if turn.passed_turn else "failed"
        metrics.record_turn(*labels, outcome=outcome_name, score=turn.score)
    if new.phase.terminal and not old.phase.terminal:
        metrics.record_scenario_end(*labels, stamina=new.stamina, score=new.score or 0.0)


def scenario_run_key(body: Mapping[str, Any]) -> metrics.ScenarioRunKey:
    """What the phase gauge counts of a ScenarioRun: its run's labels and its phase."""
    run = RunLabels.of(body)
    phase = (body.get("status") or {}).get("phase") or ScenarioPhase.PENDING.value
    return metrics.ScenarioRunKey(run.namespace, run.benchmark, run.agent, phase)


@dataclass(frozen=True)
class RunEvent:
    """A Kubernetes Event to post on the ScenarioRun."""

    type: str  # "Normal" or "Warning"
    reason: str
    message: str


def event_for(
    step: Step, event: Event, old: ScenarioRunStatus, new: ScenarioRunStatus, next_step: Step
) -> RunEvent | None:
    """The one Event a decision is worth, if any: a turn's outcome, a failure (an
    infrastructure failure, an attempt that falls short and is retried) or the end of the
    scenario (with its last turn's outcome). Step hand-overs (agent done, test next) post
    none: the status and the operator's log say them, and each Event is an API write."""
    finished = new.turns[len(old.turns) :]
    outcome = "; ".join(
        f"turn {t.turn} {'passed' if t.passed_turn else 'failed'} "
        f"({t.passed}/{t.total}, {t.attempts} attempt{'s' if t.attempts > 1 else ''})"
        for t in finished
    )
    if isinstance(event, WorkspaceLost):  # resumed from a checkpoint, or why it cannot
        resumed = isinstance(next_step, AgentStep)
        return RunEvent("Warning", "WorkspaceRestored" if resumed else "WorkspaceLost", new.message)
    if isinstance(event, StepFailedInfra):
        where = ""
        if isinstance(step, AgentStep | TestStep):
            where = f"turn {step.turn} attempt {step.attempt} {_stage(step)} step: "
        return RunEvent("Warning", "InfrastructureFailure", where + event.reason)
    if isinstance(next_step, Done):
        message = f"scenario {next_step.phase.value}, score {new.score or 0:.3f}"
        return RunEvent("Normal", f"Scenario{next_step.phase.value}", _joined(message, outcome))
    if finished:
        reason = "TurnPassed" if all(t.passed_turn for t in finished) else "TurnFailed"
        return RunEvent("Normal", reason, outcome)
    if isinstance(event, TestFinished) and isinstance(next_step, AgentStep):
        summary = event.summary
        message = f"turn {next_step.turn} attempt {next_step.attempt - 1}: {summary.passed}/"
        return RunEvent("Normal", "AttemptFailed", f"{message}{summary.total}; retrying")
    return None


def _joined(first: str, second: str) -> str:
    return f"{first}: {second}" if second else first
