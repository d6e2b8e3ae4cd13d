"""The scenario state machine, scenario by scenario as a user would watch it."""

from __future__ import annotations

from datetime import timedelta

from engine_support import NOW, make_spec

from enduro.api.conditions import get_condition
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus, StepKind
from enduro.engine.events import (
    AgentFinished,
    Canceled,
    Event,
    Started,
    StepFailedInfra,
    TestFinished,
    TimedOut,
    WorkspaceLost,
)
from enduro.engine.machine import (
    AgentStep,
    Decision,
    Done,
    TestStep,
    current_step,
    deadline,
    decide,
    scenario_timed_out,
    step_testing,
    step_timed_out,
)
from enduro.engine.results import AgentOutcome, FailureClass, TestSummary

OK = AgentFinished(AgentOutcome())
PASS = TestFinished(TestSummary(passed=4, total=4))
HALF = TestFinished(TestSummary(passed=2, failed=2, total=4, failing=["t::a", "t::b"]))


def play(spec: ScenarioRunSpec, *events: Event) -> list[Decision]:
    status = ScenarioRunStatus()
    decisions = []
    for i, event in enumerate(events):
        decision = decide(spec, status, event, NOW + timedelta(seconds=i))
        decisions.append(decision)
        status = decision.status
    return decisions


def test_start_runs_the_agent_on_turn_one() -> None:
    [d] = play(make_spec(), Started("pvc://sr-workspace/artifacts"))
    assert d.step == AgentStep(1, 1)
    s = d.status
    assert s.artifacts_ref == "pvc://sr-workspace/artifacts"
    assert (s.phase, s.turn, s.attempt, s.step, s.progress) == ("Running", 1, 1, "agent", "0/3")
    assert s.started_at == NOW
    ready, succeeded = (
        get_condition(s.conditions, "Ready"),
        get_condition(s.conditions, "Succeeded"),
    )
    assert ready is not None and (ready.status, ready.reason) == ("True", "Running")
    assert succeeded is not None and succeeded.status == "Unknown"


def test_a_perfect_agent_passes_every_turn_in_one_attempt() -> None:
    decisions = play(make_spec(turns=3), Started(), *[OK, PASS] * 3)
    steps = [d.step for d in decisions]
    assert steps == [
        AgentStep(1, 1), TestStep(1, 1), AgentStep(2, 1), TestStep(2, 1),
        AgentStep(3, 1), TestStep(3, 1), Done(ScenarioPhase.SUCCEEDED),
    ]  # fmt: skip
    s = decisions[-1].status
    assert (s.score, s.stamina, s.turns_passed, s.progress, s.step) == (1.0, 3, 3, "3/3", "none")
    assert [t.attempts for t in s.turns] == [1, 1, 1]
    succeeded = get_condition(s.conditions, "Succeeded")
    assert succeeded is not None and (succeeded.status, succeeded.reason) == ("True", "Succeeded")
    assert s.completed_at == NOW + timedelta(seconds=6)


def test_step_testing_names_the_step_that_follows_an_agent_that_ended() -> None:
    """`step_testing` names, without deciding, the step the operator's test pod is for:
    the same attempt's test step, whatever retries and restores the agent step had."""
    spec = make_spec(turns=2, attemptLimit=2, maxInfraRetries=2)
    retried = StepFailedInfra("node lost")
    for events in ([Started()], [Started(), retried], [Started(), OK, HALF], [Started(), OK, PASS]):
        before = play(spec, *events)[-1]
        assert isinstance(before.step, AgentStep)
        after = decide(spec, before.status, AgentFinished(AgentOutcome(exit_code=3)), NOW)
        assert after.step == step_testing(before.step)


