"""What a Benchmark is made of, resolved: its generator, or its explicit Scenarios in
benchmark order with the custom Scorers they use.

Pure, and the one place both runtimes resolve a Benchmark: `enduro run` passes the
Scenario and Scorer documents of its file, the operator those of the namespace, so a
missing Scenario or Scorer is reported the same way by both (the reason and the fix).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from enduro.api.agent import AgentSpec
from enduro.api.benchmark import PUBLIC_LABEL, BenchmarkSpec, ScenarioSelection
from enduro.api.benchmarkrun import BenchmarkRef
from enduro.api.generator import GeneratorSpec
from enduro.api.scenario import (
    ExplicitScenario,
    ScenarioSpec,
    ScorerResourceSpec,
    custom_scorer_names,
)
from enduro.api.storage import SourceSpec

BENCHMARK_NOT_PUBLIC = "BenchmarkNotPublic"
SCENARIO_NOT_FOUND = "ScenarioNotFound"
SCORER_NOT_FOUND = "ScorerNotFound"
REQUIREMENT_MISSING = "RequirementMissing"
UNSUPPORTED_AGENT = "UnsupportedAgent"
# The flaky baseline breaks a route of a generated server; an explicit scenario has none.
FLAKY_GENERATED_ONLY = (
    "the flaky baseline breaks a route of a generated scenario's server and plays generated "
    "benchmarks only: use the oracle or null baseline with explicit scenarios"
)


class CatalogueError(ValueError):
    """A Benchmark cannot be resolved; `reason` is the condition reason (CamelCase) and
    the message names what is missing and the fix."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ScenarioDocument:
    """A Scenario as found in a file or a namespace: its labels and its spec."""

    labels: Mapping[str, str]
    spec: ScenarioSpec


@dataclass(frozen=True)
class BenchmarkScenarios:
    """The scenarios of a Benchmark: generated ones (`generator`), or explicit snapshots
    (`definitions`, in benchmark order: index i plays `definitions[i]`). A run's pinned
    Scenario that no longer exists is None: `gone` names it."""

    generator: GeneratorSpec | None = None
    definitions: tuple[ExplicitScenario | None, ...] = ()
    source: SourceSpec | None = None  # the generator's turns are stored there
    names: tuple[str, ...] = ()  # explicit: the Scenario of each index, gone ones included

    @property
    def count(self) -> int:
        return self.generator.scenarios if self.generator is not None else len(self.definitions)

    @property
    def present(self) -> list[ExplicitScenario]:
        """The explicit scenarios that exist, in order."""
        return [d for d in self.definitions if d is not None]

    @property
    def gone(self) -> dict[int, str]:
        """Index -> name of the pinned Scenarios that no longer exist."""
        return {i: self.names[i] for i, d in enumerate(self.definitions) if d is None}

    def definition(self, index: int) -> ExplicitScenario:
        """The explicit scenario `index` (it must exist)."""
        found = self.definitions[index]
        if found is None:
            raise ValueError(f"Scenario {self.names[index]!r} (index {index}) no longer exists")
        return found

    def turns(self, index: int) -> int:
        """Turns of scenario `index`."""
        if self.generator is not None:
            return self.generator.turns
        return len(self.definition(index).spec.turn_list())

    @property
    def max_turns(self) -> int:
        """The longest scenario's turns (report and progress columns)."""
        if self.generator is not None:
            return self.generator.turns
        return max((len(d.spec.turn_list()) for d in self.present), default=0)

    def snapshot(self, index: int) -> dict[str, Any]:
        """The ScenarioRunSpec fields that say what scenario `index` is."""
        if self.generator is not None:
            return {"generator": self.generator, "source": self.source}
        return {"definition": self.definition(index)}


