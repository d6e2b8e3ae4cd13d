"""The baseline harness contract (oracle, null, flaky) and the function that runs one.

``run_harness`` is a thin layer over ``enduro.agents.process.run_process`` (process
group, time limit, log and file-size caps, leftover and stop-on-signal clean-up, the
same as for the real CLIs). It classifies what went wrong: a harness that could not be
launched at all is an *infrastructure* failure (no attempt spent), anything the agent
did (crash, timeout) is an *agent* failure.
"""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from enduro.agents.process import Watch, run_process
from enduro.api.agent import AgentSpec
from enduro.engine.results import AgentOutcome, FailureClass


@dataclass(frozen=True)
class AgentRun:
    """What a harness needs to build its command: the agent, the workspace, the task."""

    agent: AgentSpec
    workspace: Path
    prompt: str
    context_json: str  # the StepContext; only baseline agents may read it


@dataclass(frozen=True)
class Invocation:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the step's environment
    warm_module: str | None = None
    """The module `argv` runs with `python -m`, when it may run in a fork of the step
    instead (trusted code only: `enduro.agents.warmstart`)."""


class Harness(ABC):
    """One agent CLI. Subclasses are small: a command line, and optionally a parser."""

    name: ClassVar[str]

    @abstractmethod
    def command(self, run: AgentRun) -> Invocation:
        """The command line (run in the workspace) and extra environment variables."""

    def parse(self, exit_code: int, output_tail: str, seconds: float) -> AgentOutcome:
        """The outcome from the exit code; CLIs that report usage override this."""
        if exit_code == 0:
            return AgentOutcome(exit_code=0, seconds=seconds)
        last = output_tail.strip().splitlines()[-1:] or [""]
        return AgentOutcome(
            exit_code=exit_code,
            reason=f"agent exited with code {exit_code}: {last[0][:200]}".rstrip(": "),
            failure=FailureClass.AGENT,
            seconds=seconds,
        )


def run_harness(
    harness: Harness, run: AgentRun, timeout: float, log_path: Path, watch: Watch | None = None
) -> AgentOutcome:
    """Run the harness's command in the workspace; never raises for what the agent does.
    A `watch` that stops it makes the attempt the agent's failure, for its reason."""
    invocation = harness.command(run)
    env = {**os.environ, **invocation.env}
    program = invocation.argv[0]
    found = shutil.which(program, path=env.get("PATH")) if "/" not in program else program
    if found is None or not os.access(run.workspace / found, os.X_OK):
        return AgentOutcome(
            exit_code=127,
            reason=f"could not launch {program!r}: not found or not executable "
            "(is the harness CLI installed in this image?)",
            failure=FailureClass.INFRASTRUCTURE,
        )
    finished = run_process(
        invocation.argv,
        cwd=run.workspace,
        env=env,
        timeout=timeout,
        stdout=log_path,
        watch=watch,
        warm_module=invocation.warm_module,
    )
    seconds = round(finished.seconds, 3)
    if finished.start_error is not None:
        return AgentOutcome(
            exit_code=127, reason=finished.start_error, failure=FailureClass.INFRASTRUCTURE
        )
    killed = finished.returncode if finished.returncode is not None else -9
    if finished.stopped is not None:
        return AgentOutcome(
            exit_code=killed, reason=finished.stopped, failure=FailureClass.AGENT, seconds=seconds
        )
    if finished.timed_out:
        return AgentOutcome(
            exit_code=killed,
            reason=f"agent timed out after {timeout:g}s",
            failure=FailureClass.AGENT,
            seconds=seconds,
        )
    assert finished.returncode is not None
    return harness.parse(finished.returncode, finished.tail, seconds)