def test_failed_attempts_retry_until_the_limit_then_the_next_turn_starts() -> None:
    spec = make_spec(turns=2, attemptLimit=3)
    decisions = play(spec, Started(), OK, HALF, OK, HALF, OK, HALF)
    assert [d.step for d in decisions] == [
        AgentStep(1, 1), TestStep(1, 1), AgentStep(1, 2), TestStep(1, 2),
        AgentStep(1, 3), TestStep(1, 3), AgentStep(2, 1),
    ]  # fmt: skip
    [turn1] = decisions[-1].status.turns
    assert (turn1.attempts, turn1.score, turn1.passed_turn) == (3, 0.5, False)
    assert turn1.reason == "2 failed: t::a, t::b"
    assert decisions[-1].status.score == 0.5  # running mean over finished turns


def test_a_retry_that_passes_ends_the_turn_passed() -> None:
    [*_, last] = play(make_spec(turns=1), Started(), OK, HALF, OK, PASS)
    assert last.step == Done(ScenarioPhase.SUCCEEDED)
    assert [(t.attempts, t.passed_turn) for t in last.status.turns] == [(2, True)]
    assert last.status.stamina == 1


def test_stop_on_failure_ends_at_the_first_failed_turn_scoring_the_rest_zero() -> None:
    spec = make_spec(turns=4, attemptLimit=1, stopOnFailure=True)
    [*_, last] = play(spec, Started(), OK, PASS, OK, HALF)
    assert last.step == Done(ScenarioPhase.SUCCEEDED)
    s = last.status
    assert (s.score, s.stamina, s.turns_passed, s.progress) == (0.375, 1, 1, "2/4")
    assert "stopOnFailure" in s.message


def test_without_stop_on_failure_a_failed_turn_does_not_stop_the_scenario() -> None:
    spec = make_spec(turns=3, attemptLimit=1)
    [*_, last] = play(spec, Started(), OK, HALF, OK, PASS, OK, PASS)
    s = last.status
    assert last.step == Done(ScenarioPhase.SUCCEEDED)
    assert (s.score, s.stamina, s.turns_passed) == (0.8333, 0, 2)


def test_an_agent_crash_is_still_tested_and_spends_the_attempt() -> None:
    crash = AgentFinished(AgentOutcome(exit_code=137, failure=FailureClass.AGENT, reason="OOM"))
    spec = make_spec(turns=1, attemptLimit=1)
    decisions = play(spec, Started(), crash, TestFinished(TestSummary(passed=1, failed=3, total=4)))
    assert decisions[1].step == TestStep(1, 1)
    assert decisions[1].status.agent_reason == "OOM"
    last = decisions[-1]
    assert last.step == Done(ScenarioPhase.SUCCEEDED)
    assert last.status.turns[0].reason == "agent: OOM"
    assert last.status.agent_reason is None


def test_infrastructure_failures_rerun_the_step_without_spending_an_attempt() -> None:
    spec = make_spec(turns=1, attemptLimit=1, maxInfraRetries=2)
    evicted = StepFailedInfra("pod evicted")
    pull = AgentFinished(AgentOutcome(failure=FailureClass.INFRASTRUCTURE, reason="image pull"))
    decisions = play(spec, Started(), evicted, pull, OK, evicted, PASS)
    assert [d.step for d in decisions] == [
        AgentStep(1, 1), AgentStep(1, 1, retry=1), AgentStep(1, 1, retry=2),
        TestStep(1, 1), TestStep(1, 1, retry=1), Done(ScenarioPhase.SUCCEEDED),
    ]  # fmt: skip
    assert (
        "retry 1 of the test step of turn 1 attempt 1: pod evicted" in decisions[4].status.message
    )
    assert decisions[-1].status.turns[0].attempts == 1


def test_too_many_infrastructure_failures_fail_the_scenario_with_the_reason() -> None:
    spec = make_spec(turns=2, maxInfraRetries=1)
    evicted = StepFailedInfra("node lost")
    [*_, last] = play(spec, Started(), OK, PASS, evicted, evicted)
    assert last.step == Done(ScenarioPhase.FAILED)
    s = last.status
    assert s.message == (
        "infrastructure failure in the agent step of turn 2 attempt 1 after 1 retries: node lost"
    )
    assert s.score == 0.5  # turn 1 passed, turn 2 unreached
    ready = get_condition(s.conditions, "Ready")
    succeeded = get_condition(s.conditions, "Succeeded")
    assert ready is not None and (ready.status, ready.reason) == ("False", "Failed")
    assert succeeded is not None and succeeded.status == "False"


