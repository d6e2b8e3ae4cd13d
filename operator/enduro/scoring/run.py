"""`score_turn`: a turn's scoring contract run against a workspace, function by function.

Each function runs in a fresh private folder of its own (one function's test files are
never visible to another), sequentially, and whatever its scorer does ends in a
`FunctionResult`; `combine` then weighs them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from enduro.api.scenario import ExplicitScenario, ScorerType, ScoringFunction
from enduro.scoring import kinds
from enduro.scoring.astgrep import ast_grep
from enduro.scoring.kinds import Scoring
from enduro.scoring.process import private_place
from enduro.scoring.python import python_script
from enduro.scoring.result import ContractResult, FunctionResult, combine

KINDS: dict[ScorerType, Callable[[ScoringFunction, Scoring], FunctionResult]] = {
    ScorerType.TEST_BASED: kinds.test_based,
    ScorerType.COMMAND: kinds.command,
    ScorerType.BASH_SCRIPT: kinds.bash_script,
    ScorerType.PYTHON_SCRIPT: python_script,
    ScorerType.AST_GREP: ast_grep,
    ScorerType.CUSTOM: kinds.custom,
}


def score_turn(
    definition: ExplicitScenario,
    turn: int,
    workspace: Path,
    *,
    confined: bool,
    extra_context: dict[str, Any],
) -> ContractResult:
    """Score turn `turn` (1-based) of `definition` on `workspace` (read-only to scorers
    when `confined`). `extra_context` joins what a custom scorer reads in
    `$ENDURO_SCORER_CONTEXT` (the scenario's name and the turn are always there)."""
    contract = definition.spec.turn(turn).scoring_contract
    workdir = workspace / definition.spec.environment.working_dir
    if not workdir.is_dir():
        reason = f"the working directory {definition.spec.environment.working_dir!r} is missing"
        return combine(contract, [FunctionResult.error(f.name, reason) for f in contract.functions])
    context = {**extra_context, "scenario": definition.name, "turn": turn}
    scripts = {name: scorer.bash_script for name, scorer in definition.scorers.items()}
    env = {e.name: e.value for e in definition.spec.environment.env}
    results = []
    for function in contract.functions:
        with private_place(workspace, workdir) as place:
            scoring = Scoring(
                place, confined=confined, custom_scripts=scripts, context=context, env=env
            )
            results.append(_score_function(function, scoring))
    return combine(contract, results)


def _score_function(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    try:
        return KINDS[function.scorer.type](function, scoring)
    except Exception as exc:
        reason = f"the scorer could not run: {type(exc).__name__}: {exc}"
        return FunctionResult.error(function.name, reason)
