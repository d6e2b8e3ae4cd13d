"""The one place an agent process is started, watched and stopped.

Every agent, baseline or real CLI, runs through ``run_process``, so every one gets the
same safety properties: its own process group (owned, so a step stopped by SIGTERM or
Ctrl-C kills it too, see ``enduro.procgroup``), a time limit after which the whole group
is killed, its output logs capped at ``LOG_CAP_BYTES`` each, every file it writes capped
at ``FILE_CAP_BYTES``, and whatever it left running killed when it exits. A ``watch``
looks at it every ``WATCH_SECONDS`` while it runs and stops it when it says why (a
workspace grown past its limit must not go on to fill the disk).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from enduro.agents.warmstart import WarmChild, fork_module
from enduro.procgroup import (
    TERM_GRACE_SECONDS,
    Process,
    file_size_limited,
    kill_group,
    own,
    wait_for,
)
from enduro.sandbox.cgroups import limited
from enduro.sandbox.launch import prepared
from enduro.sandbox.policy import Confinement

LOG_CAP_BYTES = 8 * 1024 * 1024  # an agent that prints gigabytes must not fill the disk
FILE_CAP_BYTES = 1024 * 1024 * 1024  # nor one that writes them to a file
TAIL_BYTES = 64 * 1024  # what callers see of the end of stdout
LEFTOVER_GRACE_SECONDS = 0.5
WATCH_SECONDS = 1.0

Watch = Callable[[], str | None]
"""Why the process must stop now, or None."""
PUMP_JOIN_SECONDS = 5.0  # a process that escaped the group may hold the pipe open


@dataclass(frozen=True)
class Finished:
    """How the process ended."""

    returncode: int | None
    """The exit status (negative: the signal that ended it); None if it never started."""
    timed_out: bool
    seconds: float
    start_error: str | None = None
    """Why it could not be started (then ``returncode`` is None)."""
    tail: str = ""
    """The last ``TAIL_BYTES`` of stdout, even past the log cap."""
    stopped: str | None = None
    """Why a ``watch`` stopped it (then ``returncode`` is the signal's)."""
    stdout_past_cap: str = ""
    stderr_past_cap: str = ""
    """The last (at most ``TAIL_BYTES``) of what the log cap kept out of each log: where a
    CLI prints its final summary, which its parser needs."""


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    stdout: Path,
    stderr: Path | None = None,
    stdin: Path | None = None,
    kill_grace: float = TERM_GRACE_SECONDS,
    confinement: Confinement | None = None,
    watch: Watch | None = None,
    warm_module: str | None = None,
) -> Finished:
    """Run ``argv`` in ``cwd`` with exactly ``env``; never raises for what the process does.

    stdout goes to the file ``stdout``, stderr to ``stderr`` (or into stdout when None),
    stdin comes from the file ``stdin`` (or /dev/null). At ``timeout`` the group gets
    SIGTERM, then SIGKILL after ``kill_grace``. With a ``confinement`` the process runs
    in that sandbox (``enduro.sandbox``): a PID namespace of its own, so nothing it
    starts outlives it. With a ``warm_module`` (a trusted baseline, whose ``argv`` runs
    that module) unconfined, with stderr into stdout, the module runs in a fork of this
    process instead where it can (``enduro.agents.warmstart``).
    """
    stdout.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ExitStack() as stack:  # open until the process is done: fds, cgroups
        stdin_file = stack.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
        try:
            command, extra = list(argv), {}
            if confinement is not None:
                launch = stack.enter_context(prepared(confinement, command))
                command, extra = launch.argv, launch.popen_kwargs()
                command = stack.enter_context(limited(confinement.limits, command))
                command = launch.in_network(command)
            proc: subprocess.Popen[bytes] | WarmChild | None = None
            if warm_module is not None and confinement is None and stderr is None:
                proc = fork_module(
                    warm_module, cwd=cwd, env=dict(env), stdin=stdin, file_cap=FILE_CAP_BYTES
                )
            proc = proc or subprocess.Popen(
                file_size_limited(command, FILE_CAP_BYTES),
                cwd=cwd,
                env=dict(env),
                stdin=stdin_file,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if stderr is not None else subprocess.STDOUT,
                start_new_session=True,
                **extra,
            )
            own(proc)  # at once: a step stopped from now on takes the group down with it
        except OSError as exc:
            stdout.write_bytes(b"")
            if stderr is not None:
                stderr.write_bytes(b"")
            return Finished(
                returncode=None,
                timed_out=False,
                seconds=time.monotonic() - started,
                start_error=f"could not start {argv[0]!r}: {exc}",
            )
        assert proc.stdout is not None
        pumps = [_LogPump(proc.stdout, stdout)]
        if stderr is not None:
            assert isinstance(proc, subprocess.Popen) and proc.stderr is not None
            pumps.append(_LogPump(proc.stderr, stderr))
        for pump in pumps:
            pump.start()
        timed_out, stopped = False, None
        try:
            stopped = _wait(proc, started + timeout, watch)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # Whatever the agent left running (a server it started to try its code) must
            # not outlive the step; after a timeout this is what stops the agent itself.
            ended = not timed_out and stopped is None
            kill_group(proc, grace=LEFTOVER_GRACE_SECONDS if ended else kill_grace)
        for pump in pumps:
            pump.join(timeout=PUMP_JOIN_SECONDS)
    return Finished(
        returncode=proc.returncode,
        timed_out=timed_out,
        seconds=time.monotonic() - started,
        stopped=stopped,
        tail=pumps[0].tail(),
        stdout_past_cap=pumps[0].past_cap(),
        stderr_past_cap=pumps[1].past_cap() if stderr is not None else "",
    )


def _wait(proc: Process, deadline: float, watch: Watch | None) -> str | None:
    """Wait for ``proc`` to end by ``deadline`` (``subprocess.TimeoutExpired`` past it);
    with a ``watch``, look every ``WATCH_SECONDS`` and return its reason to stop."""
    while True:
        left = deadline - time.monotonic()
        try:
            wait_for(proc, max(0.0, min(left, WATCH_SECONDS) if watch else left))
            return None
        except subprocess.TimeoutExpired:
            if watch is None or time.monotonic() >= deadline:
                raise
        if reason := watch():
            return reason


class _LogPump(threading.Thread):
    """Copies one stream to its log, up to ``LOG_CAP_BYTES``, keeping a tail."""

    def __init__(self, stream: IO[bytes], log_path: Path) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._log_path = log_path
        self._tail = bytearray()
        self._dropped = 0

    def run(self) -> None:
        cap = LOG_CAP_BYTES
        written = 0
        read = self._stream.read1  # type: ignore[attr-defined]
        with self._log_path.open("wb") as log:
            while chunk := read(65536):
                part = chunk[: max(0, cap - written)]
                if part:
                    log.write(part)
                    written += len(part)
                    if written >= cap:
                        log.write(b"\n[enduro: log truncated at %d bytes]\n" % cap)
                self._dropped += len(chunk) - len(part)
                self._tail += chunk
                del self._tail[:-TAIL_BYTES]

    def tail(self) -> str:
        return self._tail.decode("utf-8", errors="replace")

    def past_cap(self) -> str:
        """The end of what did not go into the log (no overlap with what did)."""
        if not self._dropped:
            return ""
        return self._tail[-self._dropped :].decode("utf-8", errors="replace")
