"""`ScenarioRun`: one scenario of a run, played turn by turn on one persistent workspace.

The status stays small whatever the length of the scenario: one compact `TurnSummary`
per finished turn and nothing per attempt (full results live in the artifact store,
see `artifactsRef`). 100 turns x 10 attempts serialise to a few KiB.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from enduro.api.agent import AgentSpec, ExternalAgent
from enduro.api.base import StatusModel, cel_rules
from enduro.api.conditions import ConditionList
from enduro.api.generator import GeneratorSpec
from enduro.api.scenario import ExplicitScenario
from enduro.api.settings import RunSettings
from enduro.api.storage import SourceSpec

REASON_MAX = 64  # characters of a turn's reason kept in the status (size budget)


class ScenarioRunSpec(RunSettings):
    """One scenario of a benchmark, with everything needed to play it: a generated one
    (`generator` + `scenario` index) or an explicit one (`definition`).

    The generator, definition and agent are snapshots taken when the run started, so
    editing the Benchmark, Scenario or Agent later never changes a run in flight.
    """

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "has(self.generator) != has(self.definition)",
                "set exactly one of generator (a generated scenario) and definition (an "
                "explicit one)",
            ),
            (
                "!has(self.generator) || self.scenario < self.generator.scenarios",
                "scenario is out of range: indices go from 0 to generator.scenarios - 1",
            ),
            (
                "has(self.agent) != has(self.externalAgent)",
                "set exactly one of agent (an Agent's spec) and externalAgent ({external: true})",
            ),
            (
                "!has(self.externalAgent) || has(self.definition)",
                "an external agent plays explicit scenarios only (set definition, not generator)",
            ),
            (
                "has(self.externalAgent) || ((!has(self.score) || !self.score) "
                "&& (!has(self.complete) || !self.complete))",
                "score and complete are requests to an external agent's run (use cancel to stop "
                "this one)",
            ),
        )
    )

    benchmark_run: str | None = Field(
        default=None,
        max_length=253,
        description="Name of the owning BenchmarkRun; unset for a ScenarioRun created alone.",
    )
    generator: GeneratorSpec | None = Field(
        default=None, description="Snapshot of the Benchmark's generator."
    )
    definition: ExplicitScenario | None = Field(
        default=None, description="Snapshot of the explicit Scenario (and its custom Scorers)."
    )
    source: SourceSpec | None = Field(
        default=None,
        description="Snapshot of the Benchmark's stored set (S3 or a ConfigMap): the steps load "
        "the generator's turns from it (digests checked) instead of regenerating them.",
    )
    scenario: int = Field(
        default=0,
        ge=0,
        description="Scenario index in its benchmark (0-based; below generator.scenarios).",
    )
    agent: AgentSpec | None = Field(
        default=None, description="Snapshot of the Agent's spec (unset with externalAgent)."
    )
    external_agent: ExternalAgent | None = Field(
        default=None,
        description="`{external: true}`: bring your own agent. The operator starts the "
        "scenario's environment and scores it when `score` is set.",
    )
    score: bool = Field(
        default=False,
        description="External agents: set to true to score the current turn. For a later "
        "turn set it again in a new generation (false, then true).",
    )
    complete: bool = Field(
        default=False,
        description="External agents: set to true to end the run and free its environment.",
    )

    @model_validator(mode="after")
    def _scenario_in_range(self) -> ScenarioRunSpec:
        if (self.generator is None) == (self.definition is None):
            raise ValueError(
                "set exactly one of generator (a generated scenario) and definition (an "
                "explicit one)"
            )
        if self.generator is not None and self.scenario >= self.generator.scenarios:
            raise ValueError(
                f"scenario {self.scenario} is out of range: the generator has "
                f"{self.generator.scenarios} scenarios (indices 0..{self.generator.scenarios - 1})"
            )
        if (self.agent is None) == (self.external_agent is None):
            raise ValueError(
                "set exactly one of agent (an Agent's spec) and externalAgent ({external: true})"
            )
        if self.external_agent is None and (self.score or self.complete):
            raise ValueError(
                "score and complete are requests to an external agent's run (use cancel to "
                "stop this one)"
            )
        if self.external_agent is not None and self.definition is None:
            raise ValueError(
                "an external agent plays explicit scenarios only: generated benchmarks need "
                "Enduro's agent step between turns (set definition, not generator)"
            )
        return self

    @property
    def external(self) -> bool:
        """Bring-your-own-agent: no agent step; an environment waits for score requests."""
        return self.external_agent is not None

    def require_agent(self) -> AgentSpec:
        """The Agent's spec, for the agent step (which external runs never have)."""
        if self.agent is None:
            raise ValueError("this ScenarioRun has an external agent: it runs no agent step")
        return self.agent

    @property
    def n_turns(self) -> int:
        """Turns of the scenario: the generator's, or the explicit scenario's."""
        if self.definition is not None:
            return len(self.definition.spec.turn_list())
        assert self.generator is not None
        return self.generator.turns


