"""`Benchmark`: a catalogue entry describing the scenarios an agent is run against."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from enduro.api.base import SpecModel, StatusModel, cel_rules
from enduro.api.conditions import ConditionList
from enduro.api.generator import GeneratorSpec
from enduro.api.storage import SourceSpec

# A Benchmark with this label set to "true" is public: runs in any namespace may use it
# (`BenchmarkRun.spec.benchmarkRef.namespace`), and `enduro benchmarks list --public` lists it.
PUBLIC_LABEL = "enduro.dev/public"


class BenchmarkPhase(StrEnum):
    PENDING = "Pending"
    READY = "Ready"
    INVALID = "Invalid"


class ScenarioSelection(SpecModel):
    """Which Scenario resources (same namespace, or the same file locally) a benchmark of
    explicit scenarios is made of: by name, or by label."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "has(self.names) != has(self.matchLabels)",
                "set exactly one of scenarios.names and scenarios.matchLabels",
            )
        )
    )

    names: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Scenario names, in this order.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    match_labels: dict[str, str] | None = Field(
        default=None,
        description="Every Scenario with all of these labels, ordered by name.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ScenarioSelection:
        if (self.names is None) == (self.match_labels is None):
            raise ValueError("set exactly one of names and matchLabels")
        return self

    def selects(self, name: str, labels: dict[str, str]) -> bool:
        """Whether a Scenario with this name and these labels belongs to the benchmark."""
        if self.names is not None:
            return name in self.names
        assert self.match_labels is not None
        return all(labels.get(k) == v for k, v in self.match_labels.items())

    def order(self, names: list[str]) -> list[str]:
        """The selected names in benchmark order (listed order, or by name)."""
        if self.names is not None:
            return [n for n in self.names if n in names]
        return sorted(names)


class BenchmarkSpec(SpecModel):
    """A benchmark of generated scenarios (`generator`) or of explicit ones (`scenarios`)."""

    model_config = ConfigDict(
        json_schema_extra=cel_rules(
            (
                "has(self.generator) != has(self.scenarios)",
                "set exactly one of generator (generated scenarios) and scenarios (Scenario "
                "resources)",
            ),
            (
                "!has(self.source) || has(self.generator)",
                "source (a stored set) needs the generator it was made with",
            ),
        )
    )

    generator: GeneratorSpec | None = Field(
        default=None,
        description="How the scenarios are generated (deterministic from the seed).",
    )
    scenarios: ScenarioSelection | None = Field(
        default=None, description="The explicit Scenario resources it is made of."
    )
    source: SourceSpec | None = Field(
        default=None,
        description="Load a stored scenario set (digests checked) instead of regenerating it; "
        "`generator` must equal the set's.",
    )
    description: str = Field(
        default="", max_length=4096, description="What this benchmark measures, for humans."
    )
    tags: list[str] = Field(
        default_factory=list,
        max_length=32,
        description="Free labels for catalogue search, e.g. `rest`, `long-horizon`.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> BenchmarkSpec:
        if (self.generator is None) == (self.scenarios is None):
            raise ValueError(
                "set exactly one of generator (generated scenarios) and scenarios "
                "(Scenario resources)"
            )
        if self.source is not None and self.generator is None:
            raise ValueError("source (a stored set) needs the generator it was made with")
        return self

    def require_generator(self) -> GeneratorSpec:
        """The generator of a generated benchmark."""
        if self.generator is None:
            raise ValueError("this benchmark has explicit scenarios, not a generator")
        return self.generator


class BenchmarkStatus(StatusModel):
    """What the operator observed of the Benchmark."""

    phase: BenchmarkPhase = Field(
        default=BenchmarkPhase.PENDING, description="`Pending`, `Ready` or `Invalid`."
    )
    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: ConditionList = Field(
        default_factory=list, description="Standard conditions (`Ready`)."
    )
    scenario_count: int | None = Field(
        default=None, ge=0, description="Number of scenarios this benchmark provides."
    )
