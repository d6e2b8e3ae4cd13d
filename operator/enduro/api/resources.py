"""Names of Enduro's custom resources: group, version, kinds, plurals, short names."""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "enduro.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
CATEGORY = "enduro"


@dataclass(frozen=True)
class Resource:
    """How Kubernetes names one custom resource."""

    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    categories: tuple[str, ...] = (CATEGORY,)
    group: str = GROUP
    version: str = VERSION

    @property
    def crd_name(self) -> str:
        """`<plural>.<group>`, the CustomResourceDefinition's metadata.name."""
        return f"{self.plural}.{self.group}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


BENCHMARK = Resource("Benchmark", "benchmarks", "benchmark", ("bm",))
AGENT = Resource("Agent", "agents", "agent", ("ag",))
BENCHMARK_RUN = Resource("BenchmarkRun", "benchmarkruns", "benchmarkrun", ("br",))
SCENARIO_RUN = Resource("ScenarioRun", "scenarioruns", "scenariorun", ("sr",))
SCENARIO = Resource("Scenario", "scenarios", "scenario", ("sc",))
SCORER = Resource("Scorer", "scorers", "scorer", ())

ALL = (BENCHMARK, AGENT, BENCHMARK_RUN, SCENARIO_RUN, SCENARIO, SCORER)
