"""plan_run: what a BenchmarkRun does next, and the clear errors of bad input."""

from __future__ import annotations

import datetime
from typing import Any

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus
from enduro.engine.runplan import Child, plan_run

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
BENCHMARK = {"generator": {"seed": 1, "scenarios": 4, "turns": 2}}
AGENT = {"harness": "oracle"}
PUBLIC = {"enduro.dev/public": "true"}


def run(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "r", "namespace": "ns", "generation": 3},
        "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, **spec},
    }


def child(phase: ScenarioPhase, score: float | None = None, cancel: bool = False) -> Child:
    return Child(ScenarioRunStatus(phase=phase, score=score), cancel=cancel)


def condition(plan: Any, type_: str) -> Any:
    return next(c for c in plan.status.conditions if c.type == type_)


def test_a_missing_benchmark_is_a_condition_naming_the_fix() -> None:
    plan = plan_run(run(), None, AGENT, {}, NOW)
    ready = condition(plan, "Ready")
    assert (ready.status, ready.reason) == ("False", "BenchmarkNotFound")
    assert "spec.benchmarkRef.name" in ready.message and "'b'" in ready.message
    assert plan.create == [] and not plan.finished


def test_a_missing_agent_is_a_condition_naming_the_fix() -> None:
    plan = plan_run(run(), BENCHMARK, None, {}, NOW)
    ready = condition(plan, "Ready")
    assert ready.reason == "AgentNotFound" and "spec.agentRef.name" in ready.message


def test_an_invalid_spec_names_the_field() -> None:
    plan = plan_run(run(parallelism=0), BENCHMARK, AGENT, {}, NOW)
    ready = condition(plan, "Ready")
    assert ready.reason == "InvalidSpec" and "spec.parallelism" in ready.message
    assert plan.status.observed_generation == 3


def test_an_invalid_agent_or_scenario_subset_is_reported() -> None:
    bad_agent = plan_run(run(), BENCHMARK, {"harness": "nope"}, {}, NOW)
    assert condition(bad_agent, "Ready").reason == "InvalidAgent"
    subset = plan_run(run(scenarios=[9]), BENCHMARK, AGENT, {}, NOW)
    assert condition(subset, "Ready").reason == "InvalidSpec"
    assert "spec.scenarios" in condition(subset, "Ready").message


def test_parallelism_bounds_the_unfinished_scenarios() -> None:
    first = plan_run(run(parallelism=2), BENCHMARK, AGENT, {}, NOW)
    assert first.create == [0, 1]
    assert first.status.counts.pending == 4 and first.status.started_at == NOW
    later = plan_run(
        run(parallelism=2),
        BENCHMARK,
        AGENT,
        {0: child(ScenarioPhase.SUCCEEDED, 1.0), 1: child(ScenarioPhase.RUNNING)},
        NOW,
    )
    assert later.create == [2]


def test_suspend_starts_nothing() -> None:
    plan = plan_run(run(suspend=True), BENCHMARK, AGENT, {}, NOW)
    assert plan.create == [] and plan.status.phase.value == "Suspended"


def test_cancel_cancels_unfinished_children_once() -> None:
    children = {
        0: child(ScenarioPhase.SUCCEEDED, 1.0),
        1: child(ScenarioPhase.RUNNING),
        2: child(ScenarioPhase.RUNNING, cancel=True),
    }
    plan = plan_run(run(cancel=True), BENCHMARK, AGENT, children, NOW)
    assert plan.cancel == [1] and plan.create == []
    assert plan.status.phase.value == "Canceled"


def test_the_status_aggregates_the_children() -> None:
    children = {i: child(ScenarioPhase.SUCCEEDED, 0.5) for i in range(4)}
    plan = plan_run(run(), BENCHMARK, AGENT, children, NOW)
    assert plan.finished
    assert (plan.status.phase.value, plan.status.average_score) == ("Succeeded", 0.5)
    assert plan.status.progress == "4/4"
    assert condition(plan, "Succeeded").status == "True"
    assert plan.status.completed_at == NOW


def test_the_operator_is_as_strict_as_enduro_run() -> None:
    for bad, field in (
        ({"parallelism": "1"}, "spec.parallelism"),
        ({"suspend": "yes"}, "spec.suspend"),
        ({"attempt_limit": 2}, "did you mean `attemptLimit`?"),
    ):
        ready = condition(plan_run(run(**bad), BENCHMARK, AGENT, {}, NOW), "Ready")
        assert ready.reason == "InvalidSpec" and field in ready.message, ready.message


def test_scenario_indices_beyond_the_benchmark_are_a_condition() -> None:
    ready = condition(plan_run(run(scenarios=[0, 9]), BENCHMARK, AGENT, {}, NOW), "Ready")
    assert ready.status == "False" and "spec.scenarios lists [9]" in ready.message


def test_a_public_benchmark_of_another_namespace_is_planned() -> None:
    ref = {"name": "b", "namespace": "enduro-catalogue"}
    plan = plan_run(run(benchmarkRef=ref), BENCHMARK, AGENT, {}, NOW, benchmark_labels=PUBLIC)
    assert plan.create == [0, 1] and condition(plan, "Ready").status == "True"


def test_a_benchmark_of_another_namespace_that_is_not_public_is_refused() -> None:
    ref = {"name": "b", "namespace": "team-b"}
    plan = plan_run(run(benchmarkRef=ref), BENCHMARK, AGENT, {}, NOW, benchmark_labels={})
    ready = condition(plan, "Ready")
    assert (ready.status, ready.reason) == ("False", "BenchmarkNotPublic")
    assert "Benchmark 'b' in namespace 'team-b' is not public" in ready.message
    assert "kubectl label benchmark -n team-b b enduro.dev/public=true" in ready.message
    assert plan.create == []


def test_the_own_namespace_needs_no_label_even_when_named() -> None:
    plan = plan_run(run(benchmarkRef={"name": "b", "namespace": "ns"}), BENCHMARK, AGENT, {}, NOW)
    assert plan.create == [0, 1]


def test_a_missing_benchmark_of_another_namespace_names_that_namespace() -> None:
    plan = plan_run(run(benchmarkRef={"name": "b", "namespace": "cat"}), None, AGENT, {}, NOW)
    assert "not found in namespace 'cat'" in condition(plan, "Ready").message
