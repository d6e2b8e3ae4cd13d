"""``enduro test-runner``: score the workspace's server with the turn's pristine suite.

The suite is regenerated from (generator, scenario, turn) into a temporary directory:
the workspace's ``tests/`` is never read, so an agent that edits its copy changes
nothing. The workspace is snapshotted to ``A/agent_code/...`` first (bounded), the
full result goes to ``A/test_results/...`` and the compact summary is returned (and
written to ``--summary-file`` by the CLI).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from enduro.artifacts import Artifacts, write_text_atomic, write_tree
from enduro.engine.results import TestSummary
from enduro.sandbox.policy import Isolation
from enduro.steps.context import StepContext
from enduro.testrunner.result import summarize
from enduro.testrunner.runner import run_tests
from enduro.turnfiles import TurnFiles
from enduro.workspace.snapshot import snapshot


def run_test_step(
    context: StepContext,
    workspace: Path,
    artifacts: Path,
    server_url: str | None,
) -> TestSummary:
    store = Artifacts(artifacts)
    turn, attempt = context.turn, context.attempt
    snapshot(workspace, store.agent_code(turn, attempt))
    suite = TurnFiles(context.require_generator(), context.scenario, turn).suite()
    with tempfile.TemporaryDirectory(prefix="enduro-suite-") as tmp:
        suite_dir = Path(tmp)
        write_tree(suite_dir, suite)
        result = run_tests(
            suite_dir,
            workspace=workspace,
            server_log=store.server_log(turn, attempt),
            server_url=server_url,
            server_start_seconds=context.timeouts.server_start_seconds,
            test_seconds=context.timeouts.test_seconds,
            confined=context.isolation is Isolation.BWRAP,
        )
    text = result.to_json()
    write_text_atomic(store.test_result(turn, attempt), text)
    return summarize(result, text)
