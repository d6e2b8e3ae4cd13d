"""A Harbor task directory as read from disk: `task.toml`, `instruction.md`,
`environment/`, `tests/`, `solution/` and, for a multi-step task, `steps/<name>/`.

`read_task` is the only I/O; `TaskConfig` mirrors the parts of `task.toml` the importer
maps (Harbor ignores keys it does not know, and so does this).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from enduro.importers.outcome import ItemError, problem_from

# The task.toml schema versions this importer was written against (`version` before 1.1).
SCHEMA_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")
# Harbor's defaults where task.toml says nothing.
VERIFIER_SECONDS = 600.0
# Files of environment/ that build the image rather than seed the workspace.
BUILD_FILES = frozenset(
    {"Dockerfile", "docker-compose.yaml", "docker-compose.yml", ".dockerignore"}
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TaskInfo(_Section):
    name: str = ""
    description: str = ""
    keywords: list[str] = Field(default_factory=list)


class AgentConfig(_Section):
    timeout_sec: float | None = Field(default=None, gt=0)


class VerifierConfig(_Section):
    timeout_sec: float | None = Field(default=None, gt=0)
    env: dict[str, str] = Field(default_factory=dict)


class EnvironmentConfig(_Section):
    docker_image: str | None = None
    workdir: str | None = None
    cpus: float | None = Field(default=None, gt=0)
    memory_mb: int | None = Field(default=None, gt=0)
    memory: str | None = Field(default=None, pattern=r"^\s*\d+(\.\d+)?\s*[GgMmKk]\s*$")
    storage_mb: int | None = Field(default=None, gt=0)
    storage: str | None = Field(default=None, pattern=r"^\s*\d+(\.\d+)?\s*[GgMmKk]\s*$")

    def memory_mib(self) -> int | None:
        return self.memory_mb or (_mib(self.memory) if self.memory else None)

    def storage_mib(self) -> int | None:
        return self.storage_mb or (_mib(self.storage) if self.storage else None)


def _mib(size: str) -> int:
    """Harbor's legacy sizes: `4G`, `512M`, `1024K`."""
    size = size.strip().upper()
    number = float(size[:-1].strip())
    return int({"G": number * 1024, "M": number, "K": number / 1024}[size[-1]])


class StepConfig(_Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    min_reward: float | None = Field(default=None, ge=0, le=1)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)

    @field_validator("min_reward", mode="before")
    @classmethod
    def _one_number(cls, value: Any) -> Any:
        if isinstance(value, dict):
            raise ValueError("a table of per-key minimums is not supported: give one number")
        return value


class TaskConfig(_Section):
    schema_version: str = "1.1"
    task: TaskInfo = Field(default_factory=TaskInfo)
    metadata: dict[str, Any] = Field(default_factory=dict)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    verifier: VerifierConfig = Field(default_factory=VerifierConfig)
    environment: EnvironmentConfig = Field(default_factory=EnvironmentConfig)
    steps: list[StepConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _legacy_version(cls, data: Any) -> Any:
        if isinstance(data, dict) and "version" in data and "schema_version" not in data:
            data = {**data, "schema_version": data["version"]}
        return data

    @field_validator("schema_version", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if str(value) not in SCHEMA_VERSIONS:
            raise ValueError(
                f"unknown schema version {value!r}; this importer reads "
                + ", ".join(SCHEMA_VERSIONS)
            )
        return str(value)


@dataclass(frozen=True)
class StepFiles:
    """What `steps/<name>/` holds."""

    instruction: str | None
    tests: dict[str, bytes]
    solution: dict[str, bytes]


@dataclass(frozen=True)
class HarborTask:
    directory: Path
    config: TaskConfig
    instruction: str | None
    tests: dict[str, bytes]
    solution: dict[str, bytes]
    environment: dict[str, bytes]
    """The files of environment/ other than the image's build files."""
    dockerfile: str | None
    steps: dict[str, StepFiles] = field(default_factory=dict)


def read_task(directory: Path) -> HarborTask:
    """Read a task directory; an unreadable or invalid task.toml is an ItemError."""
    toml_path = directory / "task.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ItemError("task.toml", "missing: not a Harbor task directory") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ItemError("task.toml", f"cannot be read: {exc}") from None
    try:
        config = TaskConfig.model_validate(data)
    except ValidationError as exc:
        error = problem_from(exc)
        raise ItemError(f"task.toml: {error.field}", error.message) from None
    environment = _files(directory / "environment")
    dockerfile = environment.pop("Dockerfile", None)
    for name in BUILD_FILES:
        environment.pop(name, None)
    return HarborTask(
        directory=directory,
        config=config,
        instruction=_text(directory / "instruction.md"),
        tests=_files(directory / "tests"),
        solution=_files(directory / "solution"),
        environment=environment,
        dockerfile=dockerfile.decode("utf-8", errors="replace") if dockerfile else None,
        steps={
            step.name: StepFiles(
                instruction=_text(directory / "steps" / step.name / "instruction.md"),
                tests=_files(directory / "steps" / step.name / "tests"),
                solution=_files(directory / "steps" / step.name / "solution"),
            )
            for step in config.steps
        },
    )


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _files(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` by relative path (none when it is missing)."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
