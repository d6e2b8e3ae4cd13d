"""The step results the runtimes parse: scores and the bounded termination message."""

from __future__ import annotations

import hashlib
import json

import pytest
from pydantic import ValidationError

from enduro.engine.results import (
    SUMMARY_MAX_BYTES,
    AgentOutcome,
    FailureClass,
    TestSummary,
    summary_problem,
)


def test_score_and_pass() -> None:
    assert TestSummary(passed=3, failed=1, total=4).score == 0.75
    assert TestSummary(passed=2, total=3, failed=1).score == 0.6667
    assert TestSummary(passed=4, total=4).all_passed
    assert not TestSummary(passed=3, failed=1, total=4).all_passed


def test_an_empty_suite_scores_zero_and_does_not_pass() -> None:
    empty = TestSummary(passed=0, total=0)
    assert (empty.score, empty.all_passed) == (0.0, False)


def test_counts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"exceeds total \(3\)"):
        TestSummary(passed=3, failed=1, total=3)


def test_message_fits_a_termination_message() -> None:
    summary = TestSummary(
        passed=1,
        failed=999,
        total=1000,
        failing=[f"tests/test_x.py::test_{'a' * 200}_{i}" for i in range(999)],
        reason="r" * 10000,
    )
    text = summary.to_message()
    assert len(text.encode()) <= SUMMARY_MAX_BYTES
    parsed = TestSummary.model_validate_json(text)
    assert (parsed.passed, parsed.failed, parsed.total) == (1, 999, 1000)


def test_function_scores_are_cut_last_to_fit() -> None:
    scores = {f"function-{'x' * 50}-{i}": 0.5 for i in range(100)}
    summary = TestSummary(passed=0, failed=100, total=100, reason="r" * 100, function_scores=scores)
    parsed = TestSummary.model_validate_json(summary.to_message())
    assert len(summary.to_message().encode()) <= SUMMARY_MAX_BYTES
    assert parsed.reason == "" and 0 < len(parsed.function_scores) < 100
    assert list(parsed.function_scores) == list(scores)[: len(parsed.function_scores)]


def test_small_message_round_trips_in_camel_case() -> None:
    summary = TestSummary(passed=1, failed=1, total=2, failing=["t::a"], digest="sha256:x")
    text = summary.to_message()
    assert json.loads(text)["failing"] == ["t::a"]
    assert TestSummary.model_validate_json(text) == summary


def test_agent_outcome_parses_camel_case() -> None:
    outcome = AgentOutcome.model_validate_json(
        '{"exitCode": 1, "failure": "agent", "tokensIn": 10, "costUsd": 0.5, "extra": 1}'
    )
    assert outcome.failure is FailureClass.AGENT
    assert (outcome.exit_code, outcome.tokens_in, outcome.cost_usd) == (1, 10, 0.5)


def test_a_function_score_changed_after_scoring_is_refused() -> None:
    full = json.dumps(
        {
            "functions": [{"name": "adds", "score": 0.0}],
            "contractScore": 0.0,
            "passed": 0,
            "failed": 1,
            "errors": 0,
            "total": 1,
        }
    )
    digest = "sha256:" + hashlib.sha256(full.encode()).hexdigest()
    honest = TestSummary(
        passed=0,
        failed=1,
        total=1,
        digest=digest,
        contract_score=0.0,
        function_scores={"adds": 0.0},
    )
    assert summary_problem(honest, full.encode()) == ""
    forged = honest.model_copy(update={"function_scores": {"adds": 1.0}})
    assert "scores of adds" in summary_problem(forged, full.encode())