def test_cancel_and_timeout_end_the_scenario() -> None:
    spec = make_spec(turns=2)
    [*_, canceled] = play(spec, Started(), OK, Canceled("user asked"))
    assert canceled.step == Done(ScenarioPhase.CANCELED)
    assert (canceled.status.message, canceled.status.score) == ("user asked", 0.0)
    [*_, timed_out] = play(spec, Started(), OK, PASS, TimedOut())
    assert timed_out.step == Done(ScenarioPhase.TIMED_OUT)
    assert timed_out.status.score == 0.5


def test_spec_cancel_turns_any_event_into_a_cancel() -> None:
    spec = make_spec(cancel=True)
    [d] = play(spec, Started())
    assert d.step == Done(ScenarioPhase.CANCELED)
    assert d.status.message == "canceled by spec.cancel"


def test_stale_and_duplicate_events_change_nothing() -> None:
    spec = make_spec(turns=2)
    started = play(spec, Started())[-1].status
    for event in (PASS, Started(), TestFinished(TestSummary(passed=0, total=1))):
        d = decide(spec, started, event, NOW)
        assert (d.step, d.status) == (AgentStep(1, 1), started)
    pending = ScenarioRunStatus()
    assert decide(spec, pending, OK, NOW).status == pending
    assert decide(spec, pending, StepFailedInfra("x"), NOW).status == pending


def test_an_ended_scenario_ignores_every_event() -> None:
    spec = make_spec(turns=1)
    done = play(spec, Started(), OK, PASS)[-1].status
    for event in (Started(), OK, PASS, StepFailedInfra("x"), Canceled(), TimedOut()):
        assert decide(spec, done, event, NOW) == Decision(Done(ScenarioPhase.SUCCEEDED), done)


def test_inputs_are_never_mutated() -> None:
    spec = make_spec(turns=2)
    status = play(spec, Started(), OK)[-1].status
    before = status.model_copy(deep=True)
    decide(spec, status, HALF, NOW)
    assert status == before


def test_current_step_is_what_a_restarted_operator_adopts() -> None:
    spec = make_spec(turns=2)
    for decision in play(spec, Started(), OK, StepFailedInfra("evicted"), HALF, OK):
        assert current_step(decision.status) == decision.step
    assert current_step(ScenarioRunStatus()) == Done(ScenarioPhase.PENDING)


def test_generation_lands_in_status_and_conditions() -> None:
    d = decide(make_spec(), ScenarioRunStatus(), Started(), NOW, generation=4)
    assert d.status.observed_generation == 4
    assert {c.observed_generation for c in d.status.conditions} == {4}
    assert d.status.step is StepKind.AGENT


def test_usage_accumulates_over_attempts() -> None:
    spent = AgentFinished(AgentOutcome(steps=3, tokens_in=100, tokens_out=10, cost_usd=0.25))
    [*_, last] = play(make_spec(turns=2), Started(), spent, HALF, spent)
    u = last.status.usage
    assert (u.agent_steps, u.tokens_in, u.tokens_out, u.cost_usd) == (6, 200, 20, 0.5)


def test_the_scenario_deadline_follows_its_start() -> None:
    spec = make_spec(timeouts={"scenarioSeconds": 3600})
    status = play(spec, Started())[-1].status
    assert deadline(spec, status) == NOW + timedelta(hours=1)
    assert deadline(spec, ScenarioRunStatus()) is None
    assert deadline(make_spec(), status) is None


def test_any_event_after_the_scenario_deadline_ends_it_timed_out() -> None:
    spec = make_spec(turns=3, timeouts={"scenarioSeconds": 2})
    started = play(spec, Started())[-1].status
    assert scenario_timed_out(spec, started, NOW + timedelta(seconds=1)) is None
    late = NOW + timedelta(seconds=2)
    assert isinstance(scenario_timed_out(spec, started, late), TimedOut)
    after = decide(spec, started, OK, late)  # a step that finished too late
    assert after.step == Done(ScenarioPhase.TIMED_OUT)
    assert after.status.phase is ScenarioPhase.TIMED_OUT and after.status.score == 0.0
    assert "scenarioSeconds" in after.status.message
    canceled = decide(spec, started, Canceled(), late)
    assert canceled.status.phase is ScenarioPhase.CANCELED


