"""`StepSpec`: one step as data — which containers run what, with which volumes.

Two logical volumes exist: `workspace` (the agent's persistent working copy) and
`artifacts` (results, logs, trajectories). A mount names one of them, a path inside
the container and optionally a sub-directory of the volume. Paths in commands,
arguments, env values and workingDir that start with a mount path refer to that
mount, so a runtime without containers can `localize` them to host directories.

Containers, in order:
* `init` runs to completion before anything else (Kubernetes: an init container);
* `sidecar` starts next and runs in the background until `main` ends
  (Kubernetes: a native sidecar, an init container with restartPolicy Always);
* `main` is the step: its exit ends the step; its `summaryFile` holds its result.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from pydantic import Field

from enduro.api.agent import SecretKeyRef
from enduro.api.base import SpecModel
from enduro.steps.context import StepContext


class StepRole(StrEnum):
    AGENT = "agent"
    TEST = "test"
    ENVIRONMENT = "environment"  # external agents: the long-lived pod the user's agent uses


class VolumeName(StrEnum):
    WORKSPACE = "workspace"
    ARTIFACTS = "artifacts"


class Mount(SpecModel):
    """A logical volume (or one of its sub-directories) mounted at `path`."""

    volume: VolumeName = Field(description="`workspace` or `artifacts`.")
    path: str = Field(description="Absolute path inside the container.")
    sub_path: str = Field(default="", description="Sub-directory of the volume; all if empty.")
    read_only: bool = Field(default=False, description="Mounted read-only.")


class StepEnvVar(SpecModel):
    """An environment variable: a literal `value`, or a `secretKeyRef` to read it from."""

    name: str = Field(description="Variable name.")
    value: str | None = Field(default=None, description="Literal value.")
    secret_key_ref: SecretKeyRef | None = Field(default=None, description="Secret key to read.")


class ContainerSpec(SpecModel):
    """One process of the step."""

    name: str = Field(description="Container name, unique in the step.")
    image: str = Field(description="Container image (ignored by the local runtime).")
    command: list[str] = Field(description="Executable and arguments.")
    env: list[StepEnvVar] = Field(default_factory=list, description="Environment.")
    working_dir: str | None = Field(default=None, description="Working directory.")
    mounts: list[Mount] = Field(default_factory=list, description="Volumes it sees.")
    requests: dict[str, str] = Field(default_factory=dict, description="Resource requests.")
    limits: dict[str, str] = Field(default_factory=dict, description="Resource limits.")
    pod_tmp: bool = Field(
        default=True,
        description="Mounts the pod's scratch /tmp, which its containers share; a trusted "
        "container running beside the agent does not (the agent could plant files there).",
    )


class StepSpec(SpecModel):
    """One step (agent or test) of one attempt of one turn of one ScenarioRun."""

    name: str = Field(description="Deterministic name (the Pod's name on Kubernetes).")
    scenario_run: str = Field(description="Name of the ScenarioRun it belongs to.")
    role: StepRole = Field(description="`agent` or `test`.")
    turn: int = Field(ge=1, description="Turn (1-based).")
    attempt: int = Field(ge=1, description="Attempt (1-based).")
    retry: int = Field(default=0, ge=0, description="Infrastructure re-run of the step.")
    context: StepContext = Field(description="What the step's commands were given.")
    init: ContainerSpec | None = Field(default=None, description="Runs to completion first.")
    sidecar: ContainerSpec | None = Field(default=None, description="Runs beside `main`.")
    main: ContainerSpec = Field(description="The step itself.")
    summary_file: str | None = Field(
        default=None, description="Where `main` writes its compact result (termination log)."
    )
    timeout_seconds: int = Field(ge=1, description="Hard wall-clock limit of the whole step.")
    runtime_class_name: str | None = Field(
        default=None, description="The pod's RuntimeClass (gVisor, Kata), from the Agent."
    )

    def containers(self) -> list[ContainerSpec]:
        """init, sidecar, main: the order they start in."""
        return [c for c in (self.init, self.sidecar, self.main) if c is not None]

    def localize(
        self, volumes: dict[VolumeName, Path], summary_file: Path | None = None
    ) -> StepSpec:
        """The same step with container paths rewritten to host directories, for a runtime
        that runs processes instead of containers (`volumes`: logical volume -> host dir;
        `summary_file`: where `main` should write its summary instead of `summaryFile`)."""
        main = _localize(self.main, volumes)
        new_summary = self.summary_file
        if summary_file is not None and self.summary_file is not None:
            new_summary = str(summary_file)
            main = main.model_copy(
                update={
                    "command": [
                        new_summary if arg == self.summary_file else arg for arg in main.command
                    ]
                }
            )
        return self.model_copy(
            update={
                "init": self.init and _localize(self.init, volumes),
                "sidecar": self.sidecar and _localize(self.sidecar, volumes),
                "main": main,
                "summary_file": new_summary,
            }
        )


def _localize(container: ContainerSpec, volumes: dict[VolumeName, Path]) -> ContainerSpec:
    hosts = {
        m.path: str(volumes[m.volume] / m.sub_path) if m.sub_path else str(volumes[m.volume])
        for m in container.mounts
    }
    # A sub-directory mounted where it sits in the volume (/artifacts/agent_logs from
    # sub_path agent_logs) implies the volume's root path (/artifacts) in arguments.
    for m in container.mounts:
        if m.sub_path and m.path.endswith("/" + m.sub_path):
            hosts.setdefault(m.path[: -len(m.sub_path) - 1], str(volumes[m.volume]))
    # One pass, longest mount path first, so /artifacts/server_logs wins over /artifacts and
    # a rewritten path is never rewritten again; a path must start a word to match.
    alternatives = "|".join(re.escape(p) for p in sorted(hosts, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w./-])({alternatives})(?=/|\s|$|['\"])")

    def rewrite(text: str) -> str:
        return pattern.sub(lambda match: hosts[match.group(1)], text) if hosts else text

    return container.model_copy(
        update={
            "command": [rewrite(arg) for arg in container.command],
            "env": [
                e.model_copy(update={"value": rewrite(e.value)}) if e.value else e
                for e in container.env
            ],
            "working_dir": rewrite(container.working_dir) if container.working_dir else None,
            "mounts": [m.model_copy(update={"path": hosts[m.path]}) for m in container.mounts],
        }
    )
