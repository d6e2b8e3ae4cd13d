"""The steps the engine asks for: run the agent, run the tests, or nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from enduro.api.scenariorun import ScenarioPhase


@dataclass(frozen=True)
class AgentStep:
    """Run the agent for `turn`/`attempt`; `retry` counts infrastructure re-runs;
    `restores` counts the workspace restores so far (a lost volume); `restore_turn`: the
    step first puts back the workspace of that turn's checkpoint."""

    turn: int
    attempt: int
    retry: int = 0
    restores: int = 0
    restore_turn: int | None = None


@dataclass(frozen=True)
class TestStep:
    """Run the turn's suite against the agent's server for `turn`/`attempt`."""

    __test__ = False  # not a pytest test class despite its name

    turn: int
    attempt: int
    retry: int = 0
    restores: int = 0


@dataclass(frozen=True)
class Done:
    """Nothing more to run; `phase` is how the scenario ended."""

    phase: ScenarioPhase


Step = AgentStep | TestStep | Done