def test_a_killed_agent_step_spends_the_attempt_and_a_killed_test_step_is_retried() -> None:
    spec = make_spec(turns=1, attemptLimit=1)
    status = play(spec, Started())[-1].status
    after_agent = decide(spec, status, step_timed_out(AgentStep(1, 1), 2100), NOW)
    assert after_agent.step == TestStep(1, 1)
    assert after_agent.status.agent_reason == "timed out after 2100s"
    after_test = decide(spec, after_agent.status, step_timed_out(TestStep(1, 1), 660), NOW)
    assert after_test.step == TestStep(1, 1, retry=1)
    assert "test step timed out after 660s" in after_test.status.message


def test_a_report_about_another_step_is_ignored() -> None:
    """A late report from attempt 1's pod must not finish attempt 2's agent step."""
    spec = make_spec(turns=2, attemptLimit=3)
    status = play(spec, Started(), OK, HALF)[-1].status
    assert current_step(status) == AgentStep(1, 2)
    late = AgentFinished(AgentOutcome(), step=AgentStep(1, 1))
    assert decide(spec, status, late, NOW) == Decision(AgentStep(1, 2), status)
    retried = decide(spec, status, StepFailedInfra("evicted", step=AgentStep(1, 2)), NOW)
    assert retried.step == AgentStep(1, 2, retry=1)
    from_first_pod = StepFailedInfra("evicted again", step=AgentStep(1, 2))
    assert decide(spec, retried.status, from_first_pod, NOW).status == retried.status
    current = AgentFinished(AgentOutcome(), step=AgentStep(1, 2, retry=1))
    assert decide(spec, retried.status, current, NOW).step == TestStep(1, 2)
    wrong_turn = TestFinished(TestSummary(passed=1, total=1), step=TestStep(2, 2))
    after_agent = decide(spec, retried.status, current, NOW).status
    assert decide(spec, after_agent, wrong_turn, NOW).status == after_agent


def test_each_turn_records_its_failure_classes_and_usage() -> None:
    spec = make_spec(turns=2, attemptLimit=2)
    spent = AgentFinished(AgentOutcome(tokens_in=100, tokens_out=10, cost_usd=0.25))
    crashed = AgentFinished(AgentOutcome(exit_code=1, failure=FailureClass.AGENT, tokens_in=5))
    *_, last = play(
        spec, Started(),
        crashed, HALF, StepFailedInfra("evicted"), spent, PASS,  # turn 1: 2 attempts
        spent, PASS,                                              # turn 2: clean
    )  # fmt: skip
    first, second = last.status.turns
    assert (first.agent_failures, first.infra_retries) == (1, 1)
    assert (first.tokens_in, first.tokens_out, first.cost_usd) == (105, 10, 0.25)
    assert (second.agent_failures, second.infra_retries, second.tokens_in) == (None, None, 100)


# -- a lost workspace volume ----------------------------------------------------------------

LOST = WorkspaceLost("persistentvolumeclaim sr-workspace was deleted", checkpoints=True)


