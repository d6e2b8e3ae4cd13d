"""Run settings shared by a BenchmarkRun and the ScenarioRuns it creates."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from enduro.api.base import SpecModel
from enduro.api.storage import ArtifactsSpec

DAY = 86400
QUANTITY = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"


class FeedbackLevel(StrEnum):
    """What the agent learns about its previous attempt (in FEEDBACK.md)."""

    DETAILED = "detailed"  # failing tests with assertion messages and the server log tail
    MEDIUM = "medium"  # failing test names
    MINIMAL = "minimal"  # counts only
    NONE = "none"


class Timeouts(SpecModel):
    """Time limits of one step, in seconds."""

    agent_seconds: int = Field(
        default=1800, ge=1, le=DAY * 7, description="Wall-clock limit of one agent step."
    )
    test_seconds: int = Field(
        default=600, ge=1, le=DAY, description="Wall-clock limit of one test step."
    )
    server_start_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How long the agent's server may take to answer /health.",
    )
    scenario_seconds: int | None = Field(
        default=None,
        ge=1,
        le=DAY * 366,
        description="Wall-clock limit of a whole scenario (it ends TimedOut); none if unset.",
    )
    keep_alive_seconds: int = Field(
        default=3600,
        ge=1,
        le=DAY * 7,
        description="External agents only: an environment with no score or complete "
        "request for this long ends (TimedOut while running, Completed once scored).",
    )


class WorkspaceSpec(SpecModel):
    """The persistent volume holding the agent's workspace and the artifacts."""

    size: str = Field(
        default="1Gi", pattern=QUANTITY, description="Requested volume size, e.g. `1Gi`."
    )
    storage_class_name: str | None = Field(
        default=None, max_length=253, description="StorageClass; the cluster default if unset."
    )


class RunSettings(SpecModel):
    """How every scenario of a run is played."""

    attempt_limit: int = Field(
        default=3, ge=1, le=20, description="Agent attempts per turn (the first one included)."
    )
    feedback_level: FeedbackLevel = Field(
        default=FeedbackLevel.DETAILED,
        description="Feedback after a failed attempt: detailed, medium, minimal or none.",
    )
    stop_on_failure: bool = Field(
        default=False,
        description="Stop a scenario at its first failed turn (remaining turns score 0).",
    )
    timeouts: Timeouts = Field(default_factory=Timeouts, description="Step time limits.")
    workspace: WorkspaceSpec = Field(
        default_factory=WorkspaceSpec, description="Volume of each scenario."
    )
    max_infra_retries: int = Field(
        default=3,
        ge=0,
        le=100,
        description="Re-runs of a step after infrastructure failures (eviction, image pull), "
        "which spend no attempt; beyond it the scenario fails.",
    )
    cancel: bool = Field(
        default=False, description="Set to true to stop: running steps are deleted."
    )
    queue_name: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="Kueue LocalQueue of the step pods (label `kueue.x-k8s.io/queue-name`); "
        "the operator's default (chart `kueue.queueName`) if unset, no queue if neither.",
    )
    artifacts: ArtifactsSpec = Field(
        default_factory=ArtifactsSpec,
        description="Where artifacts go besides each scenario's volume (`s3`).",
    )
