"""`StepContext`: everything a step needs to know, passed as `--context '<json>'`."""

from __future__ import annotations

from pydantic import Field

from enduro.api.agent import AgentSpec
from enduro.api.base import SpecModel
from enduro.api.settings import FeedbackLevel, Timeouts
from enduro.sandbox.policy import Isolation
from enduro.scenarios.generator import GeneratorSpec


class StepContext(SpecModel):
    """The inputs of `enduro prepare-workspace`, `enduro agent` and `enduro test-runner`.

    It carries nothing a step could use to change its score: the suite is regenerated
    from (generator, scenario, turn), never read from the workspace. The container that
    runs an untrusted agent CLI gets no `generator` (with it and the generator's code, a
    seed can be brute-forced from SPEC.md): only trusted steps have one.
    """

    generator: GeneratorSpec | None = Field(
        default=None, description="The Benchmark's generator (trusted steps only)."
    )
    scenario: int = Field(ge=0, description="Scenario index (0-based).")
    turn: int = Field(ge=1, description="Turn (1-based).")
    attempt: int = Field(ge=1, description="Attempt of the turn (1-based).")
    feedback_level: FeedbackLevel = Field(
        default=FeedbackLevel.DETAILED, description="What FEEDBACK.md tells the agent."
    )
    agent: AgentSpec | None = Field(default=None, description="The agent (agent step only).")
    timeouts: Timeouts = Field(default_factory=Timeouts, description="Step time limits.")
    isolation: Isolation = Field(
        default=Isolation.POD, description="How the step confines the agent's processes."
    )

    def require_generator(self) -> GeneratorSpec:
        """The generator, for the trusted steps that regenerate a turn."""
        if self.generator is None:
            raise ValueError("this step needs the context's generator, and it has none")
        return self.generator

    def to_json(self) -> str:
        """Compact JSON for the command line (defaults included: explicit beats implicit)."""
        return self.model_dump_json(exclude_none=True, by_alias=True)
