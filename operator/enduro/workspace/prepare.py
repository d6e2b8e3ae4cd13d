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
from enduro.scenarios.turnfiles import (
    CHANGES_MD,
    GROUND_TRUTH_DIR,
    OPENAPI_YAML,
    SCHEMA_YAML,
    SPEC_MD,
    SUITE_DIR,
    TurnFiles,
)
from enduro.steps.context import StepContext
from enduro.untrusted import place_text, remove
from enduro.workspace.explicit import prepare_explicit
from enduro.workspace.feedback import render_suite_feedback, write_feedback


def prepare_workspace(context: StepContext, workspace: Path, artifacts: Path) -> None:
    if context.restore_turn is not None:  # a lost volume: the last checkpoint first
        _restore(context.restore_turn, workspace, artifacts)
    if context.definition is not None:
        prepare_explicit(context, workspace, artifacts)
        return
    store = Artifacts(artifacts)
    files = TurnFiles(context.require_generator(), context.scenario, context.turn)
    turn = files.cached(store.turn_cache())  # rendered once per turn, for all its steps
    workspace.mkdir(parents=True, exist_ok=True)

    suite = turn.tree(SUITE_DIR)
    changes = turn.texts[CHANGES_MD]
    # The agent may have left anything at these names (`enduro.untrusted`).
    place_text(workspace / "SPEC.md", turn.texts[SPEC_MD])
    place_text(workspace / "CHANGES.md", changes)
    place_text(workspace / "openapi.yaml", turn.texts[OPENAPI_YAML])
    # Copies, never links to the cache: the agent may write anything in its workspace.
    tests = workspace / SUITE_DIR
    remove(tests)  # a fresh copy: edits the agent made to its copy are gone
    write_tree(tests, suite)
    write_feedback(context, workspace, store, render_suite_feedback)

    if not store.schema(context.turn).exists():  # once per turn, schema last: it marks done
        write_text_atomic(store.changes(context.turn), changes)
        _replace_tree(store.test_suite(context.turn), suite)
        _replace_tree(store.ground_truth(context.turn), turn.tree(GROUND_TRUTH_DIR))
        write_text_atomic(store.schema(context.turn), turn.texts[SCHEMA_YAML])


def _restore(turn: int, workspace: Path, artifacts: Path) -> None:
    from enduro.storage import StorageError
    from enduro.storage.cluster import restore_from_env
    from enduro.workspace.explicit import SetupError

    try:
        digest = restore_from_env(turn, workspace, artifacts)
    except StorageError as exc:
        raise SetupError(f"cannot restore the checkpoint of turn {turn}: {exc}") from None
    print(f"restored the workspace of turn {turn}'s checkpoint (sha256 {digest})", flush=True)


def _replace_tree(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    write_tree(root, files)
