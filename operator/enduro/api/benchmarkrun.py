"""`BenchmarkRun`: one agent against one benchmark, fanned out into ScenarioRuns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, field_validator, model_validator

from enduro.api.agent import ExternalAgent
from enduro.api.base import SpecModel, StatusModel, cel_rules
from enduro.api.conditions import ConditionList
from enduro.api.scenariorun import Usage
from enduro.api.settings import RunSettings


class ObjectRef(SpecModel):
    """A reference to an object in the same namespace."""

    name: str = Field(min_length=1, max_length=253, description="Object name.")


class BenchmarkRef(ObjectRef):
    """The Benchmark to run: in the run's namespace, or a public one (labelled
    `enduro.dev/public: "true"`, e.g. the chart's catalogue) in another namespace."""

    namespace: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="The Benchmark's namespace (default: the run's). Another namespace's "
        'Benchmark must be labelled enduro.dev/public: "true"; its explicit Scenarios and '
        "Scorers are read in its namespace. `enduro run` (one file, no namespaces) refuses it.",
    )


class BenchmarkRunSpec(RunSettings):
    """Which agent runs which benchmark, and how."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "has(self.agentRef) != has(self.agent)",
                "set exactly one of agentRef (an Agent) and agent ({external: true})",
            ),
            (
                "has(self.agent) || !has(self.complete) || !self.complete",
                "complete ends an external agent's run early (use cancel to stop this one)",
            ),
        )
    )

    benchmark_ref: BenchmarkRef = Field(description="The Benchmark to run.")
    agent_ref: ObjectRef | None = Field(
        default=None, description="The Agent to run it with (unset with `agent`)."
    )
    agent: ExternalAgent | None = Field(
        default=None,
        description="`{external: true}`: bring your own agent. The run lists its "
        "`pendingScenarios` and the client starts a ScenarioRun for each.",
    )
    complete: bool = Field(
        default=False,
        description="External agents: set to true to end the run now (scenarios not "
        "started stay unscored; running ones are completed).",
    )
    parallelism: int = Field(
        default=2, ge=1, le=1000, description="ScenarioRuns running at the same time."
    )
    scenarios: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Run only these scenario indices (0-based, unique); all of them if unset.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    suspend: bool = Field(
        default=False, description="Start no new ScenarioRuns while true; running ones finish."
    )

    @field_validator("scenarios")
    @classmethod
    def _unique_non_negative(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        if any(i < 0 for i in value):
            raise ValueError("scenario indices are 0-based and must not be negative")
        if len(set(value)) != len(value):
            raise ValueError("scenario indices must be unique")
        return value

    @model_validator(mode="after")
    def _one_agent(self) -> BenchmarkRunSpec:
        if (self.agent_ref is None) == (self.agent is None):
            raise ValueError("set exactly one of agentRef (an Agent) and agent ({external: true})")
        if self.agent is None and self.complete:
            raise ValueError(
                "complete ends an external agent's run early (use cancel to stop this one)"
            )
        return self

    @property
    def external(self) -> bool:
        """Bring-your-own-agent: the client starts the ScenarioRuns, not the operator."""
        return self.agent is not None

    def require_agent_ref(self) -> ObjectRef:
        """The Agent the operator runs (external runs have none)."""
        if self.agent_ref is None:
            raise ValueError("this BenchmarkRun has an external agent, not an agentRef")
        return self.agent_ref


class RunPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUSPENDED = "Suspended"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"


class RunCounts(StatusModel):
    """ScenarioRuns of this run by state."""

    total: int = Field(default=0, ge=0, description="Scenarios in the run.")
    pending: int = Field(default=0, ge=0, description="Not started yet.")
    running: int = Field(default=0, ge=0, description="Started, not finished.")
    succeeded: int = Field(
        default=0, ge=0, description="Evaluated to the end (whatever the score)."
    )
    failed: int = Field(default=0, ge=0, description="Ended early: failed, timed out or canceled.")


class BenchmarkRunStatus(StatusModel):
    """Progress and aggregate scores of the run."""

    phase: RunPhase = Field(default=RunPhase.PENDING, description="Where the run is.")
    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: ConditionList = Field(
        default_factory=list, description="Standard conditions (`Ready`, `Succeeded`)."
    )
    counts: RunCounts = Field(default_factory=RunCounts, description="ScenarioRuns by state.")
    progress: str = Field(
        default="", max_length=64, description="`<scenarios ended>/<scenarios>`, for kubectl."
    )
    average_score: float | None = Field(
        default=None, ge=0, le=1, description="Mean scenario score over finished scenarios."
    )
    success_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Fraction of finished scenarios with every turn passed.",
    )
    mean_stamina: float | None = Field(
        default=None, ge=0, description="Mean stamina (turns passed before the first failure)."
    )
    usage: Usage = Field(
        default_factory=Usage, description="Agent consumption summed over its ScenarioRuns."
    )
    started_at: datetime | None = Field(default=None, description="When the run started.")
    completed_at: datetime | None = Field(default=None, description="When the run ended.")
    message: str = Field(default="", max_length=1024, description="Details for humans.")
    artifacts_ref: str | None = Field(
        default=None,
        max_length=1024,
        description="Where the run's artifacts and report are (`s3://...`), if uploaded.",
    )
    scenarios: list[str] | None = Field(
        default=None,
        description="The explicit Scenarios the run plays, in order (index i plays the i-th), "
        "fixed when its first ScenarioRun is created (external agents: first started by the "
        "client); later catalogue changes (Scenarios added, relabelled or removed) do not "
        "change a run in flight. Unset for generated benchmarks.",
    )
    pending_scenarios: list[str] = Field(
        default_factory=list,
        description="External agents: Scenarios of the benchmark without a ScenarioRun yet.",
    )
