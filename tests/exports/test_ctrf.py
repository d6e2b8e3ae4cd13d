"""CTRF reports: what a generated suite's and a contract's results become."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from enduro.exports import ctrf
from enduro.scoring.result import ContractResult, FunctionResult, FunctionState
from enduro.testrunner.result import Outcome, TestCase, TestResult


def _write(tmp_path: Path, report: dict[str, Any]) -> Path:
    path = tmp_path / "turn_001_attempt_1.ctrf.json"
    path.write_text(ctrf.to_json(report))
    return path


def test_a_suite_that_did_not_run_is_reported_as_other_with_its_reason(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    result = TestResult.from_cases(
        [
            TestCase(id="test_a.py::test_ok", outcome=Outcome.PASSED, seconds=0.0123),
            TestCase(id="test_a.py::test_bad", outcome=Outcome.FAILED, message="1 != 2",
                     detail="Traceback ...", seconds=0.5),
            TestCase(id="test_a.py::test_down", outcome=Outcome.ERROR, message="no server"),
        ],
        reason="the server did not answer",
    )  # fmt: skip
    report = ctrf.from_test_result(result, start=1000.0, stop=1002.5)
    results = conforms("ctrf", _write(tmp_path, report))["results"]
    assert results["summary"] == {
        "tests": 3, "passed": 1, "failed": 1, "skipped": 0, "pending": 0, "other": 1,
        "start": 1_000_000, "stop": 1_002_500, "duration": 2500,
    }  # fmt: skip
    assert results["tests"] == [
        {"name": "test_a.py::test_ok", "status": "passed", "duration": 12},
        {"name": "test_a.py::test_bad", "status": "failed", "duration": 500,
         "message": "1 != 2", "trace": "Traceback ..."},
        {"name": "test_a.py::test_down", "status": "other", "duration": 0, "rawStatus": "error",
         "message": "no server"},
    ]  # fmt: skip
    assert results["extra"] == {"reason": "the server did not answer"}


def test_a_scorer_that_errored_is_other_and_scores_travel_in_extra(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    result = ContractResult(
        functions=[
            FunctionResult(name="tests", weight=0.5, score=0.5, seconds=1.0, reason="1 of 2"),
            FunctionResult(name="lint", weight=0.5, state=FunctionState.ERROR, reason="crashed"),
        ],
        contract_score=0.25, pass_score=1.0, passed=0, failed=1, errors=1, total=2,
    )  # fmt: skip
    report = ctrf.from_contract_result(result, start=10.0, stop=11.0)
    results = conforms("ctrf", _write(tmp_path, report))["results"]
    assert [(t["name"], t["status"], t["extra"]) for t in results["tests"]] == [
        ("tests", "failed", {"score": 0.5, "weight": 0.5}),
        ("lint", "other", {"score": 0.0, "weight": 0.5}),
    ]
    assert results["tool"] == {"name": "enduro-scoring"}
