"""CTRF (Common Test Report Format, ctrf.io) reports of a turn's test or scoring step.

Written by the trusted step next to the native result, as
`A/test_results/turn_TTT_attempt_A.ctrf.json` (`Artifacts.test_result_ctrf`). A generated
suite's test cases become CTRF tests (an Enduro `error`, a test that never ran or failed
in setup, is CTRF status `other` with `rawStatus` "error"); an explicit scenario's scoring
functions become CTRF tests too, passed at score 1.0, failed below it, `other` when the
scorer errored, with the score and weight in the test's `extra`. Durations and times are
integer milliseconds, as the spec requires.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from enduro.scoring.result import ContractResult
    from enduro.testrunner.result import TestResult

SPEC_VERSION = "1.0.0"
GENERATED_BY = "enduro"
STATUSES = ("passed", "failed", "skipped", "pending", "other")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _test(name: str, status: str, seconds: float, **fields: Any) -> dict[str, Any]:
    test: dict[str, Any] = {"name": name, "status": status, "duration": _ms(seconds)}
    if status == "other":
        test["rawStatus"] = "error"
    test.update({key: value for key, value in fields.items() if value})
    return test


def _report(
    tool: str, tests: list[dict[str, Any]], start: float, stop: float, extra: dict[str, Any]
) -> dict[str, Any]:
    summary: dict[str, Any] = {"tests": len(tests)}
    summary.update({status: sum(t["status"] == status for t in tests) for status in STATUSES})
    summary.update(start=_ms(start), stop=_ms(stop), duration=_ms(stop - start))
    results: dict[str, Any] = {"tool": {"name": tool}, "summary": summary, "tests": tests}
    if extra:
        results["extra"] = extra
    return {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "generatedBy": GENERATED_BY,
        "results": results,
    }


def from_test_result(result: TestResult, *, start: float, stop: float) -> dict[str, Any]:
    """The report of a generated suite's run (`start`/`stop` in seconds since the epoch)."""
    tests = [
        _test(
            case.id,
            "other" if case.outcome == "error" else str(case.outcome),
            case.seconds,
            message=case.message,
            trace=case.detail,
        )
        for case in result.tests
    ]
    extra = {"reason": result.reason} if result.reason else {}
    return _report("pytest", tests, start, stop, extra)


def from_contract_result(result: ContractResult, *, start: float, stop: float) -> dict[str, Any]:
    """The report of an explicit scenario's scoring: one CTRF test per scoring function."""
    tests = [
        _test(
            function.name,
            "other"
            if function.state == "error"
            else ("passed" if function.score >= 1.0 else "failed"),
            function.seconds,
            message=function.reason,
            extra={"score": function.score, "weight": function.weight},
        )
        for function in result.functions
    ]
    extra = {"contractScore": result.contract_score, "passScore": result.pass_score}
    return _report("enduro-scoring", tests, start, stop, extra)


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=1) + "\n"
