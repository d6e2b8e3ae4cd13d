"""Process groups this process started, and how they are stopped.

Every child that may start children of its own (an agent CLI, the agent's server)
runs in its own session, so stopping it means killing its whole group. A step
command that is itself stopped (SIGTERM from the runtime, or Ctrl-C) must take those
groups down with it: ``own`` records them and ``stop_owned_on_sigterm`` installs the
handler that does.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import subprocess
import threading
from types import FrameType
from typing import Protocol

TERM_GRACE_SECONDS = 2.0
_OWNED: set[int] = set()
_OWNED_LOCK = threading.Lock()


class Process(Protocol):
    """What ``kill_group`` needs of a process: a ``Popen``, or a fork server's child."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def wait_for(proc: Process, timeout: float) -> int:
    """``proc.wait(timeout)``, woken by the kernel the moment the process exits.

    ``Popen.wait`` with a timeout looks every 50 ms at most: a step's agent or server
    that ends would be noticed up to 50 ms late, on every step. A pidfd becomes readable
    when its process exits, so ``poll`` returns at once (``poll``, not ``select``: a
    busy process's descriptors may be past 1024). Anything else (a fork server's child,
    a process already reaped, no pidfd) waits as before."""
    if not isinstance(proc, subprocess.Popen) or proc.returncode is not None:
        return proc.wait(timeout=timeout)
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (OSError, AttributeError):
        return proc.wait(timeout=timeout)
    try:
        exited = pidfd_exited(pidfd, timeout)
    finally:
        os.close(pidfd)
    if not exited:
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return proc.wait()


def pidfd_exited(pidfd: int, timeout: float | None) -> bool:
    """Whether the process behind ``pidfd`` has exited within ``timeout`` seconds
    (None: waits until it does); the kernel wakes the wait the moment it exits."""
    watch = select.poll()
    watch.register(pidfd, select.POLLIN)
    return bool(watch.poll(None if timeout is None else max(0, math.ceil(timeout * 1000))))


def kill_group(proc: Process, grace: float = TERM_GRACE_SECONDS) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL what is left after ``grace``.

    The group outlives its leader when ``run.sh`` backgrounds the real server, so the
    group is killed even when the leader has already exited.
    """
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = proc.pid
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            wait_for(proc, wait)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(pgid):
            break
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)  # stragglers whose leader already exited
    if proc.returncode is None:
        proc.wait()
    with _OWNED_LOCK:
        _OWNED.discard(proc.pid)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def own(proc: Process) -> None:
    """Remember ``proc``'s group: it is killed if this process is told to stop."""
    with _OWNED_LOCK:
        _OWNED.add(proc.pid)


def stop_owned_on_sigterm() -> None:
    """On SIGTERM or SIGINT, kill every owned group, then exit (143 / 130)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        with _OWNED_LOCK:
            groups = list(_OWNED)
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def die_with_parent() -> None:
    """Be killed (SIGKILL) when the process that started this one dies, even by `kill -9`,
    so no step command outlives `enduro run`. Linux only; elsewhere nothing happens."""
    import ctypes

    pr_set_pdeathsig = 1
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(137)


def file_size_limited(argv: list[str], max_bytes: int) -> list[str]:
    """``argv`` run with every file it (and its children) write capped at ``max_bytes``:
    past it a write fails with EFBIG instead of filling the disk. A ``sh`` wrapper
    (``ulimit -f``, SIGXFSZ ignored), not a ``preexec_fn``, which is unsafe in a
    threaded parent."""
    blocks = max(1, max_bytes // 512)  # POSIX sh counts ulimit -f in 512-byte blocks
    script = f'trap "" XFSZ; ulimit -f {blocks} && exec "$@"'
    return ["sh", "-c", script, "sh", *argv]
