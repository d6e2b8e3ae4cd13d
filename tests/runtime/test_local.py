"""The local runtime end to end with the baseline agents: scores, artifacts, resume."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enduro.agents.baselines.context import BaselineContext
from enduro.agents.baselines.flaky import breaks
from enduro.api.agent import Baseline
from enduro.runtime.launch import run_file
from enduro.runtime.manifest import load_plan

pytestmark = pytest.mark.slow
RunFile = Callable[..., Path]


def _report(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "report.json").read_text())
    return data


def test_oracle_scores_one_and_writes_every_artifact(run_file: RunFile, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_file_code(run_file("oracle", turns=2), out) == 0
    report = _report(out)
    assert report["average_score"] == 1.0 and report["success_rate"] == 1.0
    [result] = report["results"]  # type: ignore[misc]
    assert result["stamina"] == 2
    s = out / "scenario_0"
    for path in (
        "state.json",
        "changes/turn_001.md",
        "schemas/turn_002.yaml",
        "test_suites/turn_002/conftest.py",
        "ground_truth/turn_001/app.py",
        "agent_code/turn_002_attempt_1/app.py",
        "agent_logs/turn_001_attempt_1.log",
        "trajectory/turn_001_attempt_1.json",
        "server_logs/turn_002_attempt_1.log",
        "test_results/turn_002_attempt_1.json",
        "workspace/SPEC.md",
        "workspace/openapi.yaml",
    ):
        assert (s / path).exists(), f"missing {path}"
    full = json.loads((s / "test_results/turn_002_attempt_1.json").read_text())
    assert full["total"] > 0 and full["passed"] == full["total"]
    state = json.loads((s / "state.json").read_text())
    assert state["artifactsRef"] == str(s.resolve())


def test_null_agent_scores_zero_with_stamina_zero(run_file: RunFile, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_file_code(run_file("null", turns=2, attempts=2), out) == 0
    report = _report(out)
    assert report["average_score"] == 0.0 and report["success_rate"] == 0.0
    [result] = report["results"]  # type: ignore[misc]
    assert result["stamina"] == 0
    assert [t["attempts"] for t in result["turns"]] == [2, 2]
    assert "no run.sh" in result["turns"][0]["reason"]
    feedback = out / "scenario_0/agent_code/turn_001_attempt_2/FEEDBACK.md"
    assert "no run.sh" in feedback.read_text()


def _flaky_seed(generator_seed: int) -> int:
    """A flaky seed whose agent breaks turn 1 on attempt 1 but not on attempt 2."""
    plan_ctx = dict(scenario=0, turn=1)
    for seed in range(1000):
        base = Baseline(break_probability=0.5, seed=seed)
        first, second = (
            BaselineContext(_gen(generator_seed), attempt=a, baseline=base, **plan_ctx)
            for a in (1, 2)
        )
        if breaks(first) and not breaks(second):
            return seed
    raise AssertionError("no seed found")


def _gen(seed: int) -> object:
    from enduro.api.generator import GeneratorSpec

    return GeneratorSpec(seed=seed, scenarios=1, turns=1, changes_per_turn=2)


def test_flaky_agent_recovers_on_retry_with_feedback(run_file: RunFile, tmp_path: Path) -> None:
    seed = _flaky_seed(3)
    path = run_file("flaky", turns=1, attempts=2, break_probability=0.5, baseline_seed=seed)
    out = tmp_path / "out"
    assert run_file_code(path, out) == 0
    [result] = _report(out)["results"]  # type: ignore[misc]
    assert result["turns"][0]["attempts"] == 2
    assert result["score"] == 1.0
    s = out / "scenario_0"
    first = json.loads((s / "test_results/turn_001_attempt_1.json").read_text())
    assert first["passed"] < first["total"]
    feedback = (s / "agent_code/turn_001_attempt_2/FEEDBACK.md").read_text()
    assert "# Feedback on turn 1, attempt 1" in feedback
    failing = [t["id"] for t in first["tests"] if t["outcome"] != "passed"]
    assert failing and all(test_id in feedback for test_id in failing[:5])
    assert not (s / "agent_code/turn_001_attempt_1/FEEDBACK.md").exists()


def test_resume_after_interruption_redoes_no_finished_step(
    run_file: RunFile, tmp_path: Path
) -> None:
    path = run_file("oracle", turns=3)
    out = tmp_path / "out"
    cmd = ["enduro", "run", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = out / "scenario_0" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if state.exists() and len(json.loads(state.read_text()).get("turns", [])) >= 1:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the run never finished a turn")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr
    done = json.loads(state.read_text())
    assert done["phase"] == "Running"
    finished = sorted((out / "scenario_0" / "test_results").glob("*.json"))
    stamps = {p.name: p.stat().st_mtime_ns for p in finished}

    again = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "--resume" in again.stderr  # no accidental overwrite

    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    report = _report(out)
    assert report["average_score"] == 1.0
    [result] = report["results"]  # type: ignore[misc]
    assert [t["turn"] for t in result["turns"]] == [1, 2, 3]
    for name, stamp in stamps.items():
        after = (out / "scenario_0" / "test_results" / name).stat().st_mtime_ns
        assert after == stamp, f"{name} was redone after resume"


def test_invalid_file_exits_2_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: enduro.dev/v1alpha1\nkind: Agent\nmetadata: {name: a}\nspec: {}\n")
    proc = subprocess.run(
        ["enduro", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "spec.harness: Field required" in proc.stderr
    assert not (tmp_path / "out").exists()


def run_file_code(path: Path, out: Path) -> int:
    load_plan(path)  # the file itself is valid: a failure below is the runtime's
    return run_file(path, out, resume=False)


def test_a_runtime_error_stops_one_scenario_and_the_rest_finish(
    run_file: RunFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from enduro.runtime import local

    original = local.LocalRun._execute

    def failing(self: local.LocalRun, spec: object, step: object, directory: Path, *a: Any) -> Any:
        if directory.name == "scenario_1":
            raise OSError(28, "No space left on device")
        return original(self, spec, step, directory, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(local.LocalRun, "_execute", failing)
    out = tmp_path / "out"
    code = run_file_code(run_file("null", scenarios=2, turns=1, parallelism=2), out)
    assert code == 1
    assert "scenario 1 stopped by the runtime: OSError" in capsys.readouterr().err
    report = _report(out)
    phases = {r["scenario"]: r["phase"] for r in report["results"]}  # type: ignore[attr-defined]
    assert phases == {0: "Succeeded", 1: "Running"}


def test_a_scenario_that_cannot_be_evaluated_fails_the_command(
    run_file: RunFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No codex CLI is installed here: every try of the agent step is an infrastructure
    # failure, the retries run out, and the command must not report success.
    out = tmp_path / "out"
    assert run_file_code(run_file("codex", turns=1), out) == 1
    err = capsys.readouterr().err
    assert "error: scenario 0 failed: infrastructure failure in the agent step" in err
    assert _report(out)["results"][0]["phase"] == "Failed"  # type: ignore[index]


def test_an_agent_step_killed_at_its_limit_is_the_agents_failure_as_on_a_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runtime's own kill (the pod's activeDeadlineSeconds on a cluster) goes through
    the engine's `step_timed_out`: the attempt is spent and the server still tested."""
    from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus
    from enduro.engine.events import AgentFinished
    from enduro.engine.machine import step_timed_out
    from enduro.engine.plan import AgentStep
    from enduro.runtime.local import LocalRun
    from enduro.steps import build

    monkeypatch.setattr(build, "AGENT_STEP_GRACE_SECONDS", 0)
    path = tmp_path / "hang.yaml"
    path.write_text(
        HANG.format(command="[sh, -c, \"trap '' TERM; exec sleep 60\"]", agent_seconds=2)
    )
    seen: list[ScenarioRunStatus] = []
    run = LocalRun(load_plan(path), tmp_path / "out", listener=lambda _, s: seen.append(s))
    [status] = run.run().values()
    expected = step_timed_out(AgentStep(1, 1), 2)
    assert isinstance(expected, AgentFinished)
    assert expected.outcome.reason in {s.agent_reason for s in seen}  # then tested
    [turn] = status.turns
    assert (status.phase, turn.attempts, turn.passed_turn) == (ScenarioPhase.SUCCEEDED, 1, False)
    assert turn.total > 0 and status.infra_retries == 0


HANG = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {{name: bench}}
spec:
  generator: {{seed: 3, scenarios: 1, turns: 1, changesPerTurn: 2}}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {{name: hang}}
spec:
  harness: command
  command: {command}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {{name: hang}}
spec:
  benchmarkRef: {{name: bench}}
  agentRef: {{name: hang}}
  attemptLimit: 1
  timeouts: {{agentSeconds: {agent_seconds}, testSeconds: 60, serverStartSeconds: 5}}
"""
