"""The scenario state machine: given what just happened, what runs next.

`decide(spec, status, event, now)` is the only place that moves a ScenarioRun between
turns, attempts and steps. It is pure: it returns the next `Step` and a new status and
never mutates its inputs, so the operator and the local runner (and the tests) share it.

Rules (DESIGN.md, "Contracts"):
* every attempt is an agent step then a test step; an agent that crashed or ran out
  of time is still tested (its server may work) and spends the attempt;
* a turn passes when every test passes; it ends when it passes or when
  `attemptLimit` attempts are spent, scored passed/total on its last attempt;
* after a failed turn the next turn starts, unless `stopOnFailure` ends the scenario;
* infrastructure failures re-run the same step without spending an attempt, at most
  `maxInfraRetries` times in a row; then the scenario is Failed;
* a lost workspace volume (`WorkspaceLost`) starts the turn in flight again from
  attempt 1 on a fresh volume, its first agent step restoring the checkpoint of the last
  finished turn: an infrastructure retry (no attempt spent; the lost attempts' work is
  gone, so is their count). Past turn 1 this needs checkpoints that outlived the volume;
  without them the scenario is Failed, saying why and how to make it resumable;
* a scored turn's `status.checkpoint` is the workspace checkpoint its last test step
  wrote (the test runner names its digest in the summary, in both runtimes);
* Canceled and TimedOut end the scenario at once; unreached turns score 0; any event
  that arrives after `timeouts.scenarioSeconds` is TimedOut;
* events that do not match the step in flight (duplicates, stale deliveries) and any
  event on an ended scenario change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from enduro.api.conditions import (
    Condition,
    ConditionStatus,
    set_condition,
    set_ready_and_succeeded,
)
from enduro.api.scenariorun import (
    AttemptSeconds,
    CheckpointRef,
    ScenarioPhase,
    ScenarioRunSpec,
    ScenarioRunStatus,
    StepKind,
    Usage,
)
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
from enduro.engine.plan import AgentStep, Done, Step, TestStep
from enduro.engine.results import AgentOutcome, FailureClass, TestSummary
from enduro.engine.scoring import (
    scenario_score,
    shorten,
    stamina,
    turn_summary,
    turns_passed,
)

__all__ = [
    "AgentStep",
    "Decision",
    "Done",
    "Step",
    "TestStep",
    "current_step",
    "deadline",
    "decide",
    "ended_status",
    "scenario_timed_out",
    "step_testing",
    "step_timed_out",
    "with_scores",
]

MESSAGE_MAX = 256
WORKSPACE_RESTORED = "WorkspaceRestored"  # the condition a lost volume sets
# What a new turn starts from: nothing spent, nothing failed yet.
_NEW_TURN: dict[str, object] = {
    "turn_usage": Usage(),
    "turn_agent_failures": 0,
    "turn_infra_retries": 0,
}


@dataclass(frozen=True)
class Decision:
    step: Step
    status: ScenarioRunStatus


def current_step(status: ScenarioRunStatus) -> Step:
    """The step the status says is in flight: what a restarted operator must adopt."""
    if status.phase.terminal:
        return Done(status.phase)
    restores = status.workspace_restores
    if status.step is StepKind.AGENT:
        return AgentStep(
            status.turn, status.attempt, status.infra_retries, restores, status.restore_turn
        )
    if status.step is StepKind.TEST:
        return TestStep(status.turn, status.attempt, status.infra_retries, restores)
    return Done(status.phase)  # Pending: nothing runs until Started


def step_testing(step: AgentStep) -> TestStep:
    """The step after `step` once its agent ended (not an infrastructure failure): the
    same attempt's test step, its infrastructure retries counted afresh."""
    return TestStep(step.turn, step.attempt, 0, step.restores)


