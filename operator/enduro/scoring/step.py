"""`enduro score`: an explicit scenario's scoring step (the analogue of `enduro
test-runner` for generated suites).

The workspace is snapshotted to `A/agent_code/...` first, the full `ContractResult` goes
to `A/test_results/...` (its CTRF report beside it) and the compact summary is returned,
so reports, feedback and `summary_problem` treat it like a test step's.
"""

from __future__ import annotations

import time
from pathlib import Path

from enduro.artifacts import Artifacts, write_text_atomic
from enduro.engine.results import TestSummary
from enduro.exports import ctrf
from enduro.sandbox.policy import Isolation
from enduro.scoring.result import summarize
from enduro.scoring.run import score_turn
from enduro.steps.context import StepContext
from enduro.workspace.snapshot import snapshot


def run_scoring_step(context: StepContext, workspace: Path, artifacts: Path) -> TestSummary:
    store = Artifacts(artifacts)
    turn, attempt = context.turn, context.attempt
    snapshot(workspace, store.agent_code(turn, attempt))
    start = time.time()
    result = score_turn(
        context.require_definition(),
        turn,
        workspace,
        confined=context.isolation is Isolation.BWRAP,
        extra_context={"attempt": attempt},
    )
    stop = time.time()
    text = result.to_json()
    write_text_atomic(store.test_result(turn, attempt), text)
    report = ctrf.from_contract_result(result, start=start, stop=stop)
    write_text_atomic(store.test_result_ctrf(turn, attempt), ctrf.to_json(report))
    return summarize(result, text)
