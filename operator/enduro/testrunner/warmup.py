"""Warm the turn's suite beside the agent: its test step then only loads bytecode.

Collecting a suite is mostly pytest rewriting the asserts of the modules that changed
since the turn before and compiling them (``bytecode``), and the suite of a turn is
known before its agent starts. The agent step's sidecar (``enduro warm-suite``, trusted,
with the artifact root mounted) rewrites the modules the bytecode store does not hold
yet while the agent works, the work the test step's collection would do, moved earlier:
the test step then finds them in the store. Nothing of the suite runs here, and it
reads nothing the agent can write. Only time depends on it: a test step whose warm-up
was cut short (a quick agent) rewrites what is missing.
"""

from __future__ import annotations

from pathlib import Path

from enduro.artifacts import Artifacts
from enduro.scenarios.turnfiles import TurnFiles
from enduro.steps.context import StepContext
from enduro.testrunner import bytecode


def warm_suite(context: StepContext, artifacts: Path) -> list[str]:
    """Rewrite the turn's new suite modules into the artifact root's bytecode store; the
    modules rewritten (none when the store had them all)."""
    store = Artifacts(artifacts)
    files = TurnFiles(context.require_generator(), context.scenario, context.turn)
    suite_dir = files.cached(store.turn_cache()).suite_dir
    return bytecode.prepare(suite_dir, store.bytecode_cache())