def decide(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    event: Event,
    now: datetime,
    generation: int | None = None,
) -> Decision:
    """The next step and the new status after `event`. Inputs are never mutated."""
    if status.phase.terminal:
        return Decision(Done(status.phase), status)
    expired = scenario_timed_out(spec, status, now)
    if expired is not None and not isinstance(event, Canceled):
        event = expired
    if spec.cancel and not isinstance(event, TimedOut):
        event = Canceled("canceled by spec.cancel")
    if _about_another_step(event, status):
        return Decision(current_step(status), status)
    match event:
        case Started(artifacts_ref):
            if status.phase is ScenarioPhase.PENDING:
                return _start(spec, status, artifacts_ref, now, generation)
        case AgentFinished(outcome) if status.step is StepKind.AGENT:
            return _agent_finished(spec, status, outcome, now, generation)
        case TestFinished(summary) if status.step is StepKind.TEST:
            return _test_finished(spec, status, summary, now, generation)
        case StepFailedInfra(reason) if status.step in (StepKind.AGENT, StepKind.TEST):
            return _infra_failure(spec, status, reason, now, generation)
        case WorkspaceLost(reason, checkpoints) if status.step in (StepKind.AGENT, StepKind.TEST):
            return _workspace_lost(
                spec, status, reason, now, checkpoints=checkpoints, generation=generation
            )
        case Canceled(reason):
            return _end(
                spec, status, ScenarioPhase.CANCELED, reason, now=now, generation=generation
            )
        case TimedOut(reason):
            return _end(
                spec, status, ScenarioPhase.TIMED_OUT, reason, now=now, generation=generation
            )
    return Decision(current_step(status), status)  # stale or duplicate event


def _about_another_step(event: Event, status: ScenarioRunStatus) -> bool:
    """A report that names a step which is not the one in flight (late or repeated)."""
    if isinstance(event, AgentFinished | TestFinished | StepFailedInfra):
        return event.step is not None and event.step != current_step(status)
    return False


def started(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    artifacts_ref: str | None,
    now: datetime,
    step: StepKind,
) -> ScenarioRunStatus:
    """The status of a scenario that starts its first turn with `step` (before conditions);
    the same start whether Enduro's agent or the user's own plays it."""
    return status.model_copy(
        update={
            "artifacts_ref": artifacts_ref,
            "phase": ScenarioPhase.RUNNING,
            "turn": 1,
            "attempt": 1,
            "step": step,
            "infra_retries": 0,
            "started_at": now,
            "progress": _progress(0, spec),
            "message": "",
            **_NEW_TURN,
        }
    )


def _start(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    artifacts_ref: str | None,
    now: datetime,
    generation: int | None,
) -> Decision:
    new = started(spec, status, artifacts_ref, now, StepKind.AGENT)
    new = with_conditions(new, now, generation)
    return Decision(current_step(new), new)


def _agent_finished(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    outcome: AgentOutcome,
    now: datetime,
    generation: int | None,
) -> Decision:
    usage = _add_usage(status.usage, outcome)
    turn_usage = _add_usage(status.turn_usage, outcome)
    if outcome.failure is FailureClass.INFRASTRUCTURE:
        charged = status.model_copy(update={"usage": usage, "turn_usage": turn_usage})
        return _infra_failure(spec, charged, outcome.reason or "agent step", now, generation)
    crashed = outcome.failure is FailureClass.AGENT or outcome.exit_code != 0
    reason = outcome.reason or f"exit code {outcome.exit_code}"
    new = status.model_copy(
        update={
            "step": StepKind.TEST,
            "infra_retries": 0,
            "usage": usage,
            "turn_usage": turn_usage,
            "turn_agent_failures": status.turn_agent_failures + (1 if crashed else 0),
            "attempt_agent_seconds": outcome.seconds,
            "agent_reason": shorten(reason) if crashed else None,
            "restore_turn": None,  # the workspace is back (if it was lost): keep it
            "message": "",
        }
    )
    new = with_conditions(new, now, generation)
    return Decision(current_step(new), new)


def _test_finished(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    summary: TestSummary,
    now: datetime,
    generation: int | None,
) -> Decision:
    turn, attempt = status.turn, status.attempt
    if not summary.all_passed and attempt < spec.attempt_limit:
        new = status.model_copy(
            update={
                "attempt": attempt + 1,
                "step": StepKind.AGENT,
                "infra_retries": 0,
                "agent_reason": None,
                "message": "",
            }
        )
        new = with_conditions(new, now, generation)
        return Decision(current_step(new), new)

    record = turn_summary(turn, attempt, summary, status.agent_reason).model_copy(
        update={
            "agent_failures": status.turn_agent_failures or None,
            "infra_retries": status.turn_infra_retries or None,
            "tokens_in": status.turn_usage.tokens_in or None,
            "tokens_out": status.turn_usage.tokens_out or None,
            "cost_usd": status.turn_usage.cost_usd or None,
            "seconds": AttemptSeconds(
                agent=status.attempt_agent_seconds,
                server_start=summary.server_start_seconds,
                suite=summary.suite_seconds,
            ),
        }
    )
    turns = [*status.turns, record]
    finished = status.model_copy(
        update={
            "turns": turns,
            "agent_reason": None,
            "checkpoint": turn_checkpoint(turn, summary) or status.checkpoint,
        }
    )
    n_turns = spec.n_turns
    if turn >= n_turns:
        return _end(spec, finished, ScenarioPhase.SUCCEEDED, "", now=now, generation=generation)
    if not summary.all_passed and spec.stop_on_failure:
        message = f"stopped after turn {turn} failed (stopOnFailure)"
        return _end(
            spec, finished, ScenarioPhase.SUCCEEDED, message, now=now, generation=generation
        )
    new = with_scores(
        finished.model_copy(
            update={
                "turn": turn + 1,
                "attempt": 1,
                "step": StepKind.AGENT,
                "infra_retries": 0,
                "message": "",
                **_NEW_TURN,
            }
        ),
        spec,
        ended=False,
    )
    new = with_conditions(new, now, generation)
    return Decision(current_step(new), new)


