"""Applying a scenario's `referenceOutput`: the known solution of a turn.

A patch goes through `git apply`, which refuses paths outside the directory it applies
in (`..`, absolute paths, anything beyond a symbolic link) and applies all or nothing.
Commands run one after another with `sh -c` in the working directory, under the
bubblewrap sandbox when `confined` (the working directory writable, nothing else), with
the same process-group and time-limit handling as an agent.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from enduro.agents.process import run_process
from enduro.api.scenario import ReferenceOutput
from enduro.sandbox.launch import (
    SandboxError,
    confined_env,
    hidden_paths,
    python_for_servers,
    require_sandbox,
    tool_dirs,
)
from enduro.sandbox.policy import Confinement

COMMAND_TIMEOUT_SECONDS = 600
STDERR_TAIL_CHARS = 2000


class ReferenceError(Exception):
    """The reference output could not be applied; the message says which part and why.

    It shadows the builtin of the same name (weak references) because the scoring
    interface agreed on it: import it explicitly, or `except ReferenceError` catches the
    builtin instead."""


def apply_reference(reference: ReferenceOutput, workdir: Path, *, confined: bool) -> None:
    """Apply `reference` in `workdir`; raise `ReferenceError` naming what failed."""
    workdir = workdir.resolve()
    if not workdir.is_dir():
        raise ReferenceError(f"{workdir} is not a directory: nothing to apply the reference to")
    if reference.patch is not None:
        _apply_patch(reference.patch, workdir)
    else:
        assert reference.commands is not None
        _run_commands(reference.commands, workdir, confined=confined)


def _apply_patch(patch: str, workdir: Path) -> None:
    # Without a repository git applies relative to the current directory; the ceiling
    # keeps it from finding one above the working directory (paths would then be read
    # relative to that repository's root, and files outside the directory skipped).
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(workdir.parent)}
    try:
        done = subprocess.run(
            ["git", "apply", "--whitespace=nowarn", "-"],
            input=patch if patch.endswith("\n") else patch + "\n",
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReferenceError(f"cannot apply the reference patch with git: {exc}") from None
    if done.returncode != 0:
        cause = "; ".join(
            line.removeprefix("error: ").strip() for line in done.stderr.splitlines() if line
        )
        raise ReferenceError(
            f"the reference patch does not apply in {workdir}: {cause or 'git apply failed'}"
        )


def _run_commands(commands: list[str], workdir: Path, *, confined: bool) -> None:
    env = dict(os.environ)
    confinement = None
    if confined:
        try:
            require_sandbox()
        except SandboxError as exc:
            raise ReferenceError(f"cannot confine the reference commands: {exc}") from None
        readable, lent = python_for_servers()
        confinement = Confinement(
            cwd=workdir,
            writable=(workdir,),
            readable=(*tool_dirs(env.get("PATH", ""), hidden=hidden_paths()), *readable),
            lent=lent,
        )
        env = confined_env(env)
    with tempfile.TemporaryDirectory(prefix="enduro-reference-") as scratch:
        for number, command in enumerate(commands, start=1):
            stdout, stderr = Path(scratch) / f"{number}.out", Path(scratch) / f"{number}.err"
            finished = run_process(
                ["sh", "-c", command],
                cwd=workdir,
                env=env,
                timeout=COMMAND_TIMEOUT_SECONDS,
                stdout=stdout,
                stderr=stderr,
                confinement=confinement,
            )
            where = f"reference command {number} of {len(commands)} ({command!r})"
            if finished.start_error is not None:
                raise ReferenceError(f"{where} could not start: {finished.start_error}")
            if finished.timed_out:
                raise ReferenceError(f"{where} took more than {COMMAND_TIMEOUT_SECONDS} s")
            if finished.returncode != 0:
                tail = stderr.read_text(errors="replace")[-STDERR_TAIL_CHARS:].strip()
                raise ReferenceError(
                    f"{where} exited with status {finished.returncode}"
                    + (f": {tail}" if tail else " (no stderr)")
                )
