"""What can happen to a running scenario: the inputs of `enduro.engine.machine.decide`."""

from __future__ import annotations

from dataclasses import dataclass

from enduro.engine.plan import AgentStep, TestStep
from enduro.engine.results import AgentOutcome, TestSummary


@dataclass(frozen=True)
class Started:
    """The scenario should run (first reconcile, or a restarted operator resuming).
    ``artifacts_ref`` says where the runtime keeps this scenario's full results."""

    artifacts_ref: str | None = None


@dataclass(frozen=True)
class AgentFinished:
    """The agent step ended. A step over its time limit is `failure=agent`.

    `step`: the step this reports on; when given, a report about any other step (a late
    or repeated one) is ignored. Runtimes that derive events from pods should set it.
    """

    outcome: AgentOutcome
    step: AgentStep | None = None


@dataclass(frozen=True)
class TestFinished:
    """The test step produced a score."""

    __test__ = False  # not a pytest test class despite its name

    summary: TestSummary
    step: TestStep | None = None  # as for AgentFinished


@dataclass(frozen=True)
class StepFailedInfra:
    """The step could not run for reasons outside the agent (eviction, image pull, node loss,
    a test runner crash)."""

    reason: str
    step: AgentStep | TestStep | None = None  # as for AgentFinished


@dataclass(frozen=True)
class WorkspaceLost:
    """The scenario's workspace volume is gone (its PVC deleted, its node lost) while a
    step was in flight. `checkpoints`: the runtime keeps the turn checkpoints somewhere the
    loss did not reach (an S3 artifact store on a cluster, the run folder locally), so a
    fresh volume can get the last finished turn's workspace back."""

    reason: str
    checkpoints: bool


@dataclass(frozen=True)
class Canceled:
    """The user canceled the scenario or its run."""

    reason: str = "canceled"


@dataclass(frozen=True)
class TimedOut:
    """The scenario as a whole ran out of time."""

    reason: str = "timed out"


@dataclass(frozen=True)
class EnvironmentReady:
    """External agents: the environment of `turn` runs (its workspace shows the turn)."""

    turn: int


@dataclass(frozen=True)
class EnvironmentLost:
    """External agents: the environment ended on its own (eviction, node loss, a crash)."""

    reason: str


@dataclass(frozen=True)
class ScoreRequested:
    """External agents: the user asked to score the current turn (`spec.score` set in
    metadata.generation `generation`; one generation's request is served once)."""

    generation: int


@dataclass(frozen=True)
class CompleteRequested:
    """External agents: the user asked to end the run and free the environment."""

    reason: str = "completed by spec.complete"


Event = (
    Started
    | AgentFinished
    | TestFinished
    | StepFailedInfra
    | WorkspaceLost
    | Canceled
    | TimedOut
    | EnvironmentReady
    | EnvironmentLost
    | ScoreRequested
    | CompleteRequested
)
