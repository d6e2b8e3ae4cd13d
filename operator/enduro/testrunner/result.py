"""What one test run produced: the full result (artifact) and its compact summary.

The full result goes to ``A/test_results/turn_NNN_attempt_M.json``; the summary
(``enduro.engine.results.TestSummary``, <= 4 KiB of JSON) is what travels back through
a bounded channel (``/dev/termination-log`` on Kubernetes, a file locally).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from enduro.engine.results import TestSummary

MESSAGE_LIMIT = 2000
REASON_LIMIT = 1000


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # setup/teardown error, or the test never ran (no server, timeout)


class TestCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    __test__ = False  # not a pytest class

    id: str
    outcome: Outcome
    message: str = ""  # the assertion message or the reason it did not run
    detail: str = ""  # the failure's traceback text, truncated
    seconds: float = 0.0


class TestResult(BaseModel):
    """The full result of one attempt's test step."""

    model_config = ConfigDict(extra="forbid")
    __test__ = False

    passed: int = 0
    failed: int = 0
    errors: int = 0
    total: int = 0
    reason: str = ""  # why the run is not a plain pass/fail count ("" when it is)
    tests: list[TestCase] = Field(default_factory=list)
    server_log_tail: str = ""
    server_start_seconds: float = 0.0
    suite_seconds: float = 0.0

    @classmethod
    def from_cases(cls, cases: list[TestCase], **extra: object) -> TestResult:
        return cls(
            passed=sum(c.outcome is Outcome.PASSED for c in cases),
            failed=sum(c.outcome is Outcome.FAILED for c in cases),
            errors=sum(c.outcome is Outcome.ERROR for c in cases),
            total=len(cases),
            tests=cases,
            **extra,
        )

    @property
    def score(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def failing(self) -> list[TestCase]:
        return [c for c in self.tests if c.outcome is not Outcome.PASSED]

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)


def digest(result_json: str) -> str:
    """Content address of the full result, so a summary points at exactly one result."""
    return "sha256:" + hashlib.sha256(result_json.encode()).hexdigest()


def summarize(result: TestResult, result_json: str) -> TestSummary:
    """The compact summary the engine consumes; ``to_message()`` keeps it under 4 KiB."""
    return TestSummary(
        passed=result.passed,
        failed=result.failed,
        errors=result.errors,
        total=result.total,
        failing=[c.id for c in result.failing()],
        reason=result.reason[:REASON_LIMIT],  # leave room for failing ids in 4 KiB
        digest=digest(result_json),
        server_start_seconds=result.server_start_seconds,
        suite_seconds=result.suite_seconds,
    )
