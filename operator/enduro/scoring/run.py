"""`score_turn`: a turn's scoring contract run against a workspace, function by function.

Each function runs in a fresh private folder of its own (one function's test files are
never visible to another), sequentially, and whatever its scorer does ends in a
`FunctionResult`; `combine` then weighs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enduro.api.scenario import ExplicitScenario
from enduro.scoring.kinds import Scoring, score_function
from enduro.scoring.process import private_place
from enduro.scoring.result import ContractResult, FunctionResult, combine


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
    results = []
    for function in contract.functions:
        with private_place(workspace, workdir) as place:
            scoring = Scoring(place, confined=confined, custom_scripts=scripts, context=context)
            results.append(score_function(function, scoring))
    return combine(contract, results)
