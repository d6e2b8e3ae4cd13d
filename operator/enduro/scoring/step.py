"""`enduro score`: an explicit scenario's scoring step (the analogue of `enduro
test-runner` for generated suites).

The workspace is snapshotted to `A/agent_code/...` first, the full `ContractResult` goes
to `A/test_results/...` and the compact summary is returned, so reports, feedback and
`summary_problem` treat it like a test step's.
"""

from __future__ import annotations

from pathlib import Path

from enduro.artifacts import Artifacts, write_text_atomic
from enduro.engine.results import TestSummary
from enduro.sandbox.policy import Isolation
from enduro.scoring.result import summarize
from enduro.scoring.run import score_turn
from enduro.steps.context import StepContext
from enduro.workspace.snapshot import snapshot


def run_scoring_step(context: StepContext, workspace: Path, artifacts: Path) -> TestSummary:
    store = Artifacts(artifacts)
    turn, attempt = context.turn, context.attempt
    snapshot(workspace, store.agent_code(turn, attempt))
    result = score_turn(
        context.require_definition(),
        turn,
        workspace,
        confined=context.isolation is Isolation.BWRAP,
        extra_context={"attempt": attempt},
    )
    text = result.to_json()
    write_text_atomic(store.test_result(turn, attempt), text)
    return summarize(result, text)
