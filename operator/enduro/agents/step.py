"""``enduro agent``: run the agent named in the context on the workspace.

Builds the prompt from the workspace, runs the harness, and records the outcome as an ATIF
trajectory in ``A/trajectory/turn_NNN_attempt_M.json`` (the log is ``A/agent_logs/...``).
Real coding-agent CLIs (``enduro.agents.harnesses``) run through their adapters. The
outcome is returned for the CLI to print as its last line.
"""

from __future__ import annotations

from pathlib import Path

from enduro.agents import atif
from enduro.agents.cli_step import outcome_trajectory, run_cli_attempt
from enduro.agents.context import AgentStepContext
from enduro.agents.harness import AgentRun, run_harness
from enduro.agents.harnesses import HARNESSES
from enduro.agents.prompt import render_prompt
from enduro.agents.registry import get_harness
from enduro.agents.workspace_limit import growth_watch, left_over_limit
from enduro.artifacts import Artifacts, write_text_atomic
from enduro.engine.results import AgentOutcome, FailureClass


def parse_agent_context(text: str) -> AgentStepContext:
    """The context of `enduro agent`: with a generator or an explicit scenario (a trusted
    baseline's step) it is a full `StepContext`, imported only then; without, the
    generator is never loaded."""
    import json

    data = json.loads(text)
    if "generator" in data or "definition" in data:
        from enduro.steps.context import StepContext

        return StepContext.model_validate_json(text)
    return AgentStepContext.model_validate_json(text)


def run_agent_step(context: AgentStepContext, workspace: Path, artifacts: Path) -> AgentOutcome:
    """Run the agent, then hold it to the workspace size limit (also held while it runs:
    `enduro.agents.workspace_limit`)."""
    outcome = _run_agent(context, workspace, artifacts)
    if context.agent is None or outcome.failure is not FailureClass.NONE:
        return outcome  # an infrastructure failure, or the agent's with its own reason
    problem = left_over_limit(workspace, context.agent.limits.workspace_mib)
    if problem is None:
        return outcome
    return outcome.model_copy(update={"failure": FailureClass.AGENT, "reason": problem})


def _run_agent(context: AgentStepContext, workspace: Path, artifacts: Path) -> AgentOutcome:
    store = Artifacts(artifacts)
    turn, attempt = context.turn, context.attempt
    if context.agent is None:
        outcome = AgentOutcome(
            exit_code=2,
            reason="the step context has no agent",
            failure=FailureClass.INFRASTRUCTURE,
        )
        _record(store, context, outcome, prompt="", harness="")
        return outcome
    name = context.agent.harness.value
    if name in HARNESSES:  # a real coding-agent CLI (enduro.agents.harnesses)
        prompt = render_prompt(workspace, explicit=bool(context.explicit))
        return run_cli_attempt(HARNESSES[name], context, workspace, store, prompt)
    try:
        harness = get_harness(name)
    except KeyError as exc:
        outcome = AgentOutcome(
            exit_code=2, reason=str(exc.args[0]), failure=FailureClass.INFRASTRUCTURE
        )
        _record(store, context, outcome, prompt="", harness=name)
        return outcome
    prompt = render_prompt(workspace, explicit=bool(context.explicit))
    run = AgentRun(context.agent, workspace, prompt, context.to_json())
    watch = growth_watch((workspace,), context.agent.limits.workspace_mib)
    outcome = run_harness(
        harness, run, context.timeouts.agent_seconds, store.agent_log(turn, attempt), watch
    )
    _record(store, context, outcome, prompt=prompt, harness=name)
    return outcome


def _record(
    store: Artifacts, context: AgentStepContext, outcome: AgentOutcome, prompt: str, harness: str
) -> None:
    trajectory = outcome_trajectory(harness, context, outcome, prompt)
    write_text_atomic(store.trajectory(context.turn, context.attempt), atif.to_json(trajectory))
