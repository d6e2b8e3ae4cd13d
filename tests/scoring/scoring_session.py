"""A user's scenario in a few lines: a contract over a small library, scored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enduro.api.scenario import ExplicitScenario
from enduro.scoring.result import ContractResult, FunctionResult
from enduro.scoring.run import score_turn

LIBRARY = "def add(a, b):\n    return a + b\n"


def function(name: str, scorer: dict[str, Any], *, weight: float = 1, timeout: int = 60) -> Any:
    return {"name": name, "weight": weight, "scorer": scorer, "timeoutSeconds": timeout}


def scenario(
    *functions: dict[str, Any],
    scorers: dict[str, str] | None = None,
    pass_score: float = 1.0,
) -> ExplicitScenario:
    """A one-turn scenario working in `calc/`, as a user writes it in YAML."""
    return ExplicitScenario.model_validate(
        {
            "name": "calc-add",
            "spec": {
                "inputContext": {"problemStatement": "Make add() add."},
                "environment": {"workingDir": "calc"},
                "scoringContract": {"functions": list(functions), "passScore": pass_score},
            },
            "scorers": {name: {"bashScript": script} for name, script in (scorers or {}).items()},
        }
    )


def score(
    definition: ExplicitScenario, workspace: Path, *, confined: bool = True, turn: int = 1
) -> ContractResult:
    return score_turn(definition, turn, workspace, confined=confined, extra_context={})


def only(result: ContractResult) -> FunctionResult:
    (one,) = result.functions
    return one


def bash(script: str, **kwargs: Any) -> Any:
    return function("script", {"bashScript": {"script": script}}, **kwargs)
