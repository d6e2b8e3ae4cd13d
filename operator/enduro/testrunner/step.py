"""``enduro test-runner``: score the workspace's server with the turn's pristine suite.

The suite is regenerated from (generator, scenario, turn), or found already rendered
for this turn in the artifact root's turn cache (``TurnFiles.cached``, which only
trusted steps write), and run where it lies, with the bytecode of its modules that an
earlier turn already had (``bytecode``): the workspace's ``tests/`` is never read, so an
agent that edits its copy changes nothing. The workspace is snapshotted to
``A/agent_code/...`` first (bounded), the full result goes to ``A/test_results/...``
with its CTRF report beside it (``enduro.exports.ctrf``), and the compact summary is
returned (and written to ``--summary-file`` by the CLI).
"""

from __future__ import annotations

import time
from pathlib import Path

from enduro.artifacts import Artifacts, write_text_atomic
from enduro.engine.results import TestSummary
from enduro.exports import ctrf
from enduro.sandbox.policy import Isolation
from enduro.scenarios.turnfiles import TurnFiles
from enduro.steps.context import StepContext
from enduro.testrunner import bytecode
from enduro.testrunner.result import summarize
from enduro.testrunner.runner import run_tests
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
    files = TurnFiles(context.require_generator(), context.scenario, turn)
    suite_dir = files.cached(store.turn_cache()).suite_dir
    bytecode.restore(suite_dir, store.bytecode_cache())
    start = time.time()
    with bytecode.writing_bytecode():
        result = run_tests(
            suite_dir,
            workspace=workspace,
            server_log=store.server_log(turn, attempt),
            server_url=server_url,
            server_start_seconds=context.timeouts.server_start_seconds,
            test_seconds=context.timeouts.test_seconds,
            confined=context.isolation is Isolation.BWRAP,
        )
    stop = time.time()
    bytecode.keep(suite_dir, store.bytecode_cache())
    text = result.to_json()
    write_text_atomic(store.test_result(turn, attempt), text)
    report = ctrf.from_test_result(result, start=start, stop=stop)
    write_text_atomic(store.test_result_ctrf(turn, attempt), ctrf.to_json(report))
    return summarize(result, text)
