"""The runner trusts nothing around the suite: not a conftest.py above it, not a summary
it did not write."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from enduro.engine.results import TestSummary, summary_problem
from enduro.testrunner.result import TestResult, summarize
from enduro.testrunner.suite import run_suite

EVERYTHING_PASSES = textwrap.dedent(
    """
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        report.outcome = "passed"
        report.longrepr = None
    """
)


def test_a_conftest_planted_above_the_suite_is_never_loaded(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(EVERYTHING_PASSES)  # as an agent would in /tmp
    suite = tmp_path / "enduro-suite-x"
    suite.mkdir()
    (suite / "test_api.py").write_text("def test_fails():\n    assert False, 'no server'\n")
    outcome = run_suite(suite, "http://127.0.0.1:9", 30)
    assert outcome.reason == ""
    assert [c.outcome.value for c in outcome.cases] == ["failed"]


def _result_text(passed: int, total: int) -> str:
    return TestResult(passed=passed, failed=total - passed, total=total).to_json()


def test_a_summary_is_accepted_only_for_the_result_it_describes() -> None:
    text = _result_text(1, 4)
    summary = summarize(TestResult.model_validate_json(text), text)
    assert summary_problem(summary, text.encode()) == ""


def test_a_forged_summary_is_rejected() -> None:
    text = _result_text(1, 4)
    forged = TestSummary(passed=4, total=4, digest=summarize(TestResult(), text).digest)
    assert "counts" in summary_problem(forged, text.encode())
    rewritten = _result_text(4, 4)  # a result rewritten to match a forged summary
    honest = summarize(TestResult.model_validate_json(text), text)
    assert "digest" in summary_problem(honest, rewritten.encode())
    assert "digest" in summary_problem(TestSummary(passed=0, total=4), text.encode())
    assert json.loads(text)["passed"] == 1
