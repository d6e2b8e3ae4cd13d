"""`AgentStepContext`: what the agent step's main container is told, and nothing more.

It is `enduro.steps.context.StepContext` without the generator: the harness runtime
reads it without importing the scenario generator, so an agent image can leave the
generator out entirely (docs/security.md).
"""

from __future__ import annotations

from pydantic import Field

from enduro.api.agent import AgentSpec
from enduro.api.base import SpecModel
from enduro.api.settings import FeedbackLevel, Timeouts
from enduro.sandbox.policy import Isolation


class AgentStepContext(SpecModel):
    """Which attempt this is, of which agent, with which limits and isolation."""

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
    explicit: bool | None = Field(
        default=None,
        description="An explicit scenario: the task is TASK.md, not SPEC.md and CHANGES.md "
        "(unset for generated scenarios, so their context is unchanged).",
    )

    def to_json(self) -> str:
        """Compact JSON for the command line (defaults included: explicit beats implicit)."""
        return self.model_dump_json(exclude_none=True, by_alias=True)
