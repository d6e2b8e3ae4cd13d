"""`Agent`: a reusable coding-agent harness (CLI, model, credentials, resources)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from enduro.api.base import SpecModel, StatusModel, cel_rules
from enduro.api.conditions import ConditionList

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
ENV_MAX = 100  # variables per list: bounds the API server's CEL cost estimate too
# Variable names that carry credentials: their values belong in a Secret, not in the spec.
SECRET_WORDS = "API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_?KEY"
SECRET_NAME = re.compile(f"({SECRET_WORDS})", re.I)


class Harness(StrEnum):
    """Which agent CLI runs in the agent step."""

    ORACLE = "oracle"  # copies the ground-truth server: every test passes
    NULL = "null"  # changes nothing
    FLAKY = "flaky"  # the oracle, breaking some turns at random (see `baseline`)
    MINI_SWE_AGENT = "mini-swe-agent"
    OPENHANDS = "openhands"
    OPENCODE = "opencode"
    QWEN_CODE = "qwen-code"
    KIMI_CLI = "kimi-cli"
    VIBE = "vibe"
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"
    AIDER = "aider"
    COMMAND = "command"  # your own agent: `spec.command` run in its image

    @property
    def baseline(self) -> bool:
        """Trusted code of Enduro's own (it may see the generator); everything else is not."""
        return self in (Harness.ORACLE, Harness.NULL, Harness.FLAKY)


class ModelProvider(StrEnum):
    BEDROCK = "bedrock"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai-compatible"
    ANTHROPIC = "anthropic"
    SCRIPTED = "scripted"
    NONE = "none"


class ModelSpec(SpecModel):
    """The language model behind the harness."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "!has(self.provider) || self.provider != 'openai-compatible' || has(self.baseUrl)",
                "baseUrl is required when provider is openai-compatible",
            )
        )
    )

    provider: ModelProvider = Field(
        default=ModelProvider.NONE,
        description="Model API: bedrock, openai, openai-compatible, anthropic, scripted or none "
        "(baseline agents need no model).",
    )
    name: str = Field(default="", max_length=256, description="Model id as the provider names it.")
    base_url: str | None = Field(
        default=None,
        max_length=2048,
        description="API endpoint; required for `openai-compatible`.",
    )

    @model_validator(mode="after")
    def _base_url_when_compatible(self) -> ModelSpec:
        if self.provider is ModelProvider.OPENAI_COMPATIBLE and not self.base_url:
            raise ValueError(
                "model.baseUrl is required when model.provider is openai-compatible "
                "(e.g. http://vllm.models:8000/v1)"
            )
        return self


class EnvVar(SpecModel):
    """A plain environment variable of the agent container. Credentials go in `secretEnv`."""

    # Refused at admission too, so a literal key never reaches etcd.
    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "!has(self.value) || self.value == '' "
                f"|| !self.name.matches('(?i)({SECRET_WORDS})')",
                "this variable looks like a credential: move it to secretEnv with a "
                "secretKeyRef to a Kubernetes Secret",
            )
        )
    )

    name: str = Field(pattern=ENV_NAME, max_length=256, description="Variable name.")
    value: str = Field(default="", max_length=8192, description="Literal value.")

    @model_validator(mode="after")
    def _no_literal_secrets(self) -> EnvVar:
        if self.value and SECRET_NAME.search(self.name):
            raise ValueError(
                f"env {self.name} looks like a credential: do not put its value in the Agent; "
                "move it to secretEnv with a secretKeyRef to a Kubernetes Secret"
            )
        return self


class SecretKeyRef(SpecModel):
    """One key of a Secret in the run's namespace."""

    name: str = Field(min_length=1, max_length=253, description="Secret name.")
    key: str = Field(min_length=1, max_length=253, description="Key inside the Secret.")


class SecretEnvVar(SpecModel):
    """An environment variable whose value comes from a Secret."""

    name: str = Field(pattern=ENV_NAME, max_length=256, description="Variable name.")
    secret_key_ref: SecretKeyRef = Field(description="Where the value is read from.")


class AgentLimits(SpecModel):
    """Budget of one agent step, enforced by the harness adapter."""

    steps: int | None = Field(
        default=None, ge=1, description="Maximum agent steps (LLM calls) per attempt."
    )
    cost_usd: float | None = Field(
        default=None, ge=0, description="Maximum model spend per attempt, in US dollars."
    )
    processes: int = Field(
        default=1024,
        ge=8,
        le=65536,
        description="Most processes and threads the agent may run at once (enforced locally "
        "through cgroups; on Kubernetes by the node's pid limit).",
    )
    workspace_mib: int = Field(
        default=1024,
        ge=1,
        le=1024 * 1024,
        description="Largest workspace the agent may leave behind, in MiB (while it runs, its "
        "workspace and scratch folder together; past it the agent is stopped); over it the "
        "attempt is the agent's failure.",
    )


