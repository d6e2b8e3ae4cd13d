"""``enduro prepare-workspace`` for an explicit scenario: what the agent finds.

Before turn 1, once: the scenario's `environment.files` are written into its working
directory and its `setupCommands` run there (confined like the agent when the run is
sandboxed). That it happened is recorded in the artifacts, which the agent cannot
write, never in the workspace, which it can. Each attempt: TASK.md (the turn's problem
statement and additional context) and FEEDBACK.md from the previous attempt's contract
result, at the run's feedback level. Nothing of the scorers, their test files or the
reference output reaches the workspace.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from enduro.agents.process import run_process
from enduro.agents.prompt import TASK_FILE
from enduro.api.scenario import ExplicitScenario, path_problem
from enduro.artifacts import Artifacts, write_text_atomic
from enduro.sandbox.launch import confined_env, hidden_paths, python_for_servers, tool_dirs
from enduro.sandbox.policy import Confinement, Isolation
from enduro.steps.context import StepContext
from enduro.untrusted import place_text
from enduro.workspace.feedback import render_contract_feedback, write_feedback

SETUP_DONE = Path("environment") / "setup.json"  # under the artifacts: setup ran, once
SETUP_LOGS = Path("environment") / "setup_logs"
# All setup commands share a budget below the agent step's grace
# (`steps.build.AGENT_STEP_GRACE_SECONDS`): a slow setup fails with its own reason
# instead of running the agent step out of time, which would be charged to the agent.
SETUP_SECONDS = 240
OUTPUT_TAIL_CHARS = 500


class SetupError(Exception):
    """The scenario's environment could not be prepared; the message says which part
    failed and why (it becomes the step's infrastructure failure reason)."""


def prepare_explicit(context: StepContext, workspace: Path, artifacts: Path) -> None:
    definition = context.require_definition()
    workspace.mkdir(parents=True, exist_ok=True)
    done = artifacts / SETUP_DONE
    if not done.is_file():
        seconds = set_up(definition, workspace, artifacts, context.isolation)
        write_text_atomic(done, json.dumps({"scenario": definition.name, "seconds": seconds}))
    place_text(workspace / TASK_FILE, task_md(definition, context.turn))
    write_feedback(context, workspace, Artifacts(artifacts), render_contract_feedback)


def working_dir(definition: ExplicitScenario, workspace: Path) -> Path:
    return workspace / definition.spec.environment.working_dir


def set_up(
    definition: ExplicitScenario, workspace: Path, artifacts: Path, isolation: Isolation
) -> float:
    """Write the seed files and run the setup commands; raise `SetupError`. Returns the
    seconds the commands took."""
    environment = definition.spec.environment
    workdir = working_dir(definition, workspace)
    workdir.mkdir(parents=True, exist_ok=True)
    for rel, text in environment.files.items():
        path = workdir / rel
        # Checked at admission; again here, where a link left in the workspace could
        # point a write outside it.
        if path_problem(rel) or not path.resolve().is_relative_to(workspace.resolve()):
            raise SetupError(f"environment.files: {rel!r} is outside the working directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    started = time.monotonic()
    env = _setup_env(definition, isolation)
    confinement = _confinement(workspace, workdir, env) if isolation is Isolation.BWRAP else None
    if confinement is not None:
        env = confined_env(env)
    logs = artifacts / SETUP_LOGS
    for number, command in enumerate(environment.setup_commands, start=1):
        left = SETUP_SECONDS - (time.monotonic() - started)
        # The status and output first: a status message keeps only the start of a reason.
        where = f"environment.setupCommands[{number - 1}]"
        shown = f" (command {command!r})"
        if left <= 0:
            raise SetupError(f"{where} did not start: the setup took over {SETUP_SECONDS} s{shown}")
        log = logs / f"{number}.log"
        finished = run_process(
            ["sh", "-c", command],
            cwd=workdir,
            env=env,
            timeout=left,
            stdout=log,
            confinement=confinement,
        )
        if finished.start_error is not None:
            raise SetupError(f"{where} could not start: {finished.start_error}{shown}")
        if finished.timed_out:
            raise SetupError(f"{where} ran out of the {SETUP_SECONDS} s setup budget{shown}")
        if finished.returncode != 0:
            tail = " ".join(finished.tail[-OUTPUT_TAIL_CHARS:].split())
            raise SetupError(
                f"{where} exited {finished.returncode}" + (f": {tail}" if tail else "") + shown
            )
    return round(time.monotonic() - started, 3)


def _setup_env(definition: ExplicitScenario, isolation: Isolation) -> dict[str, str]:
    """What setup commands see: a plain environment and the scenario's `env`, nothing of
    ours (a scenario from a shared catalogue must not read the runner's credentials)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": "/tmp" if isolation is not Isolation.NONE else os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }
    return env | {e.name: e.value for e in definition.spec.environment.env}


def _confinement(workspace: Path, workdir: Path, env: dict[str, str]) -> Confinement:
    """As the agent: the workspace writable, the tools on PATH readable, nothing else."""
    readable, lent = python_for_servers()
    tools = tool_dirs(env["PATH"], hidden=hidden_paths())
    return Confinement(cwd=workdir, writable=(workspace,), readable=(*tools, *readable), lent=lent)


def task_md(definition: ExplicitScenario, turn: int) -> str:
    """TASK.md of `turn`: the problem statement (a multi-turn scenario's overview first),
    where to work, and the additional context as JSON."""
    spec = definition.spec
    current = spec.turn(turn)
    lines: list[str] = []
    if spec.turns is not None:
        lines += [spec.input_context.problem_statement.strip(), ""]
        lines += [f"## Turn {turn} of {len(spec.turns)}", ""]
    lines += [current.input_context.problem_statement.strip(), ""]
    if spec.environment.working_dir != ".":
        lines += [f"Work in the directory `{spec.environment.working_dir}`.", ""]
    context = current.input_context.additional_context
    if context:
        lines += ["## Additional context", "", "```json"]
        lines += [json.dumps(context, indent=2, sort_keys=True), "```", ""]
    return "\n".join(lines).rstrip() + "\n"
