"""Bring-your-own-agent runs (`externalAgent: {external: true}`): Runloop's flow on the
engine's turns. The operator and the local runtime both call `decide_external`; it is
pure, like `machine.decide`, and never mutates its inputs.

Phases: Pending -> Running (the environment of the turn is up; the user's agent works)
-> Scoring (a score request runs the turn's scoring step, the environment stays up) ->
Running again on the next turn, or Scored after the last -> Completed once `complete`
is asked (the environment is freed). Canceled, TimedOut and Failed end it early.

Rules:
* one score request per turn: a turn is scored once, on its first and only attempt
  (the agent is the user's, so Enduro spends no attempts and writes no feedback);
* a request is served once per `metadata.generation`: `spec.score` left true after
  turn 1 does not score turn 2 until it is set again (false, then true);
* a score request waits for the environment (its workspace shows the turn);
  `complete` waits for a scoring step in flight, so `score` + `complete` at once
  scores first;
* `complete` before every turn is scored ends Completed, unscored turns scoring 0;
* keep-alive: `timeouts.keepAliveSeconds` after the last activity (environment ready,
  turn scored) an idle run ends: TimedOut while Running, Completed once Scored (the
  score stands); `timeouts.scenarioSeconds` ends it TimedOut as for any run;
* a scoring step's infrastructure failure re-runs it (`maxInfraRetries`); a lost
  environment fails the run (the user's processes in it are gone; the workspace stays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from enduro.api.conditions import (
    Condition,
    ConditionStatus,
    get_condition,
    set_condition,
)
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus, StepKind
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
    TimedOut,
)
from enduro.engine.machine import (
    MESSAGE_MAX,
    ended_status,
    scenario_timed_out,
    started,
    with_conditions,
    with_scores,
)
from enduro.engine.plan import TestStep
from enduro.engine.results import TestSummary
from enduro.engine.scoring import shorten, turn_summary

ENVIRONMENT_READY = "EnvironmentReady"
_WAITING = (ScenarioPhase.RUNNING, ScenarioPhase.SCORED)  # the user's move


@dataclass(frozen=True)
class Environment:
    """The environment of `turn`: a new one per turn, so its preparation shows the turn's
    problem statement (TASK.md) before the agent's next move."""

    turn: int


def environment(status: ScenarioRunStatus) -> Environment | None:
    """The environment that must be up now (None once the run ended or before it starts)."""
    if status.phase is ScenarioPhase.PENDING or status.phase.terminal:
        return None
    return Environment(status.turn)


def scoring_step(status: ScenarioRunStatus) -> TestStep | None:
    """The scoring step in flight, if any."""
    if status.phase is ScenarioPhase.SCORING:
        return TestStep(status.turn, 1, status.infra_retries)
    return None


def environment_ready(status: ScenarioRunStatus) -> bool:
    condition = get_condition(status.conditions, ENVIRONMENT_READY)
    return condition is not None and condition.status == "True"


def request(
    spec: ScenarioRunSpec, status: ScenarioRunStatus, generation: int
) -> ScoreRequested | CompleteRequested | None:
    """What the user's spec asks for that is not served yet: a score before a completion
    (`score_and_complete` sets both at once)."""
    served = status.score_generation == generation
    if spec.score and not served and status.phase is ScenarioPhase.RUNNING:
        return ScoreRequested(generation)
    if spec.complete and status.phase in _WAITING:
        return CompleteRequested()
    return None


def idle_deadline(spec: ScenarioRunSpec, status: ScenarioRunStatus) -> datetime | None:
    """When an idle run ends (keep-alive), while it waits for the user."""
    if status.phase not in _WAITING or status.active_at is None:
        return None
    return status.active_at + timedelta(seconds=spec.timeouts.keep_alive_seconds)


def expired(spec: ScenarioRunSpec, status: ScenarioRunStatus, now: datetime) -> Event | None:
    """TimedOut past `scenarioSeconds`; past the keep-alive, TimedOut while Running and a
    completion once Scored. None while in time."""
    timed_out = scenario_timed_out(spec, status, now)
    if timed_out is not None:
        return timed_out
    idle = idle_deadline(spec, status)
    if idle is None or now < idle:
        return None
    reason = f"idle for timeouts.keepAliveSeconds ({spec.timeouts.keep_alive_seconds}s)"
    if status.phase is ScenarioPhase.SCORED:
        return CompleteRequested(f"completed: {reason}")
    return TimedOut(f"timed out: {reason}")


