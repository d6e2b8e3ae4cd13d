"""Bring-your-own-agent runs, state by state, as the user driving them would see them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from engine_support import NOW
from pydantic import ValidationError

from enduro.api.conditions import get_condition
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.events import (
    Canceled,
    CompleteRequested,
    EnvironmentLost,
    EnvironmentReady,
    Event,
    ScoreRequested,
    Started,
    StepFailedInfra,
    TestFinished,
)
from enduro.engine.external import (
    Environment,
    decide_external,
    environment,
    environment_ready,
    expired,
    request,
    scoring_step,
)
from enduro.engine.plan import TestStep
from enduro.engine.results import TestSummary

CONTRACT = {
    "functions": [{"name": "tests", "weight": 1, "scorer": {"command": {"command": "true"}}}]
}
FULL = TestFinished(
    TestSummary(passed=1, total=1, contract_score=1.0, function_scores={"tests": 1.0})
)
HALF = TestFinished(TestSummary(passed=0, failed=1, total=1, contract_score=0.5))


def external_spec(turns: int = 1, **fields: Any) -> ScenarioRunSpec:
    statement = {"problemStatement": "fix it"}
    shape: dict[str, Any] = (
        {"scoringContract": CONTRACT}
        if turns == 1
        else {"turns": [{"inputContext": statement, "scoringContract": CONTRACT}] * turns}
    )
    definition = {"name": "fix", "spec": {"inputContext": statement, **shape}}
    return ScenarioRunSpec.model_validate(
        {"definition": definition, "externalAgent": {"external": True}, **fields}
    )


def play(spec: ScenarioRunSpec, *events: Event, step: float = 1.0) -> ScenarioRunStatus:
    status = ScenarioRunStatus()
    for i, event in enumerate(events):
        status = decide_external(spec, status, event, NOW + timedelta(seconds=i * step), 1)
    return status


def test_start_waits_for_the_environment_of_turn_one() -> None:
    status = play(external_spec(), Started("pvc://sr-workspace/artifacts"))
    assert (status.phase, status.turn, status.progress) == (ScenarioPhase.RUNNING, 1, "0/1")
    assert environment(status) == Environment(1) and scoring_step(status) is None
    assert not environment_ready(status)
    ready = play(external_spec(), Started(), EnvironmentReady(1))
    assert environment_ready(ready) and ready.active_at == NOW + timedelta(seconds=1)


def test_score_runs_the_scoring_step_then_scored_then_completed() -> None:
    spec = external_spec()
    scoring = play(spec, Started(), EnvironmentReady(1), ScoreRequested(2))
    assert scoring.phase is ScenarioPhase.SCORING and scoring.score_generation == 2
    assert scoring_step(scoring) == TestStep(1, 1) and environment(scoring) == Environment(1)
    scored = decide_external(spec, scoring, FULL, NOW, 2)
    assert (scored.phase, scored.score, scored.progress) == (ScenarioPhase.SCORED, 1.0, "1/1")
    assert scored.function_scores == {"tests": 1.0}
    assert environment_ready(scored)  # the environment stays until complete
    done = decide_external(spec, scored, CompleteRequested(), NOW, 3)
    assert done.phase is ScenarioPhase.COMPLETED and done.phase.terminal
    assert environment(done) is None and not environment_ready(done)
    succeeded = get_condition(done.conditions, "Succeeded")
    assert succeeded is not None and succeeded.status == "True"


def test_a_score_request_waits_for_the_environment_and_is_served_once() -> None:
    spec = external_spec(score=True)
    early = play(spec, Started(), ScoreRequested(1))
    assert early.phase is ScenarioPhase.RUNNING  # the workspace is not prepared yet
    assert request(spec, early, 1) == ScoreRequested(1)
    spec2 = external_spec(turns=2, score=True)
    turn2 = play(
        spec2, Started(), EnvironmentReady(1), ScoreRequested(1), HALF, EnvironmentReady(2)
    )
    assert (turn2.phase, turn2.turn, turn2.score) == (ScenarioPhase.RUNNING, 2, 0.5)
    assert request(spec2, turn2, 1) is None  # the same generation's request was served
    assert request(spec2, turn2, 3) == ScoreRequested(3)


def test_multi_turn_shows_the_next_turn_then_scored_after_the_last() -> None:
    spec = external_spec(turns=2)
    after_one = play(spec, Started(), EnvironmentReady(1), ScoreRequested(1), FULL)
    assert (after_one.phase, after_one.turn) == (ScenarioPhase.RUNNING, 2)
    assert environment(after_one) == Environment(2) and not environment_ready(after_one)
    stale = decide_external(spec, after_one, EnvironmentReady(1), NOW, 1)
    assert stale == after_one
    end = play(
        spec,
        Started(),
        EnvironmentReady(1),
        ScoreRequested(1),
        FULL,
        EnvironmentReady(2),
        ScoreRequested(2),
        HALF,
    )
    assert (end.phase, end.score, [t.score for t in end.turns]) == ("Scored", 0.75, [1.0, 0.5])


def test_complete_while_running_scores_unscored_turns_zero() -> None:
    status = play(external_spec(turns=2), Started(), EnvironmentReady(1), CompleteRequested())
    assert (status.phase, status.score) == (ScenarioPhase.COMPLETED, 0.0)
    assert "before turn 1 was scored" in status.message


def test_score_and_complete_together_score_first() -> None:
    spec = external_spec(score=True, complete=True)
    running = play(spec, Started(), EnvironmentReady(1))
    assert request(spec, running, 1) == ScoreRequested(1)
    scoring = decide_external(spec, running, ScoreRequested(1), NOW, 1)
    assert request(spec, scoring, 1) is None  # complete waits for the scoring step
    scored = decide_external(spec, scoring, FULL, NOW, 1)
    assert request(spec, scored, 1) == CompleteRequested()


def test_keep_alive_times_out_an_idle_environment_and_completes_a_scored_one() -> None:
    spec = external_spec(timeouts={"keepAliveSeconds": 60})
    idle = play(spec, Started(), EnvironmentReady(1))
    assert expired(spec, idle, NOW + timedelta(seconds=30)) is None
    late = NOW + timedelta(seconds=62)
    timed_out = decide_external(spec, idle, EnvironmentReady(1), late, 1)
    assert timed_out.phase is ScenarioPhase.TIMED_OUT and "keepAliveSeconds" in timed_out.message
    scored = play(spec, Started(), EnvironmentReady(1), ScoreRequested(1), FULL)
    completed = decide_external(spec, scored, EnvironmentReady(1), late + timedelta(60), 1)
    assert (completed.phase, completed.score) == (ScenarioPhase.COMPLETED, 1.0)


def test_scoring_infrastructure_failures_retry_then_fail() -> None:
    spec = external_spec(maxInfraRetries=1)
    scoring = play(spec, Started(), EnvironmentReady(1), ScoreRequested(1))
    retry = decide_external(spec, scoring, StepFailedInfra("evicted", TestStep(1, 1)), NOW, 1)
    assert scoring_step(retry) == TestStep(1, 1, 1) and retry.phase is ScenarioPhase.SCORING
    failed = decide_external(spec, retry, StepFailedInfra("evicted", TestStep(1, 1, 1)), NOW, 1)
    assert failed.phase is ScenarioPhase.FAILED and "evicted" in failed.message


def test_cancel_and_a_lost_environment_end_the_run() -> None:
    canceled = play(external_spec(), Started(), EnvironmentReady(1), Canceled())
    assert canceled.phase is ScenarioPhase.CANCELED and environment(canceled) is None
    lost = play(external_spec(), Started(), EnvironmentReady(1), EnvironmentLost("node lost"))
    assert lost.phase is ScenarioPhase.FAILED and "node lost" in lost.message
    assert decide_external(external_spec(), lost, ScoreRequested(5), NOW, 5) == lost


def test_phases_keep_generated_runs_unchanged() -> None:
    assert [p for p in ScenarioPhase if not p.terminal] == [
        "Pending",
        "Running",
        "Scoring",
        "Scored",
    ]
    assert ScenarioPhase.SUCCEEDED.terminal and ScenarioPhase.COMPLETED.terminal


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"agent": {"harness": "oracle"}}, "exactly one of agent"),
        ({"externalAgent": {"external": False}}, "external must be true"),
    ],
)
def test_external_agent_spec_errors_name_the_fix(fields: dict[str, Any], message: str) -> None:
    data = external_spec().model_dump(by_alias=True, exclude_none=True)
    with pytest.raises(ValidationError, match=message):
        ScenarioRunSpec.model_validate({**data, **fields})


def test_score_and_complete_are_for_external_agents_only() -> None:
    generated = {
        "generator": {"seed": 1, "scenarios": 1, "turns": 2},
        "agent": {"harness": "oracle"},
    }
    with pytest.raises(ValidationError, match="requests to an external agent's run"):
        ScenarioRunSpec.model_validate({**generated, "score": True})


def test_generated_scenarios_refuse_an_external_agent() -> None:
    with pytest.raises(ValidationError, match="explicit scenarios only"):
        ScenarioRunSpec.model_validate(
            {
                "generator": {"seed": 1, "scenarios": 1, "turns": 2},
                "externalAgent": {"external": True},
            }
        )
