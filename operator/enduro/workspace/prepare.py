"""``enduro prepare-workspace``: what the agent finds before each attempt.

Writes SPEC.md, CHANGES.md, openapi.yaml and a fresh visible copy of the suite into
the workspace, FEEDBACK.md from the previous attempt's full result (at the chosen
level; removed when there is nothing to say), and the turn's generated artifacts
(changes, schema, suite, ground truth) once per turn. The agent's own files are left
alone. An explicit scenario's workspace is prepared by `enduro.workspace.explicit`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from enduro.artifacts import Artifacts, write_text_atomic, write_tree
from enduro.steps.context import StepContext
from enduro.testrunner.result import TestResult
from enduro.turnfiles import SUITE_DIR, TurnFiles
from enduro.workspace.explicit import prepare_explicit
from enduro.workspace.feedback import render_feedback

FEEDBACK = "FEEDBACK.md"


def prepare_workspace(context: StepContext, workspace: Path, artifacts: Path) -> None:
    if context.definition is not None:
        prepare_explicit(context, workspace, artifacts)
        return
    files = TurnFiles(context.require_generator(), context.scenario, context.turn)
    store = Artifacts(artifacts)
    workspace.mkdir(parents=True, exist_ok=True)

    suite = files.suite()
    changes = files.changes_md()
    write_text_atomic(workspace / "SPEC.md", files.spec_md())
    write_text_atomic(workspace / "CHANGES.md", changes)
    write_text_atomic(workspace / "openapi.yaml", files.openapi_yaml())
    tests = workspace / SUITE_DIR
    if tests.is_symlink() or tests.is_file():
        tests.unlink()
    elif tests.exists():
        shutil.rmtree(tests)  # a fresh copy: edits the agent made to its copy are gone
    write_tree(tests, suite)
    _write_feedback(context, workspace, store)

    if not store.schema(context.turn).exists():  # once per turn, schema last: it marks done
        write_text_atomic(store.changes(context.turn), changes)
        _replace_tree(store.test_suite(context.turn), suite)
        _replace_tree(store.ground_truth(context.turn), files.ground_truth())
        write_text_atomic(store.schema(context.turn), files.schema_yaml())


def _write_feedback(context: StepContext, workspace: Path, store: Artifacts) -> None:
    path = workspace / FEEDBACK
    text = None
    if context.attempt > 1:
        previous = store.test_result(context.turn, context.attempt - 1)
        if previous.is_file():
            result = TestResult.model_validate_json(previous.read_text())
            text = render_feedback(
                result, context.feedback_level, context.turn, context.attempt - 1
            )
    if text is None:
        path.unlink(missing_ok=True)  # stale feedback from an earlier attempt or turn
    else:
        write_text_atomic(path, text)


def _replace_tree(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    write_tree(root, files)
