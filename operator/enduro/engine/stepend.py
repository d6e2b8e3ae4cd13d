"""How a finished step becomes an engine event: the one translator both runtimes call.

A runtime observes how a step's main container ended (a local process's exit, a pod's
status) and fills a `StepEnd`; `step_finished` decides what that means for the engine.
Pure, so the local runtime and the operator cannot disagree about who is to blame:

* a step the runtime killed at its hard limit -> `step_timed_out` (the agent's failure
  for an agent step, the infrastructure's for a test step);
* an agent killed for memory -> the agent's failure, scored;
* the agent's outcome is the last line of its output (`AgentOutcome` JSON), the test
  runner's summary its summary file or termination message (`TestSummary` JSON);
* anything else that leaves no result (an init container failing, a crash of an
  `enduro` command, a vanished pod, eviction) -> `StepFailedInfra`: the step is re-run
  and no attempt is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from enduro.engine.events import AgentFinished, Event, StepFailedInfra, TestFinished
from enduro.engine.machine import step_timed_out
from enduro.engine.plan import AgentStep, TestStep
from enduro.engine.results import AgentOutcome, FailureClass, TestSummary, summary_problem

EXIT_OOM = 137


@dataclass(frozen=True)
class StepEnd:
    """What a runtime saw when a step ended.

    `infra`: an infrastructure problem that ended the step before its main container
    gave a result (init container failed, evicted, could not start); `timed_out`: the
    runtime killed the step at `StepSpec.timeoutSeconds`; `exit_code`: the main
    container's (None when it left none); `output`: the agent's output (its last line is
    the outcome) or the test runner's summary; `full_result`: the full test result when
    the runtime can read it (locally), against which the summary's digest is checked."""

    exit_code: int | None = None
    output: str = ""
    timed_out: bool = False
    timeout_seconds: int = 0
    oom: bool = False
    infra: str | None = None
    full_result: bytes | None = None


def init_failed(name: str, exit_code: int, output: str) -> str:
    """The infrastructure reason of an init container that exited non-zero; its last
    line of output says why (an explicit scenario's failing setup command names itself
    there). Both runtimes see that line: the local log, or the pod's termination message
    (which falls back to the log's tail)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return f"init container {name} exited {exit_code}" + (f": {lines[-1]}" if lines else "")


def step_finished(step: AgentStep | TestStep, end: StepEnd) -> Event:
    """The engine event for `step`, which ended as `end` says."""
    if end.infra is not None:
        return StepFailedInfra(end.infra, step=step)
    if end.timed_out:
        return step_timed_out(step, end.timeout_seconds)
    if isinstance(step, AgentStep):
        return _agent(step, end)
    return _test(step, end)


def _agent(step: AgentStep, end: StepEnd) -> Event:
    if end.oom:
        outcome = AgentOutcome(
            exit_code=end.exit_code if end.exit_code is not None else EXIT_OOM,
            reason="out of memory",
            failure=FailureClass.AGENT,
        )
        return AgentFinished(outcome, step=step)
    if end.exit_code is None:
        return StepFailedInfra("the agent step ended without a result", step=step)
    lines = end.output.strip().splitlines()
    try:
        outcome = AgentOutcome.model_validate_json(lines[-1] if lines else "")
    except ValidationError:
        return StepFailedInfra(
            f"the agent step exited {end.exit_code} without an outcome as its last line",
            step=step,
        )
    return AgentFinished(outcome, step=step)


def _test(step: TestStep, end: StepEnd) -> Event:
    if end.exit_code is None:
        return StepFailedInfra("the test step ended without a result", step=step)
    if end.exit_code != 0:
        return StepFailedInfra(f"the test runner exited {end.exit_code}", step=step)
    try:
        summary = TestSummary.model_validate_json(end.output)
    except ValidationError:
        return StepFailedInfra("the test runner left no valid summary", step=step)
    if end.full_result is not None:
        problem = summary_problem(summary, end.full_result)
        if problem:
            return StepFailedInfra(problem, step=step)
    return TestFinished(summary, step=step)
