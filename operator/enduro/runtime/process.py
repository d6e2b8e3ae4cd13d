"""Running a StepSpec's containers as local processes, each in its own process group.

``Processes`` tracks every live group so a Ctrl-C (or any stop) kills them all at
once; the scenario threads then see ``stopped`` and keep their last state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from enduro.procgroup import Process, file_size_limited, kill_group, wait_for
from enduro.runtime.forkserver import ForkServer
from enduro.steps.spec import ContainerSpec
from enduro.testrunner.server import SERVER_FILE_CAP_BYTES


class MissingSecretError(Exception):
    pass


def enduro_argv() -> list[str]:
    """How to run this very ``enduro`` (the one next to this interpreter)."""
    beside = Path(sys.executable).parent / "enduro"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("enduro")
    return [found] if found else [sys.executable, "-m", "enduro"]


def container_env(container: ContainerSpec) -> dict[str, str]:
    """The process environment: ours, plus the container's variables. Secret references
    are read from our own environment variable of the same name (there is no Secret
    store on one machine). Only trusted `enduro` commands get it whole: they pass the
    agent and its server a filtered environment of their own."""
    env = dict(os.environ)
    for var in container.env:
        if var.secret_key_ref is not None:
            value = os.environ.get(var.name)
            if value is None:
                ref = var.secret_key_ref
                raise MissingSecretError(
                    f"{var.name} comes from Secret {ref.name}/{ref.key} on a cluster; "
                    f"locally, export {var.name} before `enduro run`"
                )
            env[var.name] = value
        elif var.value is not None:
            env[var.name] = var.value
    return env


@dataclass
class Finished:
    returncode: int
    timed_out: bool
    stopped: bool


class Processes:
    """Every process group the runtime started and has not reaped yet.

    ``enduro`` commands are forked from ``forkserver`` when one is given (a warm
    process: no import cost per step), everything else is a plain subprocess.
    """

    def __init__(self, forkserver: ForkServer | None = None) -> None:
        self._lock = threading.Lock()
        self._live: set[Process] = set()
        self.stopped = threading.Event()
        self.forkserver = forkserver

    def start(self, container: ContainerSpec, env: dict[str, str], log: Path) -> Process:
        argv = list(container.command)
        log.parent.mkdir(parents=True, exist_ok=True)
        if argv and argv[0] == "enduro" and self.forkserver is not None:
            with self._lock:
                if self.stopped.is_set():
                    raise InterruptedError("the run is stopping")
                try:
                    child = self.forkserver.spawn(argv[1:], container.working_dir, env, log)
                except OSError:
                    self.forkserver = None  # gone: cold processes from now on, same results
                else:
                    self._live.add(child)
                    return child
        if argv and argv[0] == "enduro":
            argv = enduro_argv() + argv[1:]
        else:  # the agent's server (a sidecar): it must not fill the disk either
            argv = file_size_limited(argv, SERVER_FILE_CAP_BYTES)
        with self._lock:
            if self.stopped.is_set():
                raise InterruptedError("the run is stopping")
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    argv,
                    cwd=container.working_dir or None,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches us only; we stop the groups
                )
            self._live.add(proc)
        return proc

    def wait(self, proc: Process, timeout: float) -> Finished:
        timed_out = False
        try:
            wait_for(proc, timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        self.stop_process(proc)
        assert proc.returncode is not None
        return Finished(proc.returncode, timed_out, self.stopped.is_set())

    def stop_process(self, proc: Process) -> None:
        kill_group(proc, grace=1.0)
        with self._lock:
            self._live.discard(proc)

    def stop_all(self) -> None:
        self.stopped.set()
        with self._lock:
            live = list(self._live)
        for proc in live:
            kill_group(proc, grace=1.0)