def decide_external(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    event: Event,
    now: datetime,
    generation: int | None = None,
) -> ScenarioRunStatus:
    """The new status of an external-agent run after `event` (the same object when the
    event changes nothing: stale, duplicate, or not the user's turn yet)."""
    if status.phase.terminal:
        return status
    late = expired(spec, status, now)
    if late is not None and not isinstance(event, Canceled):
        event = late
    if spec.cancel and not isinstance(event, TimedOut):
        event = Canceled("canceled by spec.cancel")
    phase = status.phase
    match event:
        case Started(artifacts_ref) if phase is ScenarioPhase.PENDING:
            return _start(spec, status, artifacts_ref, now, generation)
        case EnvironmentReady(turn) if turn == status.turn and not environment_ready(status):
            new = status.model_copy(update={"active_at": now, "message": ""})
            return _conditions(new, now, generation, environment=True)
        case ScoreRequested(requested) if phase is ScenarioPhase.RUNNING:
            if not environment_ready(status) or requested == status.score_generation:
                return status
            new = status.model_copy(
                update={
                    "phase": ScenarioPhase.SCORING,
                    "step": StepKind.TEST,
                    "attempt": 1,
                    "infra_retries": 0,
                    "score_generation": requested,
                    "message": "",
                }
            )
            return _conditions(new, now, generation)
        case TestFinished(summary, step) if phase is ScenarioPhase.SCORING:
            if step is not None and step != scoring_step(status):
                return status
            return _scored(spec, status, summary, now, generation)
        case StepFailedInfra(reason, step) if phase is ScenarioPhase.SCORING:
            if step is not None and step != scoring_step(status):
                return status
            return _scoring_failed(spec, status, reason, now, generation)
        case EnvironmentLost(reason):
            message = f"the environment of turn {status.turn} was lost: {reason}"
            return _end(spec, status, ScenarioPhase.FAILED, message, now=now, generation=generation)
        case CompleteRequested(reason) if phase in _WAITING:
            unscored = phase is ScenarioPhase.RUNNING
            message = f"{reason} before turn {status.turn} was scored" if unscored else reason
            return _end(
                spec, status, ScenarioPhase.COMPLETED, message, now=now, generation=generation
            )
        case Canceled(reason):
            return _end(
                spec, status, ScenarioPhase.CANCELED, reason, now=now, generation=generation
            )
        case TimedOut(reason):
            return _end(
                spec, status, ScenarioPhase.TIMED_OUT, reason, now=now, generation=generation
            )
    return status


def _start(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    artifacts_ref: str | None,
    now: datetime,
    generation: int | None,
) -> ScenarioRunStatus:
    new = started(spec, status, artifacts_ref, now, StepKind.NONE)
    return _conditions(
        new.model_copy(update={"active_at": now}), now, generation, environment=False
    )


def _scored(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    summary: TestSummary,
    now: datetime,
    generation: int | None,
) -> ScenarioRunStatus:
    record = turn_summary(status.turn, 1, summary, None)
    if status.turn_infra_retries:
        record = record.model_copy(update={"infra_retries": status.turn_infra_retries})
    turns = [*status.turns, record]
    last = status.turn >= spec.n_turns
    new = with_scores(
        status.model_copy(
            update={
                "turns": turns,
                "function_scores": summary.function_scores or None,
                "phase": ScenarioPhase.SCORED if last else ScenarioPhase.RUNNING,
                "turn": status.turn if last else status.turn + 1,
                "step": StepKind.NONE,
                "infra_retries": 0,
                "turn_infra_retries": 0,
                "active_at": now,
                "message": "",
            }
        ),
        spec,
        ended=last,
    )
    # The next turn's environment is a new one: not ready until it runs.
    return _conditions(new, now, generation, environment=last)


def _scoring_failed(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    reason: str,
    now: datetime,
    generation: int | None,
) -> ScenarioRunStatus:
    retries = status.infra_retries + 1
    where = f"scoring step of turn {status.turn}"
    if retries > spec.max_infra_retries:
        message = f"infrastructure failure in the {where} after {status.infra_retries} retries"
        return _end(
            spec,
            status,
            ScenarioPhase.FAILED,
            f"{message}: {reason}",
            now=now,
            generation=generation,
        )
    new = status.model_copy(
        update={
            "infra_retries": retries,
            "turn_infra_retries": status.turn_infra_retries + 1,
            "message": shorten(f"retry {retries} of the {where}: {reason}", MESSAGE_MAX),
        }
    )
    return _conditions(new, now, generation)


def _end(
    spec: ScenarioRunSpec,
    status: ScenarioRunStatus,
    phase: ScenarioPhase,
    message: str,
    *,
    now: datetime,
    generation: int | None,
) -> ScenarioRunStatus:
    new = ended_status(spec, status, phase, message, now)
    return _conditions(new, now, generation, environment=False)


def _conditions(
    status: ScenarioRunStatus,
    now: datetime,
    generation: int | None,
    *,
    environment: bool | None = None,
) -> ScenarioRunStatus:
    """`Ready`, `Succeeded` (True once Completed) and `EnvironmentReady` (None: unchanged),
    so `kubectl wait --for=condition=EnvironmentReady` works as the client's wait does."""
    status = with_conditions(status, now, generation, success=ScenarioPhase.COMPLETED)
    if environment is None:
        return status
    ready: ConditionStatus = "True" if environment else "False"
    reason = "Running" if environment else ("Starting" if not status.phase.terminal else "Freed")
    condition = Condition(
        type=ENVIRONMENT_READY,
        status=ready,
        reason=reason,
        message=f"turn {status.turn}",
        observed_generation=generation,
    )
    return status.model_copy(
        update={"conditions": set_condition(status.conditions, condition, now)}
    )
