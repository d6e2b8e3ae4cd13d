"""`StepContext`: everything a step needs to know, passed as `--context '<json>'`."""

from __future__ import annotations

from pydantic import Field

from enduro.agents.context import AgentStepContext
from enduro.api.generator import GeneratorSpec
from enduro.api.scenario import ExplicitScenario
from enduro.api.storage import SourceSpec


class StepContext(AgentStepContext):
    """The inputs of `enduro prepare-workspace`, `enduro agent` and `enduro test-runner`.

    It carries nothing a step could use to change its score: the suite is regenerated
    from (generator, scenario, turn), never read from the workspace. The container that
    runs an untrusted agent CLI gets no `generator` (with it and the generator's code, a
    seed can be brute-forced from SPEC.md): only trusted steps have one.
    """

    generator: GeneratorSpec | None = Field(
        default=None, description="The Benchmark's generator (trusted steps only)."
    )
    definition: ExplicitScenario | None = Field(
        default=None,
        description="The explicit scenario with its scoring contracts and reference outputs "
        "(trusted steps only).",
    )
    source: SourceSpec | None = Field(
        default=None,
        description="The Benchmark's stored set: the generator's turns are read from it "
        "(trusted steps only).",
    )
    restore_turn: int | None = Field(
        default=None,
        ge=1,
        description="The workspace volume was lost: `prepare-workspace` first restores the "
        "checkpoint of this turn from the artifact store (digest checked).",
    )

    def require_definition(self) -> ExplicitScenario:
        """The explicit scenario, for the trusted steps that prepare or score its turns."""
        if self.definition is None:
            raise ValueError("this step needs the context's explicit scenario, and it has none")
        return self.definition

    def require_generator(self) -> GeneratorSpec:
        """The generator, for the trusted steps that regenerate a turn."""
        if self.generator is None:
            raise ValueError("this step needs the context's generator, and it has none")
        return self.generator