def test_a_lost_volume_restarts_the_turn_from_the_last_checkpoint_without_spending_attempts() -> (
    None
):
    spec = make_spec(turns=3, attemptLimit=3)
    # Turn 1 passes; turn 2's first attempt fails, its second is being tested: volume lost.
    decisions = play(spec, Started(), OK, PASS, OK, HALF, OK, LOST)
    lost = decisions[-1]
    assert lost.step == AgentStep(2, 1, retry=1, restores=1, restore_turn=1)
    s = lost.status
    assert (s.phase, s.turn, s.attempt, s.step) == ("Running", 2, 1, "agent")
    assert (s.workspace_restores, s.restore_turn, s.turn_infra_retries) == (1, 1, 1)
    assert s.message.endswith("resumed turn 2 from attempt 1 on a fresh volume with the "
                              "checkpoint of turn 1")  # fmt: skip
    restored = get_condition(s.conditions, "WorkspaceRestored")
    assert restored is not None
    assert (restored.status, restored.reason) == ("True", "ResumedFromCheckpoint")

    # The restoring step done, the checkpoint is not asked for again; the turn goes on.
    rest = play_from(spec, s, OK, PASS, OK, PASS)
    assert rest[0].step == TestStep(2, 1, restores=1)
    assert rest[0].status.restore_turn is None
    end = rest[-1].status
    assert end.phase == "Succeeded" and [t.attempts for t in end.turns] == [1, 1, 1]
    assert end.turns[1].infra_retries == 1


def test_a_lost_volume_in_turn_one_starts_again_from_an_empty_workspace() -> None:
    decisions = play(make_spec(), Started(), LOST)
    assert decisions[-1].step == AgentStep(1, 1, retry=1, restores=1, restore_turn=None)
    restored = get_condition(decisions[-1].status.conditions, "WorkspaceRestored")
    assert restored is not None and restored.reason == "ResumedFromStart"


def test_a_lost_volume_without_checkpoints_fails_saying_how_to_make_it_resumable() -> None:
    lost = WorkspaceLost("persistentvolumeclaim sr-workspace was deleted", checkpoints=False)
    decisions = play(make_spec(turns=3), Started(), OK, PASS, OK, lost)
    s = decisions[-1].status
    assert decisions[-1].step == Done(ScenarioPhase.FAILED)
    assert s.message.startswith("cannot resume turn 2: the workspace volume was lost")
    assert "set spec.artifacts.s3 on the BenchmarkRun" in s.message
    condition = get_condition(s.conditions, "WorkspaceRestored")
    assert condition is not None and (condition.status, condition.reason) == (
        "False",
        "NoCheckpoints",
    )


def test_a_volume_lost_again_and_again_ends_as_an_infrastructure_failure() -> None:
    spec = make_spec(turns=2, maxInfraRetries=2)
    decisions = play(spec, Started(), OK, PASS, LOST, LOST, LOST)
    assert decisions[-2].step == AgentStep(2, 1, retry=2, restores=2, restore_turn=1)
    assert decisions[-1].step == Done(ScenarioPhase.FAILED)
    assert "the workspace volume was lost in turn 2" in decisions[-1].status.message


def play_from(spec: ScenarioRunSpec, status: ScenarioRunStatus, *events: Event) -> list[Decision]:
    decisions = []
    for i, event in enumerate(events):
        decision = decide(spec, status, event, NOW + timedelta(seconds=100 + i))
        decisions.append(decision)
        status = decision.status
    return decisions


def checkpointed(summary: TestSummary, digest: str) -> TestFinished:
    return TestFinished(summary.model_copy(update={"checkpoint": digest}))


def test_a_scored_turn_names_the_checkpoint_its_last_test_step_wrote() -> None:
    """The test runner names the workspace checkpoint it wrote; once the turn is scored
    its digest is `status.checkpoint` (an attempt that did not end the turn names none)."""
    first, retried, second = "a" * 64, "b" * 64, "c" * 64
    spec = make_spec(turns=2, attemptLimit=2)
    decisions = play(
        spec,
        Started(),
        OK,
        checkpointed(HALF.summary, first),
        OK,
        checkpointed(PASS.summary, retried),
        OK,
        checkpointed(HALF.summary, second),
    )
    assert decisions[2].status.checkpoint is None  # turn 1 attempt 1: not scored yet
    after_turn_1 = decisions[4].status.checkpoint
    assert after_turn_1 is not None and (after_turn_1.turn, after_turn_1.sha256) == (1, retried)
    assert decisions[6].status.checkpoint == after_turn_1  # turn 2 attempt 1: not yet
    unnamed = play(make_spec(turns=1), Started(), OK, PASS)[-1].status
    assert unnamed.checkpoint is None  # a summary without one names none
