"""BenchmarkRun decisions: what starts, how scores aggregate, which phase it shows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enduro.api.benchmarkrun import BenchmarkRunSpec, RunCounts, RunPhase
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus
from enduro.engine.run import (
    aggregate_run,
    run_conditions,
    run_phase,
    scenario_indices,
    scenarios_to_start,
)

P = ScenarioPhase


def run_spec(**fields: object) -> BenchmarkRunSpec:
    return BenchmarkRunSpec.model_validate(
        {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, **fields}
    )


def ended(score: float, stamina: int, passed: int, phase: P = P.SUCCEEDED) -> ScenarioRunStatus:
    return ScenarioRunStatus(phase=phase, score=score, stamina=stamina, turns_passed=passed)


def test_scenario_indices_default_to_all_and_check_the_subset() -> None:
    assert scenario_indices(run_spec(), 3) == [0, 1, 2]
    assert scenario_indices(run_spec(scenarios=[2, 0]), 3) == [2, 0]
    with pytest.raises(ValueError, match=r"lists \[5\].*indices 0\.\.2"):
        scenario_indices(run_spec(scenarios=[5]), 3)


def test_start_respects_parallelism_and_order() -> None:
    spec = run_spec(parallelism=2)
    assert scenarios_to_start(spec, [0, 1, 2, 3], {}) == [0, 1]
    assert scenarios_to_start(spec, [0, 1, 2, 3], {0: P.RUNNING, 1: P.RUNNING}) == []
    assert scenarios_to_start(spec, [0, 1, 2, 3], {0: P.SUCCEEDED, 1: P.RUNNING}) == [2]
    assert scenarios_to_start(spec, [0, 1, 2, 3], {0: P.FAILED, 1: P.CANCELED}) == [2, 3]


def test_nothing_starts_while_suspended_or_canceled() -> None:
    assert scenarios_to_start(run_spec(suspend=True), [0, 1], {}) == []
    assert scenarios_to_start(run_spec(cancel=True), [0, 1], {}) == []


def test_aggregate_counts_and_scores_over_ended_scenarios() -> None:
    statuses = [
        ended(1.0, 10, 10),
        ended(0.5, 2, 6),
        ended(0.2, 0, 1, P.FAILED),
        ScenarioRunStatus(phase=P.RUNNING, score=0.9),
    ]
    agg = aggregate_run(statuses, total=6, turns=10)
    assert agg.counts == RunCounts(total=6, pending=2, running=1, succeeded=2, failed=1)
    assert agg.progress == "3/6"
    assert agg.average_score == round(1.7 / 3, 4)
    assert agg.success_rate == round(1 / 3, 4)
    assert agg.mean_stamina == 4.0


def test_aggregate_sums_usage_over_all_scenarios() -> None:
    spent = ScenarioRunStatus(
        phase=P.RUNNING, usage={"tokensIn": 10, "costUsd": 0.25, "agentSteps": 2}
    )
    agg = aggregate_run([spent, spent.model_copy(update={"phase": P.SUCCEEDED})], 2, 3)
    assert (agg.usage.tokens_in, agg.usage.cost_usd, agg.usage.agent_steps) == (20, 0.5, 4)


def test_aggregate_before_anything_ended_has_no_scores() -> None:
    agg = aggregate_run([ScenarioRunStatus()], total=2, turns=5)
    assert (agg.average_score, agg.success_rate, agg.mean_stamina) == (None, None, None)
    assert agg.counts.pending == 2


@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 5), st.sampled_from(list(P)))))
def test_aggregate_scores_stay_in_range(rows: list[tuple[float, int, P]]) -> None:
    statuses = [ScenarioRunStatus(phase=p, score=s, stamina=k, turns_passed=k) for s, k, p in rows]
    agg = aggregate_run(statuses, total=len(rows), turns=5)
    c = agg.counts
    assert c.pending + c.running + c.succeeded + c.failed == c.total
    for value in (agg.average_score, agg.success_rate):
        assert value is None or 0 <= value <= 1


@pytest.mark.parametrize(
    ("fields", "counts", "phase"),
    [
        ({}, RunCounts(total=3, pending=3), RunPhase.PENDING),
        ({}, RunCounts(total=3, pending=2, running=1), RunPhase.RUNNING),
        ({}, RunCounts(total=3, succeeded=3), RunPhase.SUCCEEDED),
        ({}, RunCounts(total=3, succeeded=2, failed=1), RunPhase.FAILED),
        ({"suspend": True}, RunCounts(total=3, pending=2, succeeded=1), RunPhase.SUSPENDED),
        ({"suspend": True}, RunCounts(total=1, succeeded=1), RunPhase.SUCCEEDED),
        ({"cancel": True}, RunCounts(total=3, running=2, pending=1), RunPhase.CANCELED),
    ],
)
def test_run_phase(fields: dict[str, object], counts: RunCounts, phase: RunPhase) -> None:
    assert run_phase(run_spec(**fields), counts) is phase


def test_run_conditions_for_kubectl_wait() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    running = run_conditions([], RunPhase.RUNNING, "", now, generation=2)
    assert [(c.type, c.status, c.reason) for c in running] == [
        ("Ready", "True", "Running"),
        ("Succeeded", "Unknown", "Running"),
    ]
    failed = run_conditions(running, RunPhase.FAILED, "1 scenario failed", now)
    assert [(c.type, c.status) for c in failed] == [("Ready", "False"), ("Succeeded", "False")]
    assert failed[1].message == "1 scenario failed"
    done = run_conditions(running, RunPhase.SUCCEEDED, "", now)
    assert done[1].status == "True"


def test_scenario_run_spec_copies_the_run_settings_and_snapshots() -> None:
    from enduro.api.agent import AgentSpec
    from enduro.api.generator import GeneratorSpec
    from enduro.engine.catalogue import BenchmarkScenarios
    from enduro.engine.run import build_scenario_run_spec

    run = run_spec(attemptLimit=5, feedbackLevel="minimal", stopOnFailure=True,
                   timeouts={"agentSeconds": 99}, maxInfraRetries=0)  # fmt: skip
    generator = GeneratorSpec(seed=3, scenarios=4, turns=7)
    agent = AgentSpec.model_validate({"harness": "null"})
    spec = build_scenario_run_spec("br1", run, BenchmarkScenarios(generator), agent, 3)
    assert (spec.benchmark_run, spec.scenario, spec.generator, spec.agent) == (
        "br1", 3, generator, agent,
    )  # fmt: skip
    assert (spec.attempt_limit, spec.feedback_level, spec.stop_on_failure) == (5, "minimal", True)
    assert (spec.timeouts.agent_seconds, spec.max_infra_retries) == (99, 0)
    with pytest.raises(ValueError, match="out of range"):
        build_scenario_run_spec("br1", run, BenchmarkScenarios(generator), agent, 4)
