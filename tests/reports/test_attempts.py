"""Every attempt in the report: timing by part and failure classes, read from the artifacts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from enduro.reports.attempts import (
    AgentFailure,
    SuiteFailure,
    attempt_record,
    classify_agent_step,
    classify_suite,
    failure_counts,
    read_attempts,
)
from enduro.testrunner.result import TestCase, TestResult


def result(reason: str = "", passed: int = 2, total: int = 2, suite: float = 1.0) -> dict:
    cases = [
        TestCase(id=f"t{i}", outcome="passed" if i < passed else "failed") for i in range(total)
    ]
    made = TestResult.from_cases(
        cases, reason=reason, suite_seconds=suite, server_start_seconds=0.4
    )
    return json.loads(made.to_json())


NO_HEALTH = "server did not answer /health within 5s"
NO_RUN_SH = "the workspace has no run.sh: nothing to start the server with"
STOPPED = "the server stopped answering during the suite"
CONTRACT = {"passed": 1, "total": 2, "passScore": 1.0}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (result(), SuiteFailure.NONE),
        (result(passed=1), SuiteFailure.TESTS_FAILED),
        (result(NO_HEALTH, passed=0, suite=0.0), SuiteFailure.SERVER_START),
        (result(NO_RUN_SH, passed=0, suite=0.0), SuiteFailure.SERVER_START),
        (result(STOPPED, passed=1), SuiteFailure.SERVER_CRASH),
        (result("suite timeout after 5s (5.2s)", passed=1), SuiteFailure.SUITE_TIMEOUT),
        (result("suite collection failed: boom", passed=0), SuiteFailure.COLLECTION),
        ({**CONTRACT, "contractScore": 0.75}, SuiteFailure.TESTS_FAILED),
        ({**CONTRACT, "contractScore": 0.8, "passScore": 0.7}, SuiteFailure.NONE),
    ],
)
def test_a_suite_result_is_classified_by_what_kept_it_short(
    document: dict, expected: SuiteFailure
) -> None:
    assert classify_suite(document) is expected


def test_an_agent_outcome_is_classified_crash_timeout_or_infrastructure() -> None:
    assert classify_agent_step("none", "") is AgentFailure.NONE
    assert classify_agent_step("agent", "exit status 3") is AgentFailure.CRASH
    assert classify_agent_step("agent", "agent timed out after 60s") is AgentFailure.TIMEOUT
    assert classify_agent_step("infrastructure", "image pull") is AgentFailure.INFRASTRUCTURE


def test_an_attempt_joins_the_trajectory_outcome_and_the_test_result() -> None:
    trajectory = {
        "final_metrics": {
            "total_prompt_tokens": 120,
            "total_completion_tokens": 30,
            "total_cost_usd": 0.02,
            "extra": {"seconds": 7.5, "failure": "agent", "reason": "agent timed out after 7s"},
        }
    }
    record = attempt_record(3, 2, trajectory, result(passed=1))
    assert (record.turn, record.attempt, record.agent_seconds) == (3, 2, 7.5)
    assert (record.tokens_in, record.tokens_out, record.cost_usd) == (120, 30, 0.02)
    assert (record.server_start_seconds, record.suite_seconds) == (0.4, 1.0)
    assert record.agent_failure is AgentFailure.TIMEOUT
    assert record.suite_failure is SuiteFailure.TESTS_FAILED
    missing = attempt_record(4, 1, trajectory, None)
    assert missing.suite_failure is SuiteFailure.NOT_RUN
    assert missing.reason == "agent timed out after 7s"
    counts = failure_counts([record, missing])
    assert counts == {
        3: {"agent-timeout": 1, "tests-failed": 1},
        4: {"agent-timeout": 1, "not-run": 1},
    }


def test_unreadable_or_foreign_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "test_results").mkdir()
    (tmp_path / "test_results" / "turn_001_attempt_1.json").write_text("not json")
    (tmp_path / "test_results" / "notes.txt").write_text("x")
    [record] = read_attempts(tmp_path)
    assert (record.turn, record.suite_failure) == (1, SuiteFailure.NOT_RUN)


RUN = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {{name: tiny}}
spec:
  generator: {{seed: 3, scenarios: 1, turns: 2}}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {{name: "{agent}"}}
spec: {{harness: "{agent}"}}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {{name: tiny-{agent}}}
spec:
  benchmarkRef: {{name: tiny}}
  agentRef: {{name: "{agent}"}}
  attemptLimit: 2
"""


def run(tmp_path: Path, agent: str) -> tuple[dict, str]:
    file = tmp_path / f"{agent}.yaml"
    file.write_text(RUN.format(agent=agent))
    out = tmp_path / agent
    proc = subprocess.run(
        ["enduro", "run", str(file), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    subprocess.run(["enduro", "report", str(out)], capture_output=True, check=True)
    return report, (out / "report.md").read_text()


@pytest.mark.slow
def test_a_local_run_reports_every_attempt_with_its_failure_class(tmp_path: Path) -> None:
    report, markdown = run(tmp_path, "null")
    [scenario] = report["results"]
    attempts = scenario["attempts"]
    # The null agent writes no server: every attempt of both turns is tried and fails to start.
    assert [(a["turn"], a["attempt"]) for a in attempts] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert {a["suite_failure"] for a in attempts} == {"server-start"}
    assert {a["agent_failure"] for a in attempts} == {"none"}
    assert "| 1 | 2 | " in markdown and "server-start 2" in markdown

    report, markdown = run(tmp_path, "oracle")
    attempts = report["results"][0]["attempts"]
    assert [(a["turn"], a["attempt"], a["suite_failure"]) for a in attempts] == [
        (1, 1, "none"),
        (2, 1, "none"),
    ]
    assert all(a["suite_seconds"] > 0 and a["passed"] == a["total"] > 0 for a in attempts)