def turn_checkpoint(turn: int, summary: TestSummary) -> CheckpointRef | None:
    """`status.checkpoint` once `turn` is scored by `summary`: the workspace checkpoint its
    test step wrote, with its digest (None when the step names none)."""
    return CheckpointRef(turn=turn, sha256=summary.checkpoint) if summary.checkpoint else None


def _infra_failure(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    reason: str,
    now: datetime,
    generation: int | None,
) -> Decision:
    where = f"{status.step.value} step of turn {status.turn} attempt {status.attempt}"
    retries = status.infra_retries + 1
    if retries > spec.max_infra_retries:
        message = (
            f"infrastructure failure in the {where} after {status.infra_retries} retries: {reason}"
        )
        return _end(spec, status, ScenarioPhase.FAILED, message, now=now, generation=generation)
    new = status.model_copy(
        update={
            "infra_retries": retries,
            "turn_infra_retries": status.turn_infra_retries + 1,
            "message": shorten(f"retry {retries} of the {where}: {reason}", MESSAGE_MAX),
        }
    )
    step = current_step(new)
    return Decision(step, with_conditions(new, now, generation))


def _workspace_lost(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    reason: str,
    now: datetime,
    *,
    checkpoints: bool,
    generation: int | None,
) -> Decision:
    """Turn `status.turn` starts again on a fresh volume from the checkpoint of the turn
    before it (turn 1 from an empty workspace), as an infrastructure retry."""
    turn, last = status.turn, status.turn - 1
    lost = f"the workspace volume was lost in turn {turn} ({reason})"
    if last >= 1 and not checkpoints:
        message = (
            f"cannot resume turn {turn}: the workspace volume was lost and the run keeps no "
            "turn checkpoints outside it (set spec.artifacts.s3 on the BenchmarkRun to make "
            f"a lost volume resume from its last checkpoint); {reason}"
        )
        failed = _end(spec, status, ScenarioPhase.FAILED, message, now=now, generation=generation)
        condition = Condition(
            type=WORKSPACE_RESTORED, status="False", reason="NoCheckpoints", message=message
        )
        conditions = set_condition(failed.status.conditions, condition, now)
        return Decision(failed.step, failed.status.model_copy(update={"conditions": conditions}))
    retries = status.infra_retries + 1
    if retries > spec.max_infra_retries:
        message = f"{lost} after {status.infra_retries} infrastructure retries in a row"
        return _end(spec, status, ScenarioPhase.FAILED, message, now=now, generation=generation)
    source = f"the checkpoint of turn {last}" if last >= 1 else "an empty workspace (turn 1)"
    message = f"{lost}; resumed turn {turn} from attempt 1 on a fresh volume with {source}"
    new = status.model_copy(
        update={
            "attempt": 1,
            "step": StepKind.AGENT,
            "infra_retries": retries,
            "turn_infra_retries": status.turn_infra_retries + 1,
            "turn_agent_failures": 0,
            "attempt_agent_seconds": 0.0,
            "agent_reason": None,
            "workspace_restores": status.workspace_restores + 1,
            "restore_turn": last if last >= 1 else None,
            "message": shorten(message, MESSAGE_MAX),
        }
    )
    new = with_conditions(new, now, generation)
    condition = Condition(
        type=WORKSPACE_RESTORED,
        status="True",
        reason="ResumedFromCheckpoint" if last >= 1 else "ResumedFromStart",
        message=message,
        observed_generation=generation,
    )
    new = new.model_copy(update={"conditions": set_condition(new.conditions, condition, now)})
    return Decision(current_step(new), new)


