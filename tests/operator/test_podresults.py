"""step_event: reading a step's pod into the engine's events (agent vs infrastructure)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from enduro.engine.events import AgentFinished, StepFailedInfra, TestFinished
from enduro.engine.machine import step_timed_out
from enduro.engine.plan import AgentStep, TestStep
from enduro.engine.results import FailureClass
from enduro.operator.podresults import next_check_in, recorded_agent_end, step_event
from enduro.operator.pods import AGENT_OUTCOME_ANNOTATION

NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
AGENT, TEST = AgentStep(2, 1), TestStep(2, 1)
LIMIT = 2100


def pod(
    phase: str, *, main: str = "agent", code: int | None = None, message: str = "", **status: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"name": "p"}, "status": {"phase": phase, **status}}
    if code is not None:
        terminated: dict[str, Any] = {"exitCode": code, "message": message}
        body["status"]["containerStatuses"] = [{"name": main, "state": {"terminated": terminated}}]
    return body


def test_running_pods_have_no_event_yet() -> None:
    assert step_event(AGENT, pod("Running"), NOW, timeout_seconds=LIMIT) is None
    assert step_event(TEST, pod("Pending"), NOW, timeout_seconds=LIMIT) is None


def test_the_agent_outcome_comes_from_its_termination_message() -> None:
    outcome = {"exitCode": 0, "steps": 7, "tokensIn": 10}
    event = step_event(
        AGENT,
        pod("Succeeded", code=0, message="log\n" + json.dumps(outcome)),
        NOW,
        timeout_seconds=LIMIT,
    )
    assert isinstance(event, AgentFinished)
    assert (event.outcome.steps, event.outcome.tokens_in) == (7, 10)


def test_the_test_summary_comes_from_the_runner_termination_message() -> None:
    summary = {"passed": 3, "failed": 1, "total": 4}
    event = step_event(
        TEST,
        pod("Succeeded", main="test-runner", code=0, message=json.dumps(summary)),
        NOW,
        timeout_seconds=LIMIT,
    )
    assert isinstance(event, TestFinished) and event.summary.passed == 3


def test_a_crashed_test_runner_or_missing_summary_is_infrastructure() -> None:
    crashed = step_event(
        TEST, pod("Failed", main="test-runner", code=2), NOW, timeout_seconds=LIMIT
    )
    assert isinstance(crashed, StepFailedInfra) and "exited 2" in crashed.reason
    silent = step_event(
        TEST, pod("Succeeded", main="test-runner", code=0), NOW, timeout_seconds=LIMIT
    )
    assert isinstance(silent, StepFailedInfra) and "summary" in silent.reason


def test_an_agent_without_outcome_is_infrastructure() -> None:
    event = step_event(
        AGENT, pod("Failed", code=1, message="Traceback"), NOW, timeout_seconds=LIMIT
    )
    assert isinstance(event, StepFailedInfra)


def test_the_agent_running_out_of_time_or_memory_is_the_agents_failure() -> None:
    late = step_event(AGENT, pod("Failed", reason="DeadlineExceeded"), NOW, timeout_seconds=LIMIT)
    assert late == step_timed_out(AGENT, LIMIT)  # the engine's one decision, as locally
    assert isinstance(late, AgentFinished) and late.outcome.failure is FailureClass.AGENT
    oom = {"exitCode": 137, "reason": "OOMKilled"}
    body = pod("Failed")
    body["status"]["containerStatuses"] = [{"name": "agent", "state": {"terminated": oom}}]
    event = step_event(AGENT, body, NOW, timeout_seconds=LIMIT)
    assert isinstance(event, AgentFinished) and event.outcome.reason == "out of memory"


def test_a_test_step_past_its_deadline_is_infrastructure() -> None:
    event = step_event(TEST, pod("Failed", reason="DeadlineExceeded"), NOW, timeout_seconds=LIMIT)
    assert event == step_timed_out(TEST, LIMIT)
    assert isinstance(event, StepFailedInfra)


def test_eviction_and_image_pulls_are_infrastructure() -> None:
    evicted = step_event(
        AGENT, pod("Failed", reason="Evicted", message="low memory"), NOW, timeout_seconds=LIMIT
    )
    assert isinstance(evicted, StepFailedInfra) and "evicted" in evicted.reason
    waiting = {"name": "prepare-workspace", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
    pulling = step_event(
        AGENT, pod("Pending", initContainerStatuses=[waiting]), NOW, timeout_seconds=LIMIT
    )
    assert isinstance(pulling, StepFailedInfra) and "ImagePullBackOff" in pulling.reason


def test_a_failing_init_container_is_infrastructure() -> None:
    init = {"name": "prepare-workspace", "state": {"terminated": {"exitCode": 1}}}
    event = step_event(
        AGENT, pod("Failed", initContainerStatuses=[init]), NOW, timeout_seconds=LIMIT
    )
    assert isinstance(event, StepFailedInfra) and "prepare-workspace" in event.reason


def test_a_native_sidecar_stopped_with_the_step_is_not_a_failed_init() -> None:
    """The agent step's suite warmer and the test step's server run beside the main
    container and are stopped when it ends (exit 143 on SIGTERM): the main container's
    outcome is the step's."""
    stopped = {"terminated": {"exitCode": 143}}
    for step, main, sidecar, outcome in (
        (AGENT, "agent", "warm-suite", json.dumps({"exitCode": 0})),
        (TEST, "test-runner", "server", json.dumps({"passed": 1, "total": 1})),
    ):
        body = pod(
            "Succeeded",
            main=main,
            code=0,
            message=outcome,
            initContainerStatuses=[{"name": sidecar, "state": stopped}],
        )
        body["spec"] = {"initContainers": [{"name": sidecar, "restartPolicy": "Always"}]}
        event = step_event(step, body, NOW, timeout_seconds=LIMIT)
        assert isinstance(event, AgentFinished | TestFinished), event
        del body["spec"]["initContainers"][0]["restartPolicy"]  # a plain init container
        failed = step_event(step, body, NOW, timeout_seconds=LIMIT)
        assert isinstance(failed, StepFailedInfra) and sidecar in failed.reason


