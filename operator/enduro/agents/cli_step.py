"""The agent step for a real harness CLI: `enduro agent` hands over here.

It turns the step context into the adapter's configuration, runs one attempt in a private
scratch folder (outside the workspace, so nothing the CLI writes for itself is scored or
snapshotted), and returns the engine's `AgentOutcome`. The attempt's records land where
the artifact layout says: the redacted CLI output in `A/agent_logs/turn_TTT_attempt_A.log`,
the ATIF trajectory in `A/trajectory/turn_TTT_attempt_A.json`, and the CLI's own logs in
`A/trajectory/turn_TTT_attempt_A.native/`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from enduro.agents import atif
from enduro.agents.context import AgentStepContext
from enduro.agents.harnesses.base import Harness, config_from_spec
from enduro.agents.harnesses.runner import AttemptFiles, run_attempt
from enduro.artifacts import Artifacts
from enduro.engine.results import AgentOutcome
from enduro.sandbox.launch import hidden_paths
from enduro.sandbox.policy import Isolation


def run_cli_attempt(
    harness: Harness, context: AgentStepContext, workspace: Path, store: Artifacts, prompt: str
) -> AgentOutcome:
    assert context.agent is not None  # the caller has checked
    files = AttemptFiles(
        log=store.agent_log(context.turn, context.attempt),
        trajectory=store.trajectory(context.turn, context.attempt),
    )
    with tempfile.TemporaryDirectory(prefix="enduro-agent-") as scratch:
        result = run_attempt(
            harness,
            config_from_spec(context.agent),
            workspace=workspace,
            prompt=prompt,
            scratch=Path(scratch),
            files=files,
            timeout_seconds=context.timeouts.agent_seconds,
            extra={"scenario": context.scenario, "turn": context.turn, "attempt": context.attempt},
            hidden=hidden_paths(store.root) if context.isolation is Isolation.BWRAP else None,
        )
    return result.outcome


def outcome_trajectory(
    harness: str, context: AgentStepContext, outcome: AgentOutcome, prompt: str
) -> atif.Trajectory:
    """An ATIF record for an agent that reports no steps (baselines, or one that never ran)."""
    model = context.agent.model.name if context.agent is not None else ""
    steps = [atif.Step(step_id=1, source="user", message=prompt)] if prompt else []
    return atif.Trajectory(
        session_id=f"{context.scenario}-{context.turn}-{context.attempt}",
        agent=atif.Agent(name=harness or "unknown", version="builtin", model_name=model or None),
        steps=steps,
        final_metrics=atif.FinalMetrics(
            total_prompt_tokens=outcome.tokens_in,
            total_completion_tokens=outcome.tokens_out,
            total_cost_usd=outcome.cost_usd,
            total_steps=outcome.steps,
            extra={
                "exit_code": outcome.exit_code,
                "reason": outcome.reason,
                "failure": str(outcome.failure),
                "seconds": outcome.seconds,
            },
        ),
        extra={"scenario": context.scenario, "turn": context.turn, "attempt": context.attempt},
    )
