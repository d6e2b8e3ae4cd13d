"""`Benchmark`: a catalogue entry describing the scenarios an agent is run against."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from enduro.api.base import SpecModel, StatusModel
from enduro.api.conditions import ConditionList
from enduro.api.storage import SourceSpec
from enduro.scenarios.generator import GeneratorSpec


class BenchmarkPhase(StrEnum):
    PENDING = "Pending"
    READY = "Ready"
    INVALID = "Invalid"


class BenchmarkSpec(SpecModel):
    """A benchmark of generated scenarios."""

    generator: GeneratorSpec = Field(
        description="How the scenarios are generated (deterministic from the seed)."
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
