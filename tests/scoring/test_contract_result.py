"""A contract's score: weights normalised, errors score 0, a summary the engine trusts."""

from __future__ import annotations

import json

from enduro.api.scenario import ScoringContract
from enduro.engine.results import summary_problem
from enduro.scoring.result import FunctionResult, FunctionState, combine, summarize


def _contract(**weights: float) -> ScoringContract:
    return ScoringContract.model_validate(
        {
            "functions": [
                {"name": name, "weight": weight, "scorer": {"command": {"command": "true"}}}
                for name, weight in weights.items()
            ],
            "passScore": 0.9,
        }
    )


def test_weights_are_normalised_and_the_score_is_their_weighted_sum() -> None:
    contract = _contract(tests=3, style=1)
    result = combine(
        contract,
        [FunctionResult(name="style", score=0.5), FunctionResult(name="tests", score=1.0)],
    )
    assert [(f.name, f.weight) for f in result.functions] == [("tests", 0.75), ("style", 0.25)]
    assert result.contract_score == 0.875
    assert (result.passed, result.failed, result.errors, result.total) == (1, 1, 0, 2)


def test_the_score_is_rounded_to_four_places_and_thirds_make_a_whole() -> None:
    contract = _contract(a=1, b=1, c=1)
    whole = combine(contract, [FunctionResult(name=n, score=1.0) for n in "abc"])
    assert whole.contract_score == 1.0
    part = combine(
        contract,
        [FunctionResult(name="a", score=1.0)] + [FunctionResult(name=n, score=0.0) for n in "bc"],
    )
    assert part.contract_score == 0.3333


def test_an_error_scores_zero_whatever_score_it_carries() -> None:
    contract = _contract(a=1, b=1)
    broken = FunctionResult(name="b", score=1.0, state=FunctionState.ERROR, reason="crashed")
    result = combine(contract, [FunctionResult(name="a", score=1.0), broken])
    assert result.functions[1].score == 0.0
    assert result.contract_score == 0.5
    assert (result.passed, result.failed, result.errors) == (1, 0, 1)


def test_a_function_without_a_result_is_an_error() -> None:
    result = combine(_contract(a=1, b=1), [FunctionResult(name="a", score=1.0)])
    assert result.functions[1].state is FunctionState.ERROR
    assert result.functions[1].reason == "the scoring function did not run"


def test_the_summary_is_verified_against_the_full_result() -> None:
    contract = _contract(tests=3, style=1)
    result = combine(
        contract,
        [
            FunctionResult(name="tests", score=1.0),
            FunctionResult.error("style", "timed out after 30 s"),
        ],
    )
    text = result.to_json()
    summary = summarize(result, text)
    document = json.loads(text)
    assert {"passed", "failed", "errors", "total", "contractScore"} <= set(document)
    assert summary_problem(summary, text.encode()) == ""
    assert summary.score == 0.75 and summary.pass_score == 0.9 and not summary.all_passed
    assert summary.failing == ["style"]
    assert summary.reason == "style: timed out after 30 s"
    forged = summary.model_copy(update={"contract_score": 1.0})
    assert "contract score" in summary_problem(forged, text.encode())
