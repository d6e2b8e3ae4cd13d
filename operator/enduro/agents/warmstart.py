"""A trusted baseline started as a fork of the agent step instead of a fresh interpreter.

A baseline (`python -P -m enduro.agents.baselines.oracle`) started cold spends most of
its time importing pydantic and the generator: about 0.3 s of every turn of an oracle
run, more than the turn's floor. The agent step forked from `enduro run`'s warm fork
server has them loaded already, so the baseline runs as a fork of it: the same module
run as `__main__`, in its own session, in the workspace, with exactly the environment,
standard streams and file-size cap a cold start gets. Only trusted code runs this way
(an untrusted CLI is always a program of its own in its sandbox), and only while this
process has no other thread, which forking would leave in an unknown state; otherwise
the caller starts it cold.
"""

from __future__ import annotations

import functools
import os
import resource
import runpy
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import IO

from enduro.procgroup import pidfd_exited


class WarmChild:
    """A forked baseline, with what `run_process` uses of a `Popen`."""

    def __init__(self, pid: int, stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._ended(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Its exit code, woken by the kernel the moment it exits (a pidfd)."""
        if self.returncode is None:
            if not pidfd_exited(self._pidfd, timeout):
                raise subprocess.TimeoutExpired(f"warm baseline (pid {self.pid})", timeout or 0)
            self._ended(os.waitpid(self.pid, 0)[1])
        assert self.returncode is not None
        return self.returncode

    def _ended(self, status: int) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)
        os.close(self._pidfd)


def fork_module(
    module: str, *, cwd: Path, env: dict[str, str], stdin: Path | None, file_cap: int
) -> WarmChild | None:
    """Run `module` as `__main__` in a fork of this process, its stdout and stderr one
    pipe (`WarmChild.stdout`); None when this process has other threads (start it cold)."""
    if threading.active_count() > 1 or not _pidfds_work():
        return None
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # nothing this process printed is printed again by the child
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            _become(cwd, env, stdin, write_end, file_cap)
            code = _run(module)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)
    return WarmChild(pid, os.fdopen(read_end, "rb"))


@functools.cache
def _pidfds_work() -> bool:
    """Whether this kernel gives pidfds, which `WarmChild` waits on (Linux 5.3+)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (OSError, AttributeError):
        return False
    return True


def _become(cwd: Path, env: dict[str, str], stdin: Path | None, output: int, cap: int) -> None:
    """What a cold start would be: its own session, its streams, its working directory
    and environment, its file-size cap, default signal handling, nothing imported from
    the workspace."""
    os.setsid()
    source = os.open(stdin or os.devnull, os.O_RDONLY)
    os.dup2(source, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(source)
    os.close(output)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the cap a write fails: EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]  # as `python -P`
    del sys.argv[1:]  # `python -m` passes the module no arguments; the step's are not its
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)


def _run(module: str) -> int:
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    return 0
