"""What a scoring contract produced: each function's result, and the weighted score.

Pure: `combine` turns the functions' results into the contract's result (weights
normalised, an error scores 0), `summarize` into the compact `TestSummary` the engine
consumes. The full result document has the test runner's top-level counts (`passed`,
`failed`, `errors`, `total`) and `contractScore`, so `summary_problem` checks it the same
way as a generated suite's result.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from enduro.api.scenario import ScoringContract
from enduro.engine.results import TestSummary
from enduro.testrunner.result import REASON_LIMIT, digest

SCORE_PLACES = 4


class FunctionState(StrEnum):
    COMPLETE = "complete"  # the scorer ran and reported a score
    ERROR = "error"  # it crashed, timed out or printed no valid score: scores 0


class _Document(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class FunctionResult(_Document):
    """One scoring function's outcome."""

    name: str
    weight: float = Field(default=0.0, ge=0, le=1, description="Normalised by `combine`.")
    score: float = Field(default=0.0, ge=0, le=1)
    state: FunctionState = FunctionState.COMPLETE
    output: str = Field(default="", description="The scorer's output, capped.")
    reason: str = Field(default="", description="Why it is an error or scored below 1.")
    seconds: float = Field(default=0.0, ge=0)

    @classmethod
    def error(
        cls, name: str, reason: str, *, output: str = "", seconds: float = 0.0
    ) -> FunctionResult:
        return cls(
            name=name,
            state=FunctionState.ERROR,
            reason=reason,
            output=output,
            seconds=round(seconds, 3),
        )


class ContractResult(_Document):
    """The full result of one turn's scoring (the artifact `test_results/...json`)."""

    functions: list[FunctionResult]
    contract_score: float = Field(ge=0, le=1)
    pass_score: float = Field(ge=0, le=1)
    passed: int = Field(ge=0, description="Functions that scored 1.0.")
    failed: int = Field(ge=0, description="Functions complete below 1.0.")
    errors: int = Field(ge=0, description="Functions in state error.")
    total: int = Field(ge=0)

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)

    def failing(self) -> list[FunctionResult]:
        return [f for f in self.functions if f.state is FunctionState.ERROR or f.score < 1.0]


def combine(contract: ScoringContract, results: Iterable[FunctionResult]) -> ContractResult:
    """The contract's result, in the contract's order: each function weighted by its
    normalised weight, an error (or a function with no result) scoring 0."""
    by_name = {r.name: r for r in results}
    weights = contract.weights()
    functions = []
    for function in contract.functions:
        found = by_name.get(function.name) or FunctionResult.error(
            function.name, "the scoring function did not run"
        )
        score = 0.0 if found.state is FunctionState.ERROR else round(found.score, SCORE_PLACES)
        functions.append(
            found.model_copy(update={"weight": weights[function.name], "score": score})
        )
    total = round(sum(f.weight * f.score for f in functions), SCORE_PLACES)
    errors = sum(f.state is FunctionState.ERROR for f in functions)
    passed = sum(f.state is FunctionState.COMPLETE and f.score >= 1.0 for f in functions)
    return ContractResult(
        functions=functions,
        contract_score=min(1.0, total),
        pass_score=contract.pass_score,
        passed=passed,
        failed=len(functions) - passed - errors,
        errors=errors,
        total=len(functions),
    )


def summarize(result: ContractResult, result_json: str) -> TestSummary:
    """The compact summary the engine consumes: counts of functions, the names of those
    short of 1.0, and the reasons of the ones that are not (cut to fit 4 KiB)."""
    failing = result.failing()
    reason = "; ".join(f"{f.name}: {f.reason}" for f in failing if f.reason)
    return TestSummary(
        passed=result.passed,
        failed=result.failed,
        errors=result.errors,
        total=result.total,
        failing=[f.name for f in failing],
        reason=reason[:REASON_LIMIT],
        digest=digest(result_json),
        suite_seconds=round(sum(f.seconds for f in result.functions), 3),
        contract_score=result.contract_score,
        pass_score=result.pass_score,
        function_scores={f.name: f.score for f in result.functions},
    )