def resolve_benchmark(
    benchmark: BenchmarkSpec,
    scenarios: Mapping[str, ScenarioDocument],
    scorers: Mapping[str, ScorerResourceSpec],
    *,
    where: str,
    pinned: Sequence[str] | None = None,
) -> BenchmarkScenarios:
    """The scenarios `benchmark` is made of; `scenarios` and `scorers` are what exists
    (`where`: "in this file", "in namespace 'x'"). Raises `CatalogueError`.

    `pinned`: the explicit Scenarios a run in flight fixed (`BenchmarkRunStatus.scenarios`),
    played in that order whatever the selection selects now; one that no longer exists is
    a None definition (`BenchmarkScenarios.gone`), for the run to decide about."""
    if benchmark.generator is not None:
        return BenchmarkScenarios(generator=benchmark.generator, source=benchmark.source)
    assert benchmark.scenarios is not None
    selection = benchmark.scenarios
    names = list(pinned) if pinned is not None else _selected(selection, scenarios, where)
    definitions: list[ExplicitScenario | None] = []
    for name in names:
        if name not in scenarios:
            definitions.append(None)
            continue
        spec = scenarios[name].spec
        used = custom_scorer_names(spec)
        missing = [s for s in used if s not in scorers]
        if missing:
            raise CatalogueError(
                SCORER_NOT_FOUND,
                f"Scenario {name!r} uses Scorer {', '.join(map(repr, missing))}, not found "
                f"{where}: create it, or fix the scenario's scorer.custom.name",
            )
        definitions.append(
            ExplicitScenario(name=name, spec=spec, scorers={s: scorers[s] for s in used})
        )
    return BenchmarkScenarios(definitions=tuple(definitions), names=tuple(names))


def _selected(
    selection: ScenarioSelection, scenarios: Mapping[str, ScenarioDocument], where: str
) -> list[str]:
    if selection.names is not None:
        missing = [n for n in selection.names if n not in scenarios]
        if missing:
            raise CatalogueError(
                SCENARIO_NOT_FOUND,
                f"Scenario {', '.join(map(repr, missing))} not found {where}: create it, or "
                "fix the Benchmark's spec.scenarios.names",
            )
    found = [n for n, doc in scenarios.items() if selection.selects(n, dict(doc.labels))]
    if not found:
        raise CatalogueError(
            SCENARIO_NOT_FOUND,
            f"no Scenario {where} has the labels {selection.match_labels}: label some, or fix "
            "the Benchmark's spec.scenarios.matchLabels",
        )
    return selection.order(found)


def not_public(run_namespace: str, ref: BenchmarkRef, labels: Mapping[str, str]) -> str:
    """Why a run in `run_namespace` may not use the Benchmark `ref` ("" when it may): a
    Benchmark of another namespace is shared only when labelled public."""
    if ref.namespace in (None, run_namespace) or labels.get(PUBLIC_LABEL) == "true":
        return ""
    return (
        f"Benchmark {ref.name!r} in namespace {ref.namespace!r} is not public: a run uses "
        f'another namespace\'s Benchmark only if it is labelled {PUBLIC_LABEL}: "true" '
        f"(its owner: kubectl label benchmark -n {ref.namespace} {ref.name} "
        f"{PUBLIC_LABEL}=true), or copy it into namespace {run_namespace!r} and remove "
        "spec.benchmarkRef.namespace"
    )


def unsupported_agent(scenarios: BenchmarkScenarios, agent: AgentSpec) -> str:
    """Why the Agent cannot play these scenarios ("" when it can)."""
    if scenarios.generator is None and agent.harness.value == "flaky":
        return FLAKY_GENERATED_ONLY
    return ""


def missing_env(scenarios: BenchmarkScenarios, agent: AgentSpec) -> list[str]:
    """Problems of the run's variables: every `environment.requiredEnv` of a scenario
    must be given by the Agent (`env` or `secretEnv`), one line per missing variable."""
    given = {e.name for e in agent.env} | {e.name for e in agent.secret_env}
    problems = []
    for definition in scenarios.present:
        for name in definition.spec.environment.required_env:
            if name not in given:
                problems.append(
                    f"Scenario {definition.name!r} requires the variable {name}: add it to "
                    "the Agent's env (or secretEnv for a credential)"
                )
    return problems


def required_secrets(scenarios: BenchmarkScenarios) -> list[str]:
    """The Secrets the scenarios require, sorted, once each."""
    return sorted({s for d in scenarios.present for s in d.spec.environment.required_secrets})
