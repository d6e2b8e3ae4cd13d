"""`enduro prepare-workspace` of an explicit scenario: seed files and setup commands once
(marked in the artifacts, not the workspace), TASK.md each turn, FEEDBACK.md from the
previous attempt's contract result, and a failing setup command as a clear reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from enduro.agents.prompt import render_prompt
from enduro.api.scenario import ExplicitScenario
from enduro.api.settings import FeedbackLevel
from enduro.artifacts import Artifacts
from enduro.scoring.result import ContractResult, FunctionResult, FunctionState
from enduro.steps.context import StepContext
from enduro.workspace.explicit import SetupError, prepare_explicit
from enduro.workspace.prepare import prepare_workspace


def definition(**environment: Any) -> ExplicitScenario:
    contract = {"functions": [{"name": "ok", "weight": 1, "scorer": {"command": {"command": "x"}}}]}
    turn = {"inputContext": {"problemStatement": "Fix add."}, "scoringContract": contract}
    second = {
        "inputContext": {"problemStatement": "Add mul.", "additionalContext": {"hint": 1}},
        "scoringContract": contract,
    }
    return ExplicitScenario.model_validate(
        {
            "name": "calc",
            "spec": {
                "inputContext": {"problemStatement": "A calculator."},
                "environment": environment,
                "turns": [turn, second],
            },
        }
    )


def context(turn: int = 1, attempt: int = 1, **environment: Any) -> StepContext:
    return StepContext(
        definition=definition(**environment),
        scenario=0,
        turn=turn,
        attempt=attempt,
        feedback_level=FeedbackLevel.DETAILED,
    )


def test_seed_files_and_setup_run_once_in_the_working_directory(tmp_path: Path) -> None:
    workspace, artifacts = tmp_path / "ws", tmp_path / "a"
    env = {
        "workingDir": "src",
        "files": {"calc.py": "x = 1\n", "pkg/__init__.py": ""},
        "setupCommands": ["echo ran >> setup.log", 'echo "$CALC_MODE" > mode'],
        "env": [{"name": "CALC_MODE", "value": "strict"}],
    }
    prepare_workspace(context(**env), workspace, artifacts)
    assert (workspace / "src" / "calc.py").read_text() == "x = 1\n"
    assert (workspace / "src" / "pkg" / "__init__.py").exists()
    assert (workspace / "src" / "mode").read_text() == "strict\n"
    (workspace / "src" / "calc.py").write_text("the agent's edit\n")
    prepare_workspace(context(turn=2, **env), workspace, artifacts)
    # Not again: the agent's work stays, and the setup ran once.
    assert (workspace / "src" / "calc.py").read_text() == "the agent's edit\n"
    assert (workspace / "src" / "setup.log").read_text() == "ran\n"
    assert not list(workspace.rglob("setup.json"))  # the mark is in the artifacts


def test_task_md_holds_the_turn_s_statement_and_context_and_the_prompt_is_it(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "ws"
    prepare_workspace(context(turn=2, workingDir="src"), workspace, tmp_path / "a")
    task = (workspace / "TASK.md").read_text()
    assert task.startswith("A calculator.\n\n## Turn 2 of 2\n\nAdd mul.")
    assert "Work in the directory `src`." in task and '"hint": 1' in task
    prompt = render_prompt(workspace, explicit=True)
    assert "Add mul." in prompt and "SPEC.md" not in prompt
    assert "Fix add." not in prompt


def test_a_failing_setup_command_is_named_with_its_output(tmp_path: Path) -> None:
    bad = {"setupCommands": ["true", "echo nope >&2; exit 3"]}
    with pytest.raises(SetupError) as failed:
        prepare_explicit(context(**bad), tmp_path / "ws", tmp_path / "a")
    message = str(failed.value)
    assert message.startswith("environment.setupCommands[1] exited 3: nope (command ")
    assert not (tmp_path / "a" / "environment" / "setup.json").exists()  # retried next time


def test_the_cli_says_why_on_its_last_line(tmp_path: Path) -> None:
    bad = context(setupCommands=["exit 7"]).to_json()
    done = subprocess.run(
        [sys.executable, "-m", "enduro", "prepare-workspace", "--context", bad,
         "--workspace", str(tmp_path / "ws"), "--artifacts", str(tmp_path / "a")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "error: the scenario's setup failed: environment.setupCommands[0] exited 7 "
        "(command 'exit 7')"
    )


def result(*functions: FunctionResult) -> str:
    passed = sum(f.score == 1.0 for f in functions)
    errors = sum(f.state is FunctionState.ERROR for f in functions)
    return ContractResult(
        functions=list(functions),
        contract_score=sum(f.weight * f.score for f in functions),
        pass_score=1.0,
        passed=passed,
        failed=len(functions) - passed - errors,
        errors=errors,
        total=len(functions),
    ).to_json()


def test_feedback_comes_from_the_previous_contract_result(tmp_path: Path) -> None:
    workspace, artifacts = tmp_path / "ws", tmp_path / "a"
    path = Artifacts(artifacts).test_result(1, 1)
    path.parent.mkdir(parents=True)
    path.write_text(
        result(
            FunctionResult(name="adds", weight=0.75, score=1.0),
            FunctionResult(
                name="types", weight=0.25, score=0.0, output="mypy: 2 errors", reason="exit 1"
            ),
        )
    )
    prepare_workspace(context(attempt=2), workspace, artifacts)
    feedback = (workspace / "FEEDBACK.md").read_text()
    assert "Score 0.75 (the turn passes at 1)" in feedback
    assert "* `types` (weight 0.25): score 0, complete" in feedback
    assert "mypy: 2 errors" in feedback
    assert "### `adds`" not in feedback  # fully satisfied: nothing to say
    prepare_workspace(context(turn=2), workspace, artifacts)
    assert not (workspace / "FEEDBACK.md").exists()  # a new turn starts clean
    summary = json.loads(path.read_text())
    assert summary["contractScore"] == 0.75
