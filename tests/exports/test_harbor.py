"""`enduro export harbor`: a run written as the job folder Harbor's tools read."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import official_formats

REPO = Path(__file__).resolve().parents[2]


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


def _trials(job: Path) -> list[str]:
    return sorted(p.name for p in job.iterdir() if p.is_dir())


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("harness", "attempts", "reward"), [("oracle", ["1"], 1.0), ("null", ["1", "2"], 0.0)]
)
def test_a_run_exports_as_one_harbor_trial_per_attempt(
    tmp_path: Path,
    harness: str,
    attempts: list[str],
    reward: float,
    conforms: Callable[[str, Path], dict[str, Any]],
) -> None:
    run = _run(tmp_path, harness)
    # A trajectory written before ATIF 1.7 is upgraded on the way out.
    old = run / "scenario_0" / "trajectory" / "turn_001_attempt_1.json"
    old.write_text(old.read_text().replace('"ATIF-v1.7"', '"ATIF-v1.4"'))
    job = tmp_path / "job"
    trials = [f"scenario-000-turn-{t}-attempt-{a}" for t in ("001", "002") for a in attempts]
    assert f"{len(trials)} trial(s)" in _enduro("export", "harbor", run, job, cwd=tmp_path)

    # Every file Harbor reads validates against Harbor's own models (and the CTRF schema).
    assert _trials(job) == trials
    config = conforms("harbor-job-config", job / "config.json")
    assert config["agents"] == [{"name": harness}]
    assert [t["name"] for t in config["tasks"]] == [
        "rest-quickstart/scenario-000-turn-001",
        "rest-quickstart/scenario-000-turn-002",
    ]
    summary = conforms("harbor-job-result", job / "result.json")
    assert summary["n_total_trials"] == summary["stats"]["n_completed_trials"] == len(trials)
    results = []
    for name in trials:
        trial = job / name
        result = conforms("harbor-trial-result", trial / "result.json")
        assert conforms("harbor-trial-config", trial / "config.json") == result["config"]
        assert result["trial_name"] == name
        assert result["task_name"] == "rest-quickstart/" + name.rsplit("-attempt-", 1)[0]
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
        results.append(official_formats.harbor_models().TrialResult.model_validate(result))

    # The job's counts are the ones Harbor computes from the trials' results.
    harbor = official_formats.harbor_models().JobStats.from_trial_results(results)
    stats = summary["stats"]
    assert stats["n_completed_trials"] == harbor.n_completed_trials
    assert stats["n_errored_trials"] == harbor.n_errored_trials == (0 if reward else len(trials))
    assert set(stats["evals"]) == set(harbor.evals) == {f"{harness}__rest-quickstart"}
    for key, ours in stats["evals"].items():
        theirs = harbor.evals[key]
        assert (ours["n_trials"], ours["n_errors"]) == (theirs.n_trials, theirs.n_errors)
        assert ours["exception_stats"] == theirs.exception_stats
        assert ours["reward_stats"] == {
            k: {str(r): names for r, names in v.items()} for k, v in theirs.reward_stats.items()
        }
        assert ours["metrics"] == [{"mean": reward}]


@pytest.mark.e2e
def test_a_report_without_attempts_still_exports_each_turn(tmp_path: Path) -> None:
    run = _run(tmp_path, "null")
    report = json.loads((run / "report.json").read_text())
    for scenario in report["results"]:
        scenario["attempts"] = []  # a cluster report read with --no-attempts
    (run / "report.json").write_text(json.dumps(report))
    _enduro("export", "harbor", run, tmp_path / "job", cwd=tmp_path)
    for name in _trials(tmp_path / "job"):
        result = json.loads((tmp_path / "job" / name / "result.json").read_text())
        # No failure classes to tell a step failure from failing tests: a scored turn is
        # reported by its reward alone.
        assert result["exception_info"] is None
        assert result["verifier_result"] == {"rewards": {"reward": 0.0}}
        assert result["agent_execution"]["started_at"] == result["started_at"]
