"""The test step scores with the pristine suite: the agent's copy of tests/ never counts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.artifacts import Artifacts, write_tree
from enduro.scenarios.turnfiles import TurnFiles
from enduro.steps.context import StepContext
from enduro.testrunner.step import run_test_step

pytestmark = pytest.mark.slow

CONTEXT = StepContext(
    generator=GeneratorSpec(seed=5, scenarios=1, turns=1, changes_per_turn=2),
    scenario=0,
    turn=1,
    attempt=1,
)


def _workspace(tmp_path: Path, *, oracle: bool) -> Path:
    workspace = tmp_path / "workspace"
    files = TurnFiles(CONTEXT.generator, 0, 1)
    if oracle:
        write_tree(workspace, files.ground_truth())
    write_tree(workspace / "tests", files.suite())
    return workspace


def test_rewriting_the_visible_tests_does_not_raise_the_score(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, oracle=False)
    (workspace / "run.sh").write_text("exec python -c 'import time; time.sleep(60)'\n")
    shutil.rmtree(workspace / "tests")
    write_tree(workspace / "tests", {"test_all.py": "def test_everything():\n    pass\n"})
    timeouts = CONTEXT.timeouts.model_copy(update={"server_start_seconds": 1})
    context = CONTEXT.model_copy(update={"timeouts": timeouts})
    summary = run_test_step(context, workspace, tmp_path / "artifacts", server_url=None)
    assert summary.passed == 0
    assert summary.total > 1, "the agent's one-test suite was run instead of the pristine one"
    assert "did not answer 200 within 1s" in summary.reason


def test_deleting_the_visible_tests_does_not_lower_the_score(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    workspace = _workspace(tmp_path, oracle=True)
    shutil.rmtree(workspace / "tests")
    artifacts = tmp_path / "artifacts"
    summary = run_test_step(CONTEXT, workspace, artifacts, server_url=None)
    assert summary.total > 0 and summary.passed == summary.total
    store = Artifacts(artifacts)
    full = json.loads(store.test_result(1, 1).read_text())
    assert full["passed"] == summary.passed
    assert (store.agent_code(1, 1) / "app.py").exists()
    assert store.server_log(1, 1).is_file()
    report = conforms("ctrf", store.test_result_ctrf(1, 1))["results"]
    assert report["summary"]["tests"] == report["summary"]["passed"] == summary.total
    assert {t["name"] for t in report["tests"]} == {t["id"] for t in full["tests"]}
