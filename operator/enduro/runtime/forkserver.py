"""A warm ``enduro`` for the step commands: one process imports everything once, then
forks a child per command.

A turn runs three ``enduro`` commands (prepare-workspace, agent, test-runner). Started
cold, each spends most of its time importing pydantic models, the generator, pytest
and the rest; forked from a warm parent it starts in milliseconds. The child is what a
cold start would have been: its own session (process group), its working directory,
environment and log as asked, ``enduro`` argv parsed by the same typer app.

Protocol (JSON lines): the client writes ``{"id", "argv", "cwd", "env", "log"}`` to the
server's stdin; the server answers ``{"id", "pid"}`` once forked (or ``{"id", "error"}``)
and ``{"id", "exit"}`` when the child ends. The server is single-threaded (a ``select``
loop woken by SIGCHLD), so forking it is safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from enduro.procgroup import die_with_parent

WARM_MODULES = (
    "enduro.cli",
    "enduro.agents.step",
    "enduro.agents.baselines.harnesses",
    "enduro.workspace.prepare",
    "enduro.testrunner.step",
    "enduro.scenarios.generator",
    "enduro.scenarios.render.spec",
    "enduro.scenarios.render.changes",
    "enduro.scenarios.render.openapi",
    "enduro.scenarios.render.suite",
    "enduro.scenarios.render.server",
    "pytest",
)


# ---------------------------------------------------------------------------- client


class Forked:
    """A child of the fork server, with the parts of ``Popen`` the runtime uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._done = threading.Event()

    def _exited(self, code: int) -> None:
        self.returncode = code
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"enduro (pid {self.pid})", timeout or 0)
        assert self.returncode is not None
        return self.returncode


class ForkServer:
    """Client side: starts the server and hands out ``Forked`` children."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            # -P: the folder `enduro run` started in is not on the steps' sys.path.
            [sys.executable, "-P", "-m", "enduro.runtime.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        self._lock = threading.Lock()
        self._next = 0
        self._pending: dict[int, tuple[threading.Event, dict[str, Any]]] = {}
        self._children: dict[int, Forked] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def spawn(self, argv: list[str], cwd: str | None, env: dict[str, str], log: Path) -> Forked:
        """Run ``enduro *argv`` as a forked child; raise OSError when the server is gone."""
        ready = threading.Event()
        reply: dict[str, Any] = {}
        with self._lock:
            self._next += 1
            ident = self._next
            self._pending[ident] = (ready, reply)
            request = {"id": ident, "argv": argv, "cwd": cwd, "env": env, "log": str(log)}
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(json.dumps(request).encode() + b"\n")
                self._proc.stdin.flush()
            except (OSError, ValueError) as exc:
                del self._pending[ident]
                raise OSError(f"the enduro fork server is gone: {exc}") from exc
        if not ready.wait(60) or "child" not in reply:
            raise OSError(f"the enduro fork server did not start the command: {reply}")
        child: Forked = reply["child"]
        return child

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            message = json.loads(line)
            ident = message["id"]
            with self._lock:
                if "exit" in message:
                    found = self._children.pop(ident, None)
                    if found is not None:
                        found._exited(message["exit"])
                    continue
                if "pid" in message:  # always before its "exit": the server forks, then reaps
                    child = Forked(message["pid"])
                    self._children[ident] = child
                    message["child"] = child
                waiting = self._pending.pop(ident, None)
            if waiting is not None:
                waiting[1].update(message)
                waiting[0].set()
        with self._lock:  # the server died: nothing it started will report again
            for child in self._children.values():
                child._exited(-9)
            for ready, reply in self._pending.values():
                reply["error"] = "fork server exited"
                ready.set()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


# ---------------------------------------------------------------------------- server


def _child(request: dict[str, Any], keep_out: list[int]) -> None:
    """In the forked child: become the command, then exit with its code."""
    code = 1
    try:
        die_with_parent()  # the fork server's children die with it, and it with enduro run
        os.setsid()
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in {log, null, *keep_out} - {0, 1, 2}:  # the server's pipes are not the child's
            os.close(fd)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import random

        random.seed()  # not the parent's stream
        from enduro.cli import app

        try:
            app(args=request["argv"], prog_name="enduro")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _warm_up() -> None:
    """Import what every command needs and run pytest once, so children start warm."""
    import importlib
    import tempfile

    for module in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    import enduro
    from enduro.testrunner.suite import run_suite

    enduro.installed_version()  # read once here; every child inherits the answer

    with tempfile.TemporaryDirectory(prefix="enduro-warm-") as tmp:
        Path(tmp, "test_warm.py").write_text("def test_warm():\n    assert 1 + 1 == 2\n")
        run_suite(Path(tmp), "http://127.0.0.1:9", 30)


def _pregenerate(argv: list[str]) -> None:
    """Generate the command's turn here, before forking: the generator extends each
    scenario incrementally and its cache is inherited, so no child regenerates turns
    1..t from scratch. Best effort: the child generates whatever is missing."""
    if "--context" not in argv:
        return
    with contextlib.suppress(Exception):
        from enduro.scenarios.generator import scenario_turn
        from enduro.steps.context import StepContext

        ctx = StepContext.model_validate_json(argv[argv.index("--context") + 1])
        if ctx.generator is not None:
            scenario_turn(ctx.generator, ctx.scenario, ctx.turn)


def serve(stdin: IO[bytes], reply_fd: int) -> None:
    _warm_up()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    children: dict[int, int] = {}
    buffer = b""
    stdin_fd = stdin.fileno()

    def reply(message: dict[str, Any]) -> None:
        os.write(reply_fd, json.dumps(message).encode() + b"\n")

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ident = children.pop(pid, None)
            if ident is not None:
                reply({"id": ident, "exit": os.waitstatus_to_exitcode(status)})

    open_input = True
    while open_input or children:
        watched = [wake_r] + ([stdin_fd] if open_input else [])
        try:
            readable, _, _ = select.select(watched, [], [], 1.0)
        except InterruptedError:
            readable = []
        if wake_r in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        reap()
        if stdin_fd in readable:
            chunk = os.read(stdin_fd, 65536)
            if not chunk:
                open_input = False  # the client is gone: finish the running children
                continue
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                _pregenerate(request["argv"])
                try:
                    pid = os.fork()
                except OSError as exc:
                    reply({"id": request["id"], "error": str(exc)})
                    continue
                if pid == 0:
                    _child(request, [wake_r, wake_w, stdin_fd, reply_fd])
                children[pid] = request["id"]
                reply({"id": request["id"], "pid": pid})
        reap()


if __name__ == "__main__":
    die_with_parent()
    # Replies go to the original stdout; nothing else may write there.
    reply_fd = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    serve(sys.stdin.buffer, reply_fd)
