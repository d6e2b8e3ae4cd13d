"""`enduro scenario start | score | complete`: bring your own agent on this machine, as a
user types it, with the shipped example's scenarios. "The agent" is this test, editing
the workspace between commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enduro.cli import app

EXAMPLE = Path(__file__).parents[2] / "examples" / "explicit-quickstart.yaml"

pytestmark = pytest.mark.e2e


def enduro(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def state(run: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((run / "state.json").read_text())
    return loaded


def test_start_prepares_the_workspace_and_score_scores_it(tmp_path: Path) -> None:
    run = tmp_path / "fix"
    code, out = enduro("scenario", "start", str(EXAMPLE), "fix-add", "--out", str(run))
    assert code == 0, out
    assert f"workspace: {(run / 'workspace').resolve()}" in out
    assert "Make it return the sum" in (run / "workspace" / "TASK.md").read_text()
    assert state(run)["phase"] == "Running"

    calc = run / "workspace" / "calc.py"
    calc.write_text(calc.read_text().replace("a - b", "a + b"))  # the user's agent at work
    code, out = enduro("scenario", "score", str(run))
    assert code == 0, out
    assert "Scored, turn 1, scored turn 1: 1.0" in out
    assert "last turn by function: adds 1.0, negatives 1.0, zero 1.0" in out
    assert (run / "artifacts" / "test_results").is_dir()

    code, out = enduro("scenario", "complete", str(run))
    assert (code, state(run)["phase"], state(run)["score"]) == (0, "Completed", 1.0)
    code, out = enduro("scenario", "score", str(run))
    assert code == 2 and "the run is Completed: there is no turn to score" in out


def test_a_multi_turn_scenario_shows_the_next_turn_after_each_score(tmp_path: Path) -> None:
    run = tmp_path / "greeter"
    assert enduro("scenario", "start", str(EXAMPLE), "greeter", "--out", str(run))[0] == 0
    code, out = enduro("scenario", "score", str(run))  # nothing written: turn 1 scores 0
    assert code == 0 and "Running, turn 2, scored turn 1: 0.0" in out
    assert "Turn 2 of 2" in (run / "workspace" / "TASK.md").read_text()
    code, out = enduro("scenario", "complete", str(run))  # before turn 2 is scored
    assert code == 0 and "before turn 2 was scored" in out
    assert (state(run)["phase"], state(run)["score"]) == ("Completed", 0.0)


def test_bad_requests_say_what_to_do(tmp_path: Path) -> None:
    code, out = enduro("scenario", "start", str(EXAMPLE), "nope", "--out", str(tmp_path / "x"))
    assert code == 2 and "no Scenario named 'nope' (found: fix-add, greeter)" in out
    code, out = enduro("scenario", "score", str(tmp_path / "missing"))
    assert code == 2 and "is not a run folder" in out
    run = tmp_path / "twice"
    assert enduro("scenario", "start", str(EXAMPLE), "fix-add", "--out", str(run))[0] == 0
    code, out = enduro("scenario", "start", str(EXAMPLE), "fix-add", "--out", str(run))
    assert code == 2 and "already holds a run" in out
