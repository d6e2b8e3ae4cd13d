"""Warm the turn's suite beside the agent: its test step then only loads bytecode.

Collecting a suite is mostly pytest rewriting the asserts of the modules that changed
since the turn before and compiling them (``bytecode``); the suite of a turn is known
before its agent starts. The agent step's sidecar (``enduro warm-suite``, trusted, with
the artifact root mounted) collects the turn's suite from the turn cache while the
agent works, so its rewritten bytecode is in place when the test step collects. Only
time changes: a test step whose warm-up was cut short (a quick agent) rewrites what is
missing, and the warm-up reads nothing the agent can write.
"""

from __future__ import annotations

from pathlib import Path

from enduro.artifacts import Artifacts
from enduro.scenarios.turnfiles import TurnFiles
from enduro.steps.context import StepContext
from enduro.testrunner import bytecode
from enduro.testrunner.suite import collect_suite


def warm_suite(context: StepContext, artifacts: Path) -> int:
    """Collect the turn's suite once, keeping its rewritten bytecode in the artifact
    root's store for the test step; the number of tests collected."""
    store = Artifacts(artifacts)
    files = TurnFiles(context.require_generator(), context.scenario, context.turn)
    suite_dir = files.cached(store.turn_cache()).suite_dir
    bytecode.restore(suite_dir, store.bytecode_cache())
    with bytecode.writing_bytecode():
        collected = collect_suite(suite_dir)
    bytecode.keep(suite_dir, store.bytecode_cache())
    return len(collected)