class Resources(SpecModel):
    """Container resources of the agent step, as in a Pod (`cpu: 500m`, `memory: 1Gi`)."""

    requests: dict[str, str] = Field(
        default_factory=dict, description="Resource requests, e.g. {cpu: 500m, memory: 1Gi}."
    )
    limits: dict[str, str] = Field(
        default_factory=dict, description="Resource limits, e.g. {memory: 2Gi}."
    )


class Baseline(SpecModel):
    """Behaviour of the `flaky` baseline agent."""

    break_probability: float = Field(
        default=0.1, ge=0, le=1, description="Probability that the agent breaks a turn."
    )
    seed: int = Field(default=0, ge=0, description="Seed of its random choices.")


# A list whose items are keyed by name: the API server refuses two items with one name.
NAMED_LIST: dict[str, Any] = {
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
}


class AgentSpec(SpecModel):
    """A coding-agent harness and everything it needs to run."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "(self.harness == 'command') == (has(self.command) && size(self.command) > 0)",
                "command is required for harness command, and only for it",
            ),
            (
                "!has(self.env) || !has(self.secretEnv) || "
                "self.env.all(e, !self.secretEnv.exists(s, s.name == e.name))",
                "set a variable in env or secretEnv, not both",
            ),
        )
    )

    harness: Harness = Field(description="Agent CLI to run.")
    image: str | None = Field(
        default=None,
        max_length=1024,
        description="Container image of the agent step; defaults to Enduro's image for the "
        "harness.",
    )
    model: ModelSpec = Field(
        default_factory=ModelSpec, description="Language model used by the harness."
    )
    env: list[EnvVar] = Field(
        default_factory=list,
        max_length=ENV_MAX,
        description="Plain environment variables (no credentials).",
        json_schema_extra=NAMED_LIST,
    )
    secret_env: list[SecretEnvVar] = Field(
        default_factory=list,
        max_length=ENV_MAX,
        description="Environment variables read from Secrets (API keys).",
        json_schema_extra=NAMED_LIST,
    )
    command: list[str] = Field(
        default_factory=list,
        max_length=256,
        description="harness `command` only: the command line of your own agent, run in the "
        "workspace with the prompt's path in $ENDURO_PROMPT_FILE.",
    )
    args: list[str] = Field(
        default_factory=list, description="Extra command-line arguments for the harness CLI."
    )
    limits: AgentLimits = Field(
        default_factory=AgentLimits, description="Per-attempt budget of the agent."
    )
    resources: Resources = Field(
        default_factory=Resources, description="CPU and memory of the agent container."
    )
    baseline: Baseline | None = Field(
        default=None, description="Settings of the `flaky` baseline agent."
    )
    runtime_class_name: str | None = Field(
        default=None,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="RuntimeClass of the step pods (e.g. gVisor `gvisor`, Kata `kata`), for "
        "clusters that have one: a stronger sandbox than the container runtime's.",
    )

    @field_validator("env", "secret_env")
    @classmethod
    def _unique_names(
        cls, items: list[EnvVar] | list[SecretEnvVar]
    ) -> list[EnvVar] | list[SecretEnvVar]:
        names = [item.name for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate variable names: {', '.join(duplicates)}")
        return items

    @model_validator(mode="after")
    def _command_for_command_harness(self) -> AgentSpec:
        if self.harness is Harness.COMMAND and not self.command:
            raise ValueError(
                "command is required for harness command: the command line of your agent, "
                "e.g. command: [/opt/my-agent/run, --fast]"
            )
        if self.harness is not Harness.COMMAND and self.command:
            raise ValueError(
                f"command is only for harness command; harness {self.harness} runs its own CLI "
                "(use args for extra arguments)"
            )
        return self

    @model_validator(mode="after")
    def _env_and_secret_env_disjoint(self) -> AgentSpec:
        both = sorted({e.name for e in self.env} & {e.name for e in self.secret_env})
        if both:
            raise ValueError(f"set {', '.join(both)} in env or secretEnv, not both")
        return self


class ExternalAgent(SpecModel):
    """`agent: {external: true}`: bring your own agent. No agent step runs: the operator
    starts the scenario's environment and waits for the user's agent to ask for a score
    (Runloop's flow; docs/scenarios.md)."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(("self.external", "external must be true when given"))
    )

    external: bool = Field(description="Must be true: the agent runs outside Enduro.")

    @field_validator("external")
    @classmethod
    def _true(cls, value: bool) -> bool:
        if not value:
            raise ValueError("external must be true when given (omit the field otherwise)")
        return value


class AgentStatus(StatusModel):
    """What the operator observed of the Agent."""

    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: ConditionList = Field(
        default_factory=list, description="Standard conditions (`Ready`)."
    )
