"""`enduro agent` for a real harness: records, and a CLI or key that is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from enduro.agents import atif
from enduro.agents.cli_step import outcome_trajectory
from enduro.agents.step import run_agent_step
from enduro.api.agent import AgentSpec
from enduro.api.generator import GeneratorSpec
from enduro.engine.results import AgentOutcome, FailureClass
from enduro.steps.context import StepContext


def _context(harness: str = "mini-swe-agent") -> StepContext:
    agent = AgentSpec.model_validate(
        {
            "harness": harness,
            "model": {"provider": "scripted", "name": "scripted", "baseUrl": "http://127.0.0.1:9"},
            "secretEnv": [{"name": "OPENAI_API_KEY", "secretKeyRef": {"name": "s", "key": "k"}}],
        }
    )
    return StepContext(
        generator=GeneratorSpec(seed=1, scenarios=1, turns=2),
        scenario=0,
        turn=2,
        attempt=1,
        agent=agent,
    )


def test_baseline_outcome_is_an_atif_trajectory() -> None:
    outcome = AgentOutcome(exit_code=1, reason="boom", failure=FailureClass.AGENT, seconds=2.0)
    trajectory = outcome_trajectory("oracle", _context(), outcome, prompt="do it")
    assert trajectory.agent.name == "oracle"
    assert [s.source for s in trajectory.steps] == ["user"]
    assert trajectory.final_metrics is not None
    assert trajectory.final_metrics.extra == {
        "exit_code": 1, "reason": "boom", "failure": "agent", "seconds": 2.0,
    }  # fmt: skip
    assert trajectory.extra == {"scenario": 0, "turn": 2, "attempt": 1}


def test_agent_step_with_a_cli_that_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, artifacts = tmp_path / "ws", tmp_path / "A"
    workspace.mkdir()
    (workspace / "CHANGES.md").write_text("# Changes for turn 2\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin") + os.pathsep + "/nonexistent")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unit-0000")
    outcome = run_agent_step(_context(), workspace, artifacts)
    assert outcome.failure is FailureClass.INFRASTRUCTURE
    assert outcome.exit_code == 127
    assert outcome.reason.startswith("harness CLI 'mini' is not installed (not on PATH)")
    trajectory = atif.read(artifacts / "trajectory" / "turn_002_attempt_1.json")
    assert trajectory.agent.name == "mini-swe-agent"
    assert trajectory.extra == {"scenario": 0, "turn": 2, "attempt": 1}
    assert "# Changes for turn 2" in trajectory.steps[0].message


def test_agent_step_without_the_credential_does_not_start_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    outcome = run_agent_step(_context("aider"), tmp_path, tmp_path / "A")
    assert outcome.failure is FailureClass.INFRASTRUCTURE
    assert "set OPENAI_API_KEY through secretEnv" in outcome.reason