class ScenarioPhase(StrEnum):
    """Where a scenario is. Generated and agent-driven runs go Pending, Running, then one
    of Succeeded, Failed, TimedOut, Canceled. External-agent runs follow Runloop:
    Running (the environment waits for the agent), Scoring, Scored (every turn scored,
    the environment still up), Completed; or Failed, TimedOut, Canceled."""

    PENDING = "Pending"
    RUNNING = "Running"
    SCORING = "Scoring"  # external agents: the scoring step of a turn runs
    SCORED = "Scored"  # external agents: every turn scored; waiting for complete
    SUCCEEDED = "Succeeded"  # evaluated to the end, whatever the score
    COMPLETED = "Completed"  # external agents: scored and completed, environment freed
    FAILED = "Failed"  # ended early: infrastructure retries exhausted
    TIMED_OUT = "TimedOut"
    CANCELED = "Canceled"

    @property
    def terminal(self) -> bool:
        return self not in (
            ScenarioPhase.PENDING,
            ScenarioPhase.RUNNING,
            ScenarioPhase.SCORING,
            ScenarioPhase.SCORED,
        )

    @property
    def evaluated(self) -> bool:
        """Ended with every turn scored: what a run counts as succeeded."""
        return self in (ScenarioPhase.SUCCEEDED, ScenarioPhase.COMPLETED)


class StepKind(StrEnum):
    AGENT = "agent"
    TEST = "test"
    NONE = "none"


class AttemptSeconds(StatusModel):
    """Wall-clock seconds of one attempt, by part (0 when not reported)."""

    agent: float = Field(default=0.0, ge=0, description="The agent step's harness.")
    server_start: float = Field(default=0.0, ge=0, description="Until /health answered.")
    suite: float = Field(default=0.0, ge=0, description="Running the suite.")


class TurnSummary(StatusModel):
    """Result of one finished turn: its last attempt decides."""

    turn: int = Field(ge=1, description="Turn number (1-based).")
    attempts: int = Field(ge=1, description="Attempts used.")
    passed: int = Field(
        ge=0, description="Tests (scoring functions: fully satisfied) passed on the last attempt."
    )
    total: int = Field(ge=0, description="Tests in the turn's suite (or its contract's functions).")
    score: float = Field(
        ge=0,
        le=1,
        description="passed/total on the last attempt (explicit scenarios: the contract's "
        "weighted score).",
    )
    passed_turn: bool = Field(
        description="Every test passed (explicit scenarios: the score reached passScore)."
    )
    reason: str | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="Why the last attempt fell short (truncated); unset when it passed.",
    )
    # Failure classes and usage of the turn; unset when zero (the status's size budget).
    agent_failures: int | None = Field(
        default=None, ge=1, description="Attempts whose agent crashed, ran out of time or memory."
    )
    infra_retries: int | None = Field(
        default=None, ge=1, description="Steps of the turn re-run after infrastructure failures."
    )
    tokens_in: int | None = Field(
        default=None, ge=1, description="Input tokens over the turn's attempts."
    )
    tokens_out: int | None = Field(
        default=None, ge=1, description="Output tokens over the turn's attempts."
    )
    cost_usd: float | None = Field(
        default=None, ge=0, description="Model spend over the turn's attempts, USD."
    )
    seconds: AttemptSeconds | None = Field(
        default=None, description="Where the last attempt's time went."
    )


