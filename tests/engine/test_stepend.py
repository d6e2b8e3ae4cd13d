"""step_finished: the one translator from how a step ended to an engine event."""

from __future__ import annotations

import hashlib
import json

from enduro.engine.events import AgentFinished, StepFailedInfra, TestFinished
from enduro.engine.machine import step_timed_out
from enduro.engine.plan import AgentStep, TestStep
from enduro.engine.results import FailureClass
from enduro.engine.stepend import StepEnd, step_finished

AGENT, TEST = AgentStep(3, 2, 1), TestStep(3, 2)


def test_a_step_killed_at_its_limit_is_step_timed_out_for_both_roles() -> None:
    end = StepEnd(timed_out=True, timeout_seconds=2100)
    agent = step_finished(AGENT, end)
    assert agent == step_timed_out(AGENT, 2100)
    assert isinstance(agent, AgentFinished) and agent.outcome.failure is FailureClass.AGENT
    assert isinstance(step_finished(TEST, end), StepFailedInfra)


def test_the_agents_outcome_is_its_last_output_line_whatever_the_exit_code() -> None:
    outcome = json.dumps({"exitCode": 3, "failure": "agent", "reason": "crashed"})
    event = step_finished(AGENT, StepEnd(exit_code=0, output=f"noise\n{outcome}\n"))
    assert isinstance(event, AgentFinished) and event.step == AGENT
    assert event.outcome.reason == "crashed"
    silent = step_finished(AGENT, StepEnd(exit_code=1, output="Traceback"))
    assert isinstance(silent, StepFailedInfra) and "without an outcome" in silent.reason


def test_memory_is_the_agents_failure_and_a_missing_result_the_infrastructures() -> None:
    oom = step_finished(AGENT, StepEnd(exit_code=137, oom=True))
    assert isinstance(oom, AgentFinished) and oom.outcome.reason == "out of memory"
    assert isinstance(step_finished(AGENT, StepEnd()), StepFailedInfra)
    assert isinstance(step_finished(TEST, StepEnd()), StepFailedInfra)
    init = step_finished(AGENT, StepEnd(infra="init container prepare-workspace exited 1"))
    assert isinstance(init, StepFailedInfra) and "prepare-workspace" in init.reason


def test_a_summary_is_checked_against_the_full_result_when_there_is_one() -> None:
    full = json.dumps({"passed": 1, "failed": 1, "errors": 0, "total": 2}).encode()
    digest = "sha256:" + hashlib.sha256(full).hexdigest()
    summary = json.dumps({"passed": 1, "failed": 1, "total": 2, "digest": digest})
    assert isinstance(step_finished(TEST, StepEnd(exit_code=0, output=summary)), TestFinished)
    ok = step_finished(TEST, StepEnd(exit_code=0, output=summary, full_result=full))
    assert isinstance(ok, TestFinished) and ok.summary.passed == 1
    forged = summary.replace('"passed": 1, "failed": 1', '"passed": 2, "failed": 0')
    bad = step_finished(TEST, StepEnd(exit_code=0, output=forged, full_result=full))
    assert isinstance(bad, StepFailedInfra) and "counts" in bad.reason
    crashed = step_finished(TEST, StepEnd(exit_code=2))
    assert isinstance(crashed, StepFailedInfra) and "exited 2" in crashed.reason
