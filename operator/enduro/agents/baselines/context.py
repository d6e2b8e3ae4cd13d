"""What a baseline agent reads of the step context (from ``ENDURO_CONTEXT``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from enduro.agents.baselines import CONTEXT_ENV
from enduro.api.agent import AgentSpec, Baseline
from enduro.api.generator import GeneratorSpec
from enduro.api.scenario import ExplicitScenario
from enduro.sandbox.policy import Isolation


@dataclass(frozen=True)
class BaselineContext:
    """A generated scenario's turn (`generator`) or an explicit one's (`definition`)."""

    generator: GeneratorSpec | None
    scenario: int
    turn: int
    attempt: int
    baseline: Baseline
    definition: ExplicitScenario | None = None
    isolation: Isolation = Isolation.NONE


def read_context() -> BaselineContext:
    data = json.loads(os.environ[CONTEXT_ENV])
    agent = AgentSpec.model_validate(data["agent"]) if data.get("agent") else None
    generator, definition = data.get("generator"), data.get("definition")
    return BaselineContext(
        generator=GeneratorSpec.model_validate(generator) if generator else None,
        definition=ExplicitScenario.model_validate(definition) if definition else None,
        scenario=int(data["scenario"]),
        turn=int(data["turn"]),
        attempt=int(data.get("attempt", 1)),
        baseline=(agent.baseline if agent and agent.baseline else Baseline()),
        isolation=Isolation(data.get("isolation", Isolation.POD.value)),
    )


def ground_truth(ctx: BaselineContext) -> dict[str, str]:
    """The turn's ground-truth server files (``app.py``, ``run.sh``) of a generated
    scenario."""
    from enduro.scenarios.turnfiles import TurnFiles

    if ctx.generator is None:
        raise ValueError("an explicit scenario has no generated ground truth")
    return TurnFiles(ctx.generator, ctx.scenario, ctx.turn).ground_truth()
