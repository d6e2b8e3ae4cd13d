"""One test step: server up, pristine suite run, server down, result out.

Every way the agent's server can misbehave ends in a ``TestResult`` with a reason and
a score (0 when nothing ran), never in an exception.
"""

from __future__ import annotations

import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

from enduro.procgroup import kill_group
from enduro.testrunner.result import TestResult
from enduro.testrunner.server import Health, free_port, log_tail, start_server, wait_healthy
from enduro.testrunner.suite import collect_suite, not_run, run_suite

LOG_TAIL_BYTES = 4096
STILL_UP_SECONDS = 2.0  # after the suite, how long GET /health may take to answer


def run_tests(
    suite_dir: Path,
    *,
    workspace: Path,
    server_log: Path,
    server_url: str | None = None,
    server_start_seconds: float = 30.0,
    test_seconds: float = 300.0,
    confined: bool = False,
) -> TestResult:
    """Run the suite in ``suite_dir`` against the workspace's server.

    With ``server_url`` the server is already running (a sidecar started it and writes
    ``server_log``); without it this starts ``run.sh`` on a free port and stops its whole
    process group afterwards (``confined``: in a sandbox, see ``start_server``).
    """
    proc: subprocess.Popen[bytes] | None = None
    if not (workspace / "run.sh").is_file():
        reason = "the workspace has no run.sh: nothing to start the server with"
        return _nothing_ran(suite_dir, reason, server_log)
    with ExitStack() as server_lifetime:  # the server's cgroups go when it is stopped
        started = time.monotonic()
        if server_url is None:
            port = free_port()
            proc = start_server(
                workspace, port, server_log, confined=confined, lifetime=server_lifetime
            )
            server_url = f"http://127.0.0.1:{port}"
        url = server_url
        health = Health(False, "the suite did not get as far as the server")

        def ready() -> str:
            # Called once the suite is collected: collection overlaps the server's start,
            # whose deadline still counts from the moment it was started.
            nonlocal health
            health = wait_healthy(url, server_start_seconds, proc, since=started)
            return health.reason

        try:
            suite = run_suite(suite_dir, url, test_seconds, ready)
            if suite.ran and not suite.reason and not _still_up(url, proc):
                # Said the same way whether the server is ours (a process we can see)
                # or a pod's sidecar (only its port is visible): both runtimes agree.
                suite.reason = "the server stopped answering during the suite"
        finally:
            if proc is not None:
                kill_group(proc)  # before reading the log, so its last lines are in it
    return TestResult.from_cases(
        suite.cases,
        reason=suite.reason,
        server_log_tail=log_tail(server_log, LOG_TAIL_BYTES),
        server_start_seconds=round(health.seconds, 3),
        suite_seconds=round(suite.seconds, 3),
    )


def _still_up(server_url: str, proc: subprocess.Popen[bytes] | None) -> bool:
    if proc is not None and proc.poll() not in (None, 0):
        return False
    return wait_healthy(server_url, STILL_UP_SECONDS).ok


def _nothing_ran(suite_dir: Path, reason: str, server_log: Path) -> TestResult:
    return TestResult.from_cases(
        not_run(collect_suite(suite_dir), reason),
        reason=reason,
        server_log_tail=log_tail(server_log, LOG_TAIL_BYTES),
    )