class Usage(StatusModel):
    """What the agent consumed over all attempts so far."""

    agent_steps: int = Field(default=0, ge=0, description="Agent steps (LLM calls).")
    tokens_in: int = Field(default=0, ge=0, description="Input tokens.")
    tokens_out: int = Field(default=0, ge=0, description="Output tokens.")
    cost_usd: float = Field(default=0.0, ge=0, description="Model spend, US dollars.")
    agent_seconds: float = Field(default=0.0, ge=0, description="Agent wall-clock seconds.")


class CheckpointRef(StatusModel):
    """The workspace saved after a scored turn (`checkpoints/turn_<ttt>.tar.gz`)."""

    turn: int = Field(ge=1, description="The turn it ends.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the tarball.")


class ScenarioRunStatus(StatusModel):
    """Where the scenario is and how it scored so far."""

    phase: ScenarioPhase = Field(default=ScenarioPhase.PENDING, description="Where it is.")
    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: ConditionList = Field(
        default_factory=list, description="Standard conditions (`Ready`, `Succeeded`)."
    )
    turn: int = Field(default=0, ge=0, description="Current turn (1-based; 0 before the start).")
    attempt: int = Field(default=0, ge=0, description="Current attempt of the turn (1-based).")
    step: StepKind = Field(default=StepKind.NONE, description="Step running now.")
    infra_retries: int = Field(
        default=0, ge=0, description="Infrastructure re-runs of the current step."
    )
    progress: str = Field(
        default="", max_length=64, description="`<turns finished>/<turns>`, for kubectl."
    )
    turns: list[TurnSummary] = Field(
        default_factory=list, description="One summary per finished turn."
    )
    score: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Mean turn score: over finished turns while running, over all turns once "
        "ended (unreached turns count 0).",
    )
    stamina: int = Field(default=0, ge=0, description="Consecutive turns passed from turn 1.")
    turns_passed: int = Field(default=0, ge=0, description="Turns with every test passed.")
    usage: Usage = Field(default_factory=Usage, description="Agent consumption so far.")
    turn_usage: Usage = Field(
        default_factory=Usage, description="Agent consumption in the current turn."
    )
    turn_agent_failures: int = Field(
        default=0, ge=0, description="Agent failures in the current turn so far."
    )
    turn_infra_retries: int = Field(
        default=0, ge=0, description="Infrastructure re-runs in the current turn so far."
    )
    attempt_agent_seconds: float = Field(
        default=0.0, ge=0, description="The current attempt's agent step, seconds."
    )
    agent_reason: str | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="Why the current attempt's agent step did not finish cleanly.",
    )
    message: str = Field(default="", max_length=1024, description="Details for humans.")
    started_at: datetime | None = Field(default=None, description="When the first step started.")
    completed_at: datetime | None = Field(default=None, description="When the scenario ended.")
    artifacts_ref: str | None = Field(
        default=None,
        max_length=2048,
        description="Where full results, logs and trajectories are (pvc://<claim>/artifacts).",
    )
    checkpoint: CheckpointRef | None = Field(
        default=None, description="The last turn checkpoint of the workspace, with its digest."
    )
    workspace_restores: int = Field(
        default=0,
        ge=0,
        description="Times the workspace volume was lost and the scenario resumed on a fresh "
        "one (from the last turn checkpoint).",
    )
    restore_turn: int | None = Field(
        default=None,
        ge=1,
        description="Set after a lost volume: the next agent step first restores the workspace "
        "of this turn's checkpoint (digest checked) from the artifact store.",
    )
    score_generation: int | None = Field(
        default=None,
        ge=0,
        description="External agents: the `metadata.generation` whose score request was "
        "served (a request of the same generation is not served twice).",
    )
    function_scores: dict[str, float] | None = Field(
        default=None,
        description="External agents: the last scored turn's scoring functions, score by "
        "name (full results in the artifacts).",
    )
    active_at: datetime | None = Field(
        default=None,
        description="External agents: the last activity (environment ready, turn scored); "
        "the keep-alive counts from it.",
    )