def _end(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    phase: ScenarioPhase,
    message: str,
    *,
    now: datetime,
    generation: int | None,
) -> Decision:
    new = ended_status(spec, status, phase, message, now)
    return Decision(Done(phase), with_conditions(new, now, generation))


def ended_status(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    phase: ScenarioPhase,
    message: str,
    now: datetime,
) -> ScenarioRunStatus:
    """`status` ended in `phase` (terminal), scored over every turn (unreached turns 0):
    how any scenario ends, whoever plays it (this machine or `engine.external`)."""
    return with_scores(
        status.model_copy(
            update={
                "phase": phase,
                "step": StepKind.NONE,
                "completed_at": now,
                "started_at": status.started_at or now,
                "agent_reason": None,
                "message": shorten(message, MESSAGE_MAX),
            }
        ),
        spec,
        ended=True,
    )


def with_scores(
    status: ScenarioRunStatus, spec: ScenarioRunSpec, *, ended: bool
) -> ScenarioRunStatus:
    """`status` with its score, stamina, turns passed and progress recomputed from its turns."""
    turns = status.turns
    return status.model_copy(
        update={
            "score": scenario_score(turns, spec.n_turns, ended),
            "stamina": stamina(turns),
            "turns_passed": turns_passed(turns),
            "progress": _progress(len(turns), spec),
        }
    )


def _progress(finished_turns: int, spec: ScenarioRunSpec) -> str:
    return f"{finished_turns}/{spec.n_turns}"


def _add_usage(usage: Usage, outcome: AgentOutcome) -> Usage:
    return Usage(
        agent_steps=usage.agent_steps + outcome.steps,
        tokens_in=usage.tokens_in + outcome.tokens_in,
        tokens_out=usage.tokens_out + outcome.tokens_out,
        cost_usd=round(usage.cost_usd + outcome.cost_usd, 6),
        agent_seconds=round(usage.agent_seconds + outcome.seconds, 3),
    )


def with_conditions(
    status: ScenarioRunStatus,
    now: datetime,
    generation: int | None,
    success: ScenarioPhase = ScenarioPhase.SUCCEEDED,
) -> ScenarioRunStatus:
    """`Ready` is False once the scenario ended badly; `Succeeded` is Unknown until it ends,
    then True only if it ended in `success` (Completed for an external agent's run)."""
    phase = status.phase
    bad = phase in (ScenarioPhase.FAILED, ScenarioPhase.TIMED_OUT, ScenarioPhase.CANCELED)
    succeeded: ConditionStatus = "Unknown"
    if phase.terminal:
        succeeded = "True" if phase is success else "False"
    conditions = set_ready_and_succeeded(
        status.conditions,
        ready="False" if bad else "True",
        succeeded=succeeded,
        reason=phase.value,
        message=status.message,
        now=now,
        generation=generation,
    )
    update: dict[str, object] = {"conditions": conditions}
    if generation is not None:
        update["observed_generation"] = generation
    return status.model_copy(update=update)


def deadline(spec: ScenarioRunSpec, status: ScenarioRunStatus) -> datetime | None:
    """When the scenario must end TimedOut (`timeouts.scenarioSeconds` after its start);
    the runtime sends `TimedOut` once it passes."""
    seconds = spec.timeouts.scenario_seconds
    if seconds is None or status.started_at is None:
        return None
    return status.started_at + timedelta(seconds=seconds)


def scenario_timed_out(
    spec: ScenarioRunSpec, status: ScenarioRunStatus, now: datetime
) -> TimedOut | None:
    """`TimedOut` once a running scenario passed its deadline (`timeouts.scenarioSeconds`
    after its start), else None. `decide` applies it to whatever event comes later; a
    runtime with nothing else to report sends it itself (and stops the step in flight)."""
    limit = deadline(spec, status)
    if limit is None or status.phase.terminal or now < limit:
        return None
    return TimedOut(f"timed out: timeouts.scenarioSeconds ({spec.timeouts.scenario_seconds}s)")


def step_timed_out(step: AgentStep | TestStep, seconds: int) -> Event:
    """The event for a step the runtime killed after `seconds`: an agent out of time is the
    agent's failure (the attempt is spent and its server still tested); a test step that
    hangs although the runner bounds every request is the infrastructure's."""
    reason = f"timed out after {seconds}s"
    if isinstance(step, AgentStep):
        outcome = AgentOutcome(exit_code=-1, failure=FailureClass.AGENT, reason=reason)
        return AgentFinished(outcome, step=step)
    return StepFailedInfra(f"test step {reason}", step=step)
