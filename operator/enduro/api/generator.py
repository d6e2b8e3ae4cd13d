"""`GeneratorSpec`: how a Benchmark's scenarios are generated, part of the API.

It lives here, not beside the generator, so the engine, the step contexts and the CRD
models can name it without importing the generator itself.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class GeneratorSpec(BaseModel):
    """How a Benchmark's scenarios are generated (embedded in the Benchmark CRD)."""

    # serialize_by_alias: it is dumped nested inside CRD specs and step contexts, whose
    # JSON is camelCase throughout (a nested model serialises by its own config).
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )

    kind: Literal["iterative-rest"] = Field(
        default="iterative-rest",
        description="Scenario family. `iterative-rest`: a REST server that evolves turn by turn.",
    )
    seed: int = Field(ge=0, description="Seed of the whole set; same seed, same scenarios.")
    scenarios: int = Field(ge=1, le=1000, description="Number of scenarios.")
    turns: int = Field(ge=1, le=1000, description="Turns per scenario.")
    changes_per_turn: int = Field(
        default=5, ge=1, le=20, description="Change requests per turn after the first."
    )
    sampler: Literal["weighted", "bedrock"] = Field(
        default="weighted",
        description="Where change requests come from: `weighted` (regenerated from the seed) "
        "or `bedrock` (a model filled the details: only as a stored set, `source`).",
    )
