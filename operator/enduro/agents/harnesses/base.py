"""What every harness adapter shares: its inputs, its command, its report, its verdict.

An adapter is two pure functions over plain data. `build_command` turns the agent's
configuration, the workspace and the prompt into the CLI's argv and env; `parse_output`
turns what the CLI printed and wrote into steps, tokens, cost and the CLI's own exit
reason. Running the process (`enduro.agents.run`) and deciding whether a failure is the
agent's or the infrastructure's (`classify`, here) are the same for every CLI, so an
adapter module holds nothing but knowledge about one CLI.

Credentials never appear in argv: a CLI reads its key from an env var whose value came
from a Secret (`secret_env`), and the runner masks those values in everything it keeps.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from pydantic import BaseModel, Field

from enduro.agents import atif
from enduro.engine.results import FailureClass

if TYPE_CHECKING:
    from enduro.api.agent import AgentSpec


@dataclass(frozen=True)
class CliPackage:
    """Where the harness CLI comes from, pinned: the version the adapter was written against."""

    registry: Literal["pypi", "npm"]
    name: str
    version: str
    executable: str
    constraints: tuple[str, ...] = ()
    """Pins of dependencies the CLI itself leaves open, where the newest release breaks it."""
    python: str | None = None
    """Python version a PyPI CLI needs, when not the one Enduro runs on."""

    @property
    def requirement(self) -> str:
        separator = "==" if self.registry == "pypi" else "@"
        return f"{self.name}{separator}{self.version}"


@dataclass(frozen=True)
class ModelEndpoint:
    provider: str
    name: str
    base_url: str | None = None


def litellm_model(prefix: str, model: ModelEndpoint) -> str:
    """The LiteLLM model string (`<prefix>/<name>`) of the CLIs that call models through LiteLLM.

    A Bedrock model behind a custom endpoint (`model.baseUrl`: a gateway, the scripted
    model) is pinned to the Converse API, `bedrock/converse/<name>`: Converse is the one
    request format every Bedrock chat model speaks, and LiteLLM's own choice for an id it
    does not know is InvokeModel, whose body is model-specific. A name that already picks
    a LiteLLM route (`converse/...`, `invoke/...`) is kept as it is.
    """
    if prefix == "bedrock" and model.base_url and "/" not in model.name:
        return f"bedrock/converse/{model.name}"
    return f"{prefix}/{model.name}"


@dataclass(frozen=True)
class HarnessConfig:
    """The part of an Agent spec a harness adapter needs, as plain data."""

    harness: str
    model: ModelEndpoint
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: tuple[str, ...] = ()
    """Names of env vars whose values come from Secrets (and are masked in every log)."""
    args: tuple[str, ...] = ()
    """Extra CLI arguments, appended after the adapter's own."""
    max_steps: int | None = None
    max_cost_usd: float | None = None
    command: tuple[str, ...] = ()
    """The command line of a `command` agent (your own agent), empty for the CLIs."""
    max_processes: int | None = None
    memory_limit: str | None = None
    """The Agent's `resources.limits.memory` (`2Gi`): the sandbox's memory limit."""
    workspace_mib: int | None = None
    """`limits.workspaceMib`: the workspace and scratch folder together, while it runs."""


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    """Env the adapter adds on top of the step's base env (never a secret value)."""
    native_logs: tuple[Path, ...] = ()
    """Files the CLI writes (trajectories, histories), all under `scratch`, that are kept
    beside the ATIF file."""
    native_globs: tuple[str, ...] = ()
    """Patterns, relative to `scratch`, of native logs whose names are known only afterwards."""
    files: Mapping[Path, str] = field(default_factory=dict)
    """Files (config, task) the runner writes before starting the CLI, all under `scratch`."""
    stdin: Path | None = None
    """A file fed to the CLI's standard input (the prompt, for CLIs that read it there)."""


@dataclass(frozen=True)
class ProcessResult:
    """What running a harness produced, already redacted."""

    exit_code: int | None
    """None when the process was killed (timeout) or never started."""
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    stopped: str | None = None
    """Why the step stopped it while it ran (its files grew past the limit)."""
    native: Mapping[str, str] = field(default_factory=dict)
    """File name -> content of each native log that exists after the run."""


class HarnessReport(BaseModel):
    """What the CLI itself said about the attempt (parsed from its output or trajectory)."""

    steps: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    exit_status: str | None = None
    """The CLI's own word for how it ended (`Submitted`, `error_max_turns`, ...)."""
    limit_reached: bool = False
    error: str | None = None
    """An error the CLI reported while exiting 0 (some CLIs do)."""
    version: str | None = None
    trajectory: list[atif.Step] = Field(default_factory=list)


