"""The server under test: started from the workspace's ``run.sh`` in its own process group.

Everything here turns a misbehaving server into a *reason* string rather than an
exception: a server that never starts is a scored 0, not a crashed runner.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from enduro.procgroup import file_size_limited, own
from enduro.sandbox.cgroups import ProcessLimits, limited
from enduro.sandbox.launch import BIN_INSIDE, prepared, python_for_servers
from enduro.sandbox.policy import Confinement
from enduro.testrunner import probe
from enduro.untrusted import read_tail

PROBE_SECONDS = 1.0  # one look at GET /health, the whole answer: the server cannot stretch it
POLL_SECONDS = 0.05  # the longest pause between two looks at /health
FIRST_POLL_SECONDS = 0.005  # the first pause, doubled after each look: a fast start is seen fast
# The pause between two connection attempts while nothing listens yet: a refused connect
# costs microseconds, so the moment the server listens is seen within a few ms.
CONNECT_POLL_SECONDS = 0.003
NOT_A_LOG = "(the server log is not a regular file: not read)"
SERVER_FILE_CAP_BYTES = 256 * 1024 * 1024  # a server logging without end must not fill the disk


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# A server needs a few processes and a modest heap; a fork bomb or a leak stops here.
SERVER_LIMITS = ProcessLimits(processes=256, memory_bytes=2 * 2**30)


def server_env(port: int, *, confined: bool = False) -> dict[str, str]:
    """The server's environment, and nothing of ours (no credentials): ``PORT``, and a
    ``python`` with Flask first on ``PATH`` so a ``run.sh`` that says ``python`` gets
    one (confined: the sandbox's; otherwise this interpreter)."""
    first = str(BIN_INSIDE) if confined else str(Path(sys.executable).parent)
    return {
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{first}{os.pathsep}{SYSTEM_PATH}",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
    }


def start_server(
    workspace: Path,
    port: int,
    log_path: Path,
    *,
    confined: bool = False,
    lifetime: ExitStack | None = None,
) -> subprocess.Popen[bytes]:
    """Run ``sh run.sh`` in ``workspace`` with ``PORT`` set, output to ``log_path``;
    ``confined``: inside a sandbox that sees the workspace and a Python with Flask,
    sharing this process's network namespace (the runner's, which holds only loopback),
    with at most `SERVER_LIMITS` processes and memory while ``lifetime`` is open."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = ["sh", "run.sh"]
    with log_path.open("ab") as log, _confined(workspace, argv, confined) as (sandboxed, extra):
        command = sandboxed
        if confined and lifetime is not None:
            command = lifetime.enter_context(limited(SERVER_LIMITS, sandboxed))
        proc = subprocess.Popen(
            file_size_limited(command, SERVER_FILE_CAP_BYTES),
            cwd=workspace,
            env=server_env(port, confined=confined),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **extra,
        )
    own(proc)
    return proc


@contextmanager
def _confined(
    workspace: Path, argv: list[str], confined: bool
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(command, extra Popen arguments) for the server, sandboxed when ``confined``."""
    if not confined:
        yield argv, {}
        return
    readable, lent = python_for_servers()
    confinement = Confinement(cwd=workspace, writable=(workspace,), readable=readable, lent=lent)
    with prepared(confinement, argv) as launch:
        yield launch.argv, launch.popen_kwargs()


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str = ""
    seconds: float = 0.0


def wait_healthy(
    base_url: str,
    deadline_seconds: float,
    proc: subprocess.Popen[bytes] | None = None,
    since: float | None = None,
) -> Health:
    """Poll ``GET /health`` until it answers 200, the deadline passes, or ``proc`` exits;
    the deadline counts from ``since`` (a ``time.monotonic()`` reading; default: now)."""
    start = time.monotonic() if since is None else since
    url = base_url.rstrip("/") + "/health"
    address = urlsplit(url)
    last_error = "no answer"
    pause = FIRST_POLL_SECONDS
    while True:
        elapsed = time.monotonic() - start
        # Exit code 0 may be a run.sh that backgrounded the server: keep polling then.
        if proc is not None and proc.poll() not in (None, 0):
            return Health(
                False,
                f"run.sh exited with code {proc.returncode} before GET /health answered",
                elapsed,
            )
        refused = _refused(address.hostname or "", address.port or 80)
        if refused and elapsed < deadline_seconds:
            last_error = refused
            time.sleep(CONNECT_POLL_SECONDS)
            continue
        try:
            answered = probe.status(url, PROBE_SECONDS)
            if answered == 200:
                return Health(True, "", elapsed)
            last_error = f"status {answered}"
        except (OSError, ValueError, http.client.HTTPException) as exc:
            last_error = type(exc).__name__
        if elapsed >= deadline_seconds:
            return Health(
                False,
                f"GET {url} did not answer 200 within {deadline_seconds:g}s (last: {last_error}); "
                "run.sh must start the server on 0.0.0.0:$PORT",
                elapsed,
            )
        time.sleep(pause)
        pause = min(2 * pause, POLL_SECONDS)


def _refused(host: str, port: int) -> str:
    """Why nothing accepts a connection at ``host:port`` yet ("" once something does)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return ""
    except OSError as exc:
        return type(exc).__name__


def log_tail(path: Path, max_bytes: int = 4096) -> str:
    """The last ``max_bytes`` of a log file (whole lines where possible), or ``""``.

    On Kubernetes the server writes its log folder while the runner reads it: a log it
    replaced by a link (to the suite, the ground truth, the runner's ``/proc/self``) or
    a FIFO is not read, and the tail says so (it reaches the agent as feedback)."""
    try:
        data = read_tail(path, max_bytes + 1)
    except OSError:
        return ""
    if data is None:
        return "" if not os.path.lexists(path) else NOT_A_LOG
    if len(data) > max_bytes:
        data = data[1:]
        if b"\n" in data:
            data = data.split(b"\n", 1)[1]
    return data.decode("utf-8", errors="replace")
