"""plan_external_run: what an external agent's BenchmarkRun says and asks, pure."""

from __future__ import annotations

import datetime
from typing import Any

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus, TurnSummary
from enduro.engine.runplan import Catalogue, Child, plan_external_run

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
CONTRACT = {"functions": [{"name": "t", "weight": 1, "scorer": {"command": {"command": "true"}}}]}
SCENARIO = {"inputContext": {"problemStatement": "fix"}, "scoringContract": CONTRACT}
CATALOGUE = Catalogue(scenarios={n: ({}, SCENARIO) for n in ("alpha", "beta", "gamma")})
BENCHMARK = {"scenarios": {"names": ["alpha", "beta", "gamma"]}}


def run(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "r", "namespace": "ns", "generation": 2},
        "spec": {"benchmarkRef": {"name": "b"}, "agent": {"external": True}, **spec},
    }


def done(score: float) -> Child:
    turn = TurnSummary(turn=1, attempts=1, passed=1, total=1, score=score, passed_turn=score == 1)
    status = ScenarioRunStatus(
        phase=ScenarioPhase.COMPLETED,
        score=score,
        turns=[turn],
        turns_passed=int(score == 1),
        progress="1/1",
    )
    return Child(status)


WAITING = Child(ScenarioRunStatus(phase=ScenarioPhase.SCORED))


def test_scenarios_not_started_are_pending_and_none_is_created() -> None:
    plan = plan_external_run(run(), BENCHMARK, CATALOGUE, {1: WAITING}, NOW)
    assert plan.status.pending_scenarios == ["alpha", "gamma"]
    assert plan.create == [] and plan.status.phase == "Running"
    assert (plan.status.counts.running, plan.status.counts.pending) == (1, 2)


def test_the_run_succeeds_once_every_scenario_completed() -> None:
    plan = plan_external_run(
        run(), BENCHMARK, CATALOGUE, {0: done(1.0), 1: done(0.5), 2: done(0)}, NOW
    )
    assert (plan.status.phase, plan.status.average_score) == ("Succeeded", 0.5)
    assert plan.status.success_rate == 0.3333 and plan.finished


def test_complete_asks_running_scenarios_to_complete_then_ends_early() -> None:
    asked = plan_external_run(
        run(complete=True), BENCHMARK, CATALOGUE, {0: done(1), 1: WAITING}, NOW
    )
    assert (asked.complete, asked.status.phase) == ([1], "Running")
    ended = plan_external_run(run(complete=True), BENCHMARK, CATALOGUE, {0: done(1)}, NOW)
    assert ended.status.phase == "Succeeded" and "2 scenarios never started" in ended.status.message


def test_cancel_cancels_running_scenarios() -> None:
    plan = plan_external_run(run(cancel=True), BENCHMARK, CATALOGUE, {1: WAITING}, NOW)
    assert (plan.cancel, plan.status.phase) == ([1], "Canceled")


def test_a_generated_or_incomplete_benchmark_is_a_condition_naming_the_fix() -> None:
    generated = {"generator": {"seed": 1, "scenarios": 2, "turns": 2}}
    plan = plan_external_run(run(), generated, CATALOGUE, {}, NOW)
    ready = next(c for c in plan.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason) == ("False", "GeneratedBenchmark")
    missing = plan_external_run(run(), {"scenarios": {"names": ["delta"]}}, CATALOGUE, {}, NOW)
    assert "Scenario 'delta' not found in namespace 'ns'" in missing.status.message


def test_an_external_agent_plays_a_public_benchmark_of_another_namespace_only() -> None:
    ref = {"name": "b", "namespace": "enduro-catalogue"}
    public = {"enduro.dev/public": "true"}
    plan = plan_external_run(
        run(benchmarkRef=ref), BENCHMARK, CATALOGUE, {}, NOW, benchmark_labels=public
    )
    assert plan.status.pending_scenarios == ["alpha", "beta", "gamma"]
    refused = plan_external_run(run(benchmarkRef=ref), BENCHMARK, CATALOGUE, {}, NOW)
    ready = next(c for c in refused.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason) == ("False", "BenchmarkNotPublic")
    missing = plan_external_run(
        run(benchmarkRef=ref), {"scenarios": {"names": ["delta"]}}, CATALOGUE, {}, NOW,
        benchmark_labels=public,
    )  # fmt: skip
    assert "Scenario 'delta' not found in namespace 'enduro-catalogue'" in missing.status.message
