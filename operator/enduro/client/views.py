"""What the client returns: small read-only views of Enduro's objects (the spec and status
parsed by the API's own pydantic models), pages of them, and its errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from enduro.api.benchmark import PUBLIC_LABEL, BenchmarkSpec, BenchmarkStatus
from enduro.api.benchmarkrun import BenchmarkRunSpec, BenchmarkRunStatus, RunPhase
from enduro.api.conditions import get_condition
from enduro.api.scenario import ScenarioSpec
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.external import ENVIRONMENT_READY


class EnduroError(Exception):
    """A request the cluster refused, or a run that cannot do what was asked."""


class RunEndedError(EnduroError):
    """The run ended (Failed, TimedOut, Canceled...) while the client waited for it."""

    def __init__(self, kind: str, name: str, phase: str, message: str) -> None:
        detail = f": {message}" if message else ""
        super().__init__(f"{kind} {name} ended {phase}{detail}")
        self.phase = phase


def _meta(obj: Mapping[str, Any]) -> tuple[str, str, int, dict[str, str]]:
    meta = obj["metadata"]
    return (
        meta["name"],
        meta["namespace"],
        int(meta.get("generation") or 0),
        meta.get("labels") or {},
    )


@dataclass(frozen=True)
class Page[T]:
    """One page of a list; pass `next_cursor` as `cursor` for the next (Kubernetes'
    `continue` token). `has_more` is False on the last page."""

    items: list[T]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


@dataclass(frozen=True)
class Benchmark:
    name: str
    namespace: str
    spec: BenchmarkSpec
    status: BenchmarkStatus
    public: bool

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Benchmark:
        name, namespace, _, labels = _meta(obj)
        return cls(
            name,
            namespace,
            BenchmarkSpec.model_validate(obj.get("spec") or {}),
            BenchmarkStatus.model_validate(obj.get("status") or {}),
            labels.get(PUBLIC_LABEL) == "true",
        )

    @property
    def kind(self) -> str:
        """ "generated" or "explicit" (Scenario resources)."""
        return "generated" if self.spec.generator is not None else "explicit"

    @property
    def scenario_count(self) -> int | None:
        """How many scenarios it has (explicit: as the operator counted; None before)."""
        if self.spec.generator is not None:
            return self.spec.generator.scenarios
        return self.status.scenario_count

    @property
    def turns(self) -> int | None:
        """Turns per scenario (generated; an explicit scenario's are its own: None)."""
        return self.spec.generator.turns if self.spec.generator is not None else None


@dataclass(frozen=True)
class Scenario:
    name: str
    namespace: str
    spec: ScenarioSpec

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Scenario:
        name, namespace, _, _ = _meta(obj)
        return cls(name, namespace, ScenarioSpec.model_validate(obj.get("spec") or {}))


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario run as last read: `state` is Runloop's name for the phase."""

    name: str
    namespace: str
    generation: int
    spec: ScenarioRunSpec
    status: ScenarioRunStatus

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ScenarioRun:
        name, namespace, generation, _ = _meta(obj)
        return cls(
            name,
            namespace,
            generation,
            ScenarioRunSpec.model_validate(obj.get("spec") or {}),
            ScenarioRunStatus.model_validate(obj.get("status") or {}),
        )

    @property
    def state(self) -> ScenarioPhase:
        return self.status.phase

    @property
    def score(self) -> float | None:
        return self.status.score

    @property
    def turn(self) -> int:
        return self.status.turn

    @property
    def environment_ready(self) -> bool:
        condition = get_condition(self.status.conditions, ENVIRONMENT_READY)
        return condition is not None and condition.status == "True"


@dataclass(frozen=True)
class BenchmarkRun:
    name: str
    namespace: str
    spec: BenchmarkRunSpec
    status: BenchmarkRunStatus

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> BenchmarkRun:
        name, namespace, _, _ = _meta(obj)
        return cls(
            name,
            namespace,
            BenchmarkRunSpec.model_validate(obj.get("spec") or {}),
            BenchmarkRunStatus.model_validate(obj.get("status") or {}),
        )

    @property
    def state(self) -> RunPhase:
        return self.status.phase

    @property
    def score(self) -> float | None:
        return self.status.average_score

    @property
    def pending_scenarios(self) -> list[str]:
        return list(self.status.pending_scenarios)
