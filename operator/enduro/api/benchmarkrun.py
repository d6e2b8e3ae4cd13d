"""`BenchmarkRun`: one agent against one benchmark, fanned out into ScenarioRuns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from enduro.api.base import SpecModel, StatusModel
from enduro.api.conditions import ConditionList
from enduro.api.scenariorun import Usage
from enduro.api.settings import RunSettings


class ObjectRef(SpecModel):
    """A reference to an object in the same namespace."""

    name: str = Field(min_length=1, max_length=253, description="Object name.")


class BenchmarkRunSpec(RunSettings):
    """Which agent runs which benchmark, and how."""

    benchmark_ref: ObjectRef = Field(description="The Benchmark to run.")
    agent_ref: ObjectRef = Field(description="The Agent to run it with.")
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
