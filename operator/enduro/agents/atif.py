"""Agent Trajectory Interchange Format (ATIF v1.7) models, writer and reader.

ATIF is the JSON trajectory format of the Harbor / Terminal-Bench project (its RFC 0001):
one object per session with `schema_version`, `session_id`, `agent {name, version, model_name}`,
`steps [{step_id, source, message, tool_calls, observation, metrics}]` and
`final_metrics`. Enduro writes one file per attempt (`A/trajectory/turn_TTT_attempt_A.json`)
from what the harness reported, whatever the harness's native format was; the native log
is kept beside it. Field names follow the spec (snake_case); optional fields are left out
of the file when unset, as the spec's own examples do. Rules the spec states and these
models enforce: step ids are 1, 2, 3, ... in order; only agent steps carry `model_name`,
`tool_calls` and `metrics`.

Versions 1.5 to 1.7 only added optional fields (1.5 `agent.tool_definitions`, 1.6 image
content parts, 1.7 `trajectory_id`, `extra` on tool calls and observation results,
`llm_call_count`, embedded subagents) and made `session_id` optional, so `upgrade` reads
an earlier 1.x document (Enduro wrote 1.4) as the current version unchanged but for its
`schema_version`. These models hold the subset of the spec Enduro writes; a field it
never writes (images, subagents, token ids, `trajectory_id`) is rejected, not dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Final = "ATIF-v1.7"
_VERSION_PREFIX = "ATIF-v1."
_MINOR = int(SCHEMA_VERSION.removeprefix(_VERSION_PREFIX))


class _Atif(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Agent(_Atif):
    name: str
    version: str
    model_name: str | None = None
    extra: dict[str, Any] | None = None


class ToolCall(_Atif):
    tool_call_id: str
    function_name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ObservationResult(_Atif):
    source_call_id: str | None = None
    content: str | None = None


class Observation(_Atif):
    results: list[ObservationResult] = Field(default_factory=list)


class Metrics(_Atif):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    extra: dict[str, Any] | None = None


class FinalMetrics(_Atif):
    total_prompt_tokens: int | None = None
    total_completion_tokens: int | None = None
    total_cached_tokens: int | None = None
    total_cost_usd: float | None = None
    total_steps: int | None = None
    extra: dict[str, Any] | None = None


class Step(_Atif):
    step_id: int = Field(ge=1)
    timestamp: str | None = None
    source: Literal["system", "user", "agent"]
    model_name: str | None = None
    message: str = ""
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None
    observation: Observation | None = None
    metrics: Metrics | None = None
    extra: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _agent_only_fields(self) -> Step:
        if self.source != "agent":
            for name in ("model_name", "tool_calls", "metrics", "reasoning_content"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is only allowed on agent steps (step {self.step_id})")
        return self


class Trajectory(_Atif):
    schema_version: Literal["ATIF-v1.7"] = SCHEMA_VERSION
    session_id: str | None = None  # optional since 1.7; Enduro always sets it
    agent: Agent
    steps: list[Step] = Field(default_factory=list)
    notes: str | None = None
    final_metrics: FinalMetrics | None = None
    extra: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _sequential_step_ids(self) -> Trajectory:
        for expected, step in enumerate(self.steps, start=1):
            if step.step_id != expected:
                raise ValueError(f"steps[{expected - 1}].step_id is {step.step_id}, not {expected}")
        return self


def renumber(steps: list[Step]) -> list[Step]:
    """The same steps with step ids 1..n (adapters build steps without caring about ids)."""
    return [step.model_copy(update={"step_id": i}) for i, step in enumerate(steps, start=1)]


def to_json(trajectory: Trajectory) -> str:
    return json.dumps(trajectory.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def write(trajectory: Trajectory, path: Path) -> None:
    """Write the trajectory atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(to_json(trajectory), encoding="utf-8")
    tmp.replace(path)


def upgrade(document: dict[str, Any]) -> Trajectory:
    """The trajectory of an ATIF 1.x document, as the current version (1.5 to 1.7 only
    added optional fields); a document of another major version, or a newer one, is refused."""
    version = document.get("schema_version")
    minor = version.removeprefix(_VERSION_PREFIX) if isinstance(version, str) else ""
    if not (version != minor and minor.isdigit() and int(minor) <= _MINOR):
        raise ValueError(
            f"schema_version {version!r} is not an ATIF version this reader knows "
            f"({_VERSION_PREFIX}0 to {SCHEMA_VERSION})"
        )
    return Trajectory.model_validate({**document, "schema_version": SCHEMA_VERSION})


def read(path: Path) -> Trajectory:
    """A trajectory file Enduro wrote, in any ATIF 1.x version up to the current one."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path}: an ATIF trajectory is a JSON object")
    return upgrade(document)