class Harness(ABC):
    """One coding-agent CLI. Subclasses are stateless; the registry holds one instance each."""

    name: ClassVar[str]
    package: ClassVar[CliPackage]
    credentials: ClassVar[Mapping[str, tuple[str, ...]]]
    """Supported model provider -> env var names the CLI reads its key from (any one will do)."""
    needs_base_url: ClassVar[frozenset[str]] = frozenset()
    """Providers that only work with an explicit `model.baseUrl`."""

    @abstractmethod
    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        """argv and env for one attempt. `scratch` is a private directory outside the workspace."""

    @abstractmethod
    def parse_output(self, result: ProcessResult) -> HarnessReport:
        """Steps, tokens, cost and exit status from the CLI's output. Never raises on garbage."""

    def missing_cli_hint(self, executable: str) -> str:
        """What to do when the CLI is not on PATH."""
        return (
            f"harness CLI {executable!r} is not installed (not on PATH): install "
            f"{self.package.registry} package {self.package.requirement}"
        )

    def check(self, config: HarnessConfig, env: Mapping[str, str]) -> str | None:
        """Why this configuration cannot run (an infrastructure problem), or None."""
        provider = config.model.provider
        if provider not in self.credentials:
            supported = ", ".join(sorted(self.credentials))
            return (
                f"model.provider {provider!r} is not supported by harness {self.name}: "
                f"use one of {supported}"
            )
        if provider in self.needs_base_url and not config.model.base_url:
            return f"model.baseUrl is required for provider {provider!r} with harness {self.name}"
        names = self.credentials[provider]
        if names and not any(env.get(name) for name in names):
            return (
                f"missing credentials for {self.name} with provider {provider!r}: set "
                f"{' or '.join(names)} through secretEnv (a Secret reference)"
            )
        return None


# Signs, in a CLI's output, that the model endpoint could not be used at all: the
# infrastructure's fault (wrong URL, endpoint down, key revoked) once the step confirms it.
_UNREACHABLE = re.compile(
    r"connection ?refused|ECONNREFUSED|APIConnectionError|ConnectError|"
    r"Name or service not known|getaddrinfo|ENOTFOUND|Failed to establish a new connection|"
    r"fetch failed|Could not resolve host",
    re.IGNORECASE,
)
_REJECTED = re.compile(
    r"AuthenticationError\b|(status|error) code:? 401\b|\b401 Unauthori[sz]ed",
    re.IGNORECASE,
)
TAIL_CHARS = 300


class EndpointWitness(Protocol):
    """The trusted step's own look at the model endpoint (`endpoint.EndpointProbe`)."""

    def reachable(self) -> bool | None: ...

    def rejects_key(self) -> bool | None: ...


def classify(
    result: ProcessResult, report: HarnessReport, endpoint: EndpointWitness
) -> tuple[FailureClass, str]:
    """Whose fault an attempt's ending was, and a one-line reason a human can act on.
    The CLI's word that the model endpoint failed it is taken only as far as `endpoint`
    confirms it: the CLI is the agent, and an infrastructure failure costs no attempt."""
    if result.timed_out:
        return FailureClass.AGENT, f"timeout: the harness was stopped after {result.seconds:.0f}s"
    if result.stopped is not None:
        return FailureClass.AGENT, result.stopped
    output = f"{result.stdout}\n{result.stderr}"
    failed = result.exit_code != 0 or report.error is not None
    if failed and report.steps == 0 and _UNREACHABLE.search(output):
        return _endpoint_claim(output, _UNREACHABLE, endpoint)
    if failed and _REJECTED.search(output):
        return _endpoint_claim(output, _REJECTED, endpoint)
    if report.limit_reached:
        return FailureClass.AGENT, f"limit reached: {report.exit_status or 'step or cost limit'}"
    if result.exit_code is None:
        detail = _last_line(result.stderr) or "no detail"
        return FailureClass.INFRASTRUCTURE, f"the harness process did not start: {_tail(detail)}"
    if result.exit_code != 0:
        last = _last_line(result.stderr) or _last_line(result.stdout) or "no output"
        return FailureClass.AGENT, f"exited with code {result.exit_code}: {_tail(last)}"
    if report.error is not None:
        return FailureClass.AGENT, f"the harness reported an error: {_tail(report.error)}"
    return FailureClass.NONE, f"completed: {report.exit_status or 'exit code 0'}"


def _endpoint_claim(
    output: str, pattern: re.Pattern[str], endpoint: EndpointWitness
) -> tuple[FailureClass, str]:
    line = _tail(_first_match_line(output, pattern))
    reached = endpoint.reachable()
    if reached is False:
        return FailureClass.INFRASTRUCTURE, f"cannot reach the model endpoint: {line}"
    rejected = pattern is _REJECTED
    if rejected and reached and endpoint.rejects_key():
        return FailureClass.INFRASTRUCTURE, f"the model endpoint rejected the credentials: {line}"
    claim = (
        "the model endpoint rejected its key" if rejected else "it cannot reach the model endpoint"
    )
    check = "this step reaches it" if reached and not rejected else "this step cannot confirm it"
    return FailureClass.AGENT, f"the harness said {claim}, but {check}: {line}"


def _first_match_line(text: str, pattern: re.Pattern[str]) -> str:
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()
    return ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _tail(text: str) -> str:
    return text if len(text) <= TAIL_CHARS else "..." + text[-TAIL_CHARS:]


def config_from_spec(spec: AgentSpec) -> HarnessConfig:
    """The adapter's view of an Agent spec (`enduro.api.agent.AgentSpec`)."""
    return HarnessConfig(
        harness=str(spec.harness),
        model=ModelEndpoint(
            provider=str(spec.model.provider), name=spec.model.name, base_url=spec.model.base_url
        ),
        env={item.name: item.value for item in spec.env},
        secret_env=tuple(item.name for item in spec.secret_env),
        args=tuple(spec.args),
        max_steps=spec.limits.steps,
        max_cost_usd=spec.limits.cost_usd,
        command=tuple(spec.command),
        max_processes=spec.limits.processes,
        memory_limit=spec.resources.limits.get("memory"),
        workspace_mib=spec.limits.workspace_mib,
    )