def test_unschedulable_only_counts_after_the_limit() -> None:
    since = (NOW - datetime.timedelta(seconds=100)).isoformat()
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "0/3 nodes",
        "lastTransitionTime": since,
    }
    body = pod("Pending", conditions=[condition])
    assert step_event(AGENT, body, NOW, timeout_seconds=LIMIT, unschedulable_seconds=300) is None
    assert next_check_in(body, NOW, 300) == 200
    late = step_event(AGENT, body, NOW, timeout_seconds=LIMIT, unschedulable_seconds=60)
    assert isinstance(late, StepFailedInfra) and "0/3 nodes" in late.reason


def test_a_vanished_pod_is_infrastructure() -> None:
    assert isinstance(step_event(AGENT, None, NOW, timeout_seconds=LIMIT), StepFailedInfra)


def test_the_agent_end_a_test_pod_records_is_read_back_for_its_agent_step() -> None:
    outcome = {"exitCode": 0, "steps": 4, "tokensIn": 9}
    test_pod = pod("Running")
    test_pod["metadata"]["annotations"] = {AGENT_OUTCOME_ANNOTATION: json.dumps(outcome)}
    event = recorded_agent_end(AGENT, test_pod)
    assert isinstance(event, AgentFinished) and event.step == AGENT
    assert (event.outcome.steps, event.outcome.tokens_in) == (4, 9)


def test_a_test_pod_without_a_readable_record_says_nothing_of_the_agent() -> None:
    """No test pod, one made before the record existed, or a garbled record: the agent
    step's own pod decides (None here), never a guess."""
    assert recorded_agent_end(AGENT, None) is None
    assert recorded_agent_end(AGENT, pod("Running")) is None
    garbled = pod("Running")
    garbled["metadata"]["annotations"] = {AGENT_OUTCOME_ANNOTATION: "{not json"}
    assert recorded_agent_end(AGENT, garbled) is None
