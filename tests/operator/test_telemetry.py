"""record_decision turns engine decisions into the operator's Prometheus metrics, and
event_for into one Kubernetes Event per turn outcome and per failure."""

from __future__ import annotations

from datetime import UTC, datetime

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus, TurnSummary
from enduro.engine.events import AgentFinished, Event, Started, StepFailedInfra, TestFinished
from enduro.engine.machine import AgentStep, Done, TestStep, current_step, decide
from enduro.engine.results import AgentOutcome, TestSummary
from enduro.operator import metrics
from enduro.operator.telemetry import (
    RunEvent,
    RunLabels,
    event_for,
    record_decision,
    scenario_run_key,
)

RUN = RunLabels("telemetry-ns", "bench", "oracle")
LABELS = {"namespace": "telemetry-ns", "benchmark": "bench", "agent": "oracle"}


def sample(name: str, **labels: str) -> float:
    value = metrics.DEFAULT.registry.get_sample_value(name, {**LABELS, **labels})
    return value or 0.0


def test_a_finished_turn_and_scenario_are_recorded() -> None:
    before_turns = sample("enduro_turns_completed_total", outcome="passed")
    before_ends = sample("enduro_scenario_score_count")
    old = ScenarioRunStatus(phase=ScenarioPhase.RUNNING, turn=1, attempt=1)
    turn = TurnSummary(turn=1, attempts=1, passed=4, total=4, score=1.0, passed_turn=True)
    new = old.model_copy(
        update={"phase": ScenarioPhase.SUCCEEDED, "turns": [turn], "score": 1.0, "stamina": 1}
    )
    record_decision(
        RUN,
        step=TestStep(1, 1),
        event=TestFinished(TestSummary(passed=4, total=4)),
        old=old,
        new=new,
        next_step=Done(ScenarioPhase.SUCCEEDED),
        seconds=2.0,
    )
    assert sample("enduro_turns_completed_total", outcome="passed") == before_turns + 1
    assert sample("enduro_scenario_score_count") == before_ends + 1


def test_an_infrastructure_retry_is_counted_by_folded_reason() -> None:
    name = "enduro_infrastructure_retries_total"
    labels = {"namespace": "telemetry-ns", "stage": "agent", "reason": "Evicted"}
    before = metrics.DEFAULT.registry.get_sample_value(name, labels) or 0.0
    status = ScenarioRunStatus(phase=ScenarioPhase.RUNNING, turn=1, attempt=1)
    record_decision(
        RUN,
        step=AgentStep(1, 1),
        event=StepFailedInfra("evicted: node pressure"),
        old=status,
        new=status.model_copy(update={"infra_retries": 1}),
        next_step=AgentStep(1, 1, retry=1),
        seconds=None,
    )
    assert metrics.DEFAULT.registry.get_sample_value(name, labels) == before + 1


def test_the_phase_key_of_a_scenario_run() -> None:
    body = {
        "metadata": {
            "namespace": "ns",
            "labels": {"enduro.dev/benchmark": "b", "enduro.dev/agent": "a"},
        },
        "status": {"phase": "Running"},
    }
    assert scenario_run_key(body) == metrics.ScenarioRunKey("ns", "b", "a", "Running")
    alone = {"metadata": {"namespace": "ns"}}
    assert scenario_run_key(alone) == metrics.ScenarioRunKey("ns", "none", "none", "Pending")


def test_one_event_per_turn_outcome_and_per_failure() -> None:
    spec = ScenarioRunSpec.model_validate(
        {
            "generator": {"seed": 1, "scenarios": 1, "turns": 3},
            "scenario": 0,
            "agent": {"harness": "oracle"},
            "attemptLimit": 2,
        }
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    # Turn 1 passes; turn 2 falls short once, then passes; the agent step of turn 3 is
    # evicted once, then the turn passes.
    events: list[Event] = [Started()]
    events += [AgentFinished(AgentOutcome()), TestFinished(TestSummary(passed=4, total=4))]
    events += [AgentFinished(AgentOutcome()), TestFinished(TestSummary(passed=2, total=4))]
    events += [AgentFinished(AgentOutcome()), TestFinished(TestSummary(passed=4, total=4))]
    events += [StepFailedInfra("evicted")]
    events += [AgentFinished(AgentOutcome()), TestFinished(TestSummary(passed=4, total=4))]
    status = ScenarioRunStatus()
    posted: list[RunEvent] = []
    for event in events:
        step = current_step(status)
        decision = decide(spec, status, event, now)
        found = event_for(step, event, status, decision.status, decision.step)
        posted += [found] if found is not None else []
        status = decision.status
    assert status.phase is ScenarioPhase.SUCCEEDED
    assert [(e.type, e.reason) for e in posted] == [
        ("Normal", "TurnPassed"),
        ("Normal", "AttemptFailed"),
        ("Normal", "TurnPassed"),
        ("Warning", "InfrastructureFailure"),
        ("Normal", "ScenarioSucceeded"),
    ]
    assert posted[1].message == "turn 2 attempt 1: 2/4; retrying"
    assert posted[2].message == "turn 2 passed (4/4, 2 attempts)"
    assert posted[3].message == "turn 3 attempt 1 agent step: evicted"
    assert posted[4].message == "scenario Succeeded, score 1.000: turn 3 passed (4/4, 1 attempt)"
