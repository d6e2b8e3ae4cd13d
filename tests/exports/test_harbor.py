"""`enduro export harbor`: a run written as the job folder Harbor's tools read."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TRIALS = ["scenario-000-turn-001", "scenario-000-turn-002"]
# What Harbor's trial result.json holds and its viewer lists (reward, agent, times, errors).
TRIAL_FIELDS = {
    "id", "task_name", "trial_name", "trial_uri", "source", "agent_info", "agent_result",
    "verifier_result", "exception_info", "started_at", "finished_at", "agent_execution",
    "verifier",
}  # fmt: skip


def _enduro(*args: str | Path, cwd: Path) -> str:
    proc = subprocess.run(
        ["enduro", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _run(tmp_path: Path, harness: str) -> Path:
    """The quick start, cut to one scenario of two turns, with `harness` as the agent."""
    text = (REPO / "examples" / "quickstart.yaml").read_text()
    text = text.replace("scenarios: 2", "scenarios: 1").replace("turns: 5", "turns: 2")
    text = text.replace("harness: oracle", f'harness: "{harness}"')
    file = tmp_path / f"{harness}.yaml"
    file.write_text(text)
    out = tmp_path / f"run-{harness}"
    _enduro("run", file, "--out", out, cwd=tmp_path)
    return out


@pytest.mark.e2e
@pytest.mark.parametrize(("harness", "reward"), [("oracle", 1.0), ("null", 0.0)])
def test_a_run_exports_as_one_harbor_trial_per_turn(
    tmp_path: Path,
    harness: str,
    reward: float,
    conforms: Callable[[str, Path], dict[str, Any]],
) -> None:
    run = _run(tmp_path, harness)
    # A trajectory written before ATIF 1.7 is upgraded on the way out.
    old = run / "scenario_0" / "trajectory" / "turn_001_attempt_1.json"
    old.write_text(old.read_text().replace('"ATIF-v1.7"', '"ATIF-v1.4"'))
    job = tmp_path / "job"
    assert "2 trial(s)" in _enduro("export", "harbor", run, job, cwd=tmp_path)

    assert sorted(p.name for p in job.iterdir() if p.is_dir()) == TRIALS
    summary = json.loads((job / "result.json").read_text())
    assert summary["n_total_trials"] == summary["stats"]["n_trials"] == 2
    assert summary["stats"]["evals"] == {
        f"{harness}__none__rest-quickstart": {
            "n_trials": 2,
            "n_errors": 0 if reward else 2,
            "metrics": [{"mean": reward}],
        }
    }
    for name in TRIALS:
        trial = job / name
        result = json.loads((trial / "result.json").read_text())
        assert set(result) == TRIAL_FIELDS
        assert result["verifier_result"] == {"rewards": {"reward": reward}}
        assert result["agent_info"]["name"] == harness
        assert result["started_at"] <= result["verifier"]["started_at"] <= result["finished_at"]
        trajectory = conforms("atif", trial / "agent" / "trajectory.json")
        assert trajectory["agent"]["name"] == harness
        tests = conforms("ctrf", trial / "verifier" / "ctrf.json")["results"]["summary"]
        assert tests["passed"] == (tests["tests"] if reward else 0)
        assert float((trial / "verifier" / "reward.txt").read_text()) == reward
        if reward:
            assert result["exception_info"] is None
        else:  # the null agent leaves no server to start: the test step fails, not the tests
            assert result["exception_info"]["exception_type"] == "server-start"
            assert "run.sh" in result["exception_info"]["exception_message"]


@pytest.mark.e2e
def test_a_report_without_attempts_still_exports_each_turn(tmp_path: Path) -> None:
    run = _run(tmp_path, "null")
    report = json.loads((run / "report.json").read_text())
    for scenario in report["results"]:
        scenario["attempts"] = []  # a cluster report read with --no-attempts
    (run / "report.json").write_text(json.dumps(report))
    _enduro("export", "harbor", run, tmp_path / "job", cwd=tmp_path)
    for name in TRIALS:
        result = json.loads((tmp_path / "job" / name / "result.json").read_text())
        # No failure classes to tell a step failure from failing tests: a scored turn is
        # reported by its reward alone.
        assert result["exception_info"] is None
        assert result["verifier_result"] == {"rewards": {"reward": 0.0}}
        assert result["agent_execution"]["started_at"] == result["started_at"]
