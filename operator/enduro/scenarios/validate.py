"""Validate generated turns: each turn's ground truth must pass its own suite, and each
turn's suite must fail against the previous turn's ground truth when behaviour changed.

Speed comes from forking: this (warm) process imports flask, werkzeug and pytest once;
every turn runs in a forked worker that starts the ground-truth app from its generated
source in a forked grandchild (``exec`` of ``app.py``, served on a free
loopback port by the keep-alive handler its own ``__main__`` block uses) and runs the
suite with ``pytest.main`` in-process. Two workers run at a time. ``script_server``
starts a server the way a test runner does (``sh run.sh``) for the one check that the
script itself works.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import flask  # noqa: F401  # imported here so every fork starts warm
import pytest

from enduro.scenarios.render.http_client import ClientError, Session
from enduro.scenarios.render.server import render_server
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.schema import Schema
from enduro.testrunner.server import free_port
from enduro.testrunner.suite import plugins_off

WORKERS = 2
START_TIMEOUT = 30.0


class Turn(Protocol):
    """What validation needs of a turn (``ScenarioTurn`` and ``TurnPair`` both fit)."""

    @property
    def schema(self) -> Schema: ...

    @property
    def previous(self) -> Schema | None: ...


@dataclass
class TurnPair:
    """What ``render_suite`` needs: the turn's schema and the one before it."""

    schema: Schema
    previous: Schema | None
    changes: list[Any] = field(default_factory=list)


@dataclass
class SuiteRun:
    turn: int
    start_seconds: float = 0.0
    suite_seconds: float = 0.0
    tests: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    requests_file: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.tests > 0 and self.passed == self.tests


@dataclass
class Validation:
    runs: list[SuiteRun]
    sensitivity: list[SuiteRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def all_pass(self) -> bool:
        return all(run.ok for run in self.runs)

    def detected(self) -> tuple[int, int]:
        """(turns whose suite failed the previous ground truth, turns checked)."""
        checked = [run for run in self.sensitivity if run.error is None]
        return sum(1 for run in checked if run.passed < run.tests), len(checked)

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "runs": [asdict(run) for run in self.runs],
            "sensitivity": [asdict(run) for run in self.sensitivity],
        }


# --------------------------------------------------------------------------- servers


def load_app(source: str, path: str) -> types.ModuleType:
    """The module defined by generated ``app.py`` source, loaded fresh: its Flask ``app``
    and the ``KeepAliveHandler`` its ``__main__`` block serves it with.

    The source is compiled exactly as ``python app.py`` would compile it: with
    ``dont_inherit=True`` no ``from __future__`` import of this module leaks into it, so
    a file that would fail to start under ``sh run.sh`` fails here too."""
    module = types.ModuleType("enduro_ground_truth")
    module.__file__ = path
    sys.modules[module.__name__] = module
    exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
    return module


def serve_keep_alive(ground_truth: types.ModuleType) -> ThreadingHTTPServer:
    """A loopback server for the module, with the handler ``python app.py`` serves with
    (HTTP/1.1 keep-alive), so the floor and the suites meet the server a run meets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ground_truth.KeepAliveHandler)
    server.daemon_threads = True
    return server


@contextmanager
def forked_server(source: str, path: str) -> Iterator[str]:
    """Serves generated app source from a forked child; yields its base URL."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the server child never returns
        code = 1
        try:
            os.close(read_end)
            server = serve_keep_alive(load_app(source, path))
            os.write(write_end, str(server.server_address[1]).encode())
            os.close(write_end)
            server.serve_forever()
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        port = os.read(read_end, 32).decode()
        os.close(read_end)
        if not port:
            raise RuntimeError(f"the ground truth in {path} did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@contextmanager
def script_server(workdir: Path) -> Iterator[str]:
    """Starts ``sh run.sh`` in ``workdir`` like a test runner; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PYTHON": sys.executable}
    process = subprocess.Popen(
        ["sh", "run.sh"], cwd=workdir, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    session = Session()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with suppress(ClientError):
                if session.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"sh run.sh in {workdir} did not answer /health")
            time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait()


# --------------------------------------------------------------------------- suites


class _Results:
    """A pytest plugin counting outcomes per test (setup/call/teardown folded)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, bool] = {}
        self.messages: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        ok = self.outcomes.get(report.nodeid, True)
        if report.failed or report.skipped:
            ok = False
            self.messages.setdefault(report.nodeid, str(report.longrepr)[-600:])
        if report.when == "call" or not ok:
            self.outcomes[report.nodeid] = ok and not report.failed


RECORDED = ("params", "json", "data", "headers")  # what a request is replayed with


class _Recorder:
    """A pytest plugin noting every request the suite's client sends (the floor replays
    them): it wraps the ``SESSION`` of the suite's conftest as the conftest loads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.calls: list[dict[str, Any]] = []

    def pytest_plugin_registered(self, plugin: object) -> None:
        session = getattr(plugin, "SESSION", None)
        if session is None:
            return
        send = session.request

        def recording(method: str, url: str, **kwargs: Any) -> Any:
            call: dict[str, Any] = {"method": method, "path": url[len(self.base_url) :]}
            call.update((k, kwargs[k]) for k in RECORDED if k in kwargs)
            self.calls.append(call)
            return send(method, url, **kwargs)

        session.request = recording


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def run_pytest(
    suite_root: Path, base_url: str, record: Path | None = None, keyword: str | None = None
) -> SuiteRun:
    """Runs the suite under ``suite_root/tests`` in this process (call it in a fork);
    ``keyword`` selects tests like ``pytest -k``."""
    os.environ["BASE_URL"] = base_url
    # The suite needs no third-party plugin; loading the environment's (asyncio, xdist,
    # hypothesis, ...) would cost more than running a small suite.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    (suite_root / "pytest.ini").write_text("[pytest]\n")
    plugin = _Results()
    recorder = _Recorder(base_url)
    args = [
        str(suite_root / "tests"), *plugins_off(),
        "--import-mode=importlib", "--rootdir", str(suite_root),
        "-c", str(suite_root / "pytest.ini"), "--capture=no", "--assert=plain",
    ]  # fmt: skip
    if keyword is not None:
        args += ["-k", keyword]
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        stdout, sys.stdout = sys.stdout, sink
        try:
            pytest.main(args, plugins=[plugin, *([recorder] if record else [])])
        finally:
            sys.stdout = stdout
    run = SuiteRun(turn=0, suite_seconds=time.perf_counter() - started)
    run.tests = len(plugin.outcomes)
    run.passed = sum(plugin.outcomes.values())
    run.failures = [
        f"{node}: {plugin.messages.get(node, '')}" for node, ok in plugin.outcomes.items() if not ok
    ]
    if record is not None:
        record.write_text(json.dumps(recorder.calls))
        run.requests_file = str(record)
    return run


def check(
    server_source: str,
    suite_files: dict[str, str],
    workdir: Path,
    record: bool = False,
    keyword: str | None = None,
) -> SuiteRun:
    """One ground truth against one suite, in this process (call it in a fork)."""
    write_files(workdir, suite_files)
    app_path = workdir / "server" / "app.py"
    app_path.parent.mkdir(parents=True, exist_ok=True)
    app_path.write_text(server_source)
    started = time.perf_counter()
    with forked_server(server_source, str(app_path)) as url:
        start_seconds = time.perf_counter() - started
        run = run_pytest(workdir, url, workdir / "requests.json" if record else None, keyword)
    run.start_seconds = start_seconds
    return run


# --------------------------------------------------------------------------- fan-out


Job = Callable[[], SuiteRun]
JOB_TIMEOUT = 900  # seconds for one turn: a suite stuck on a broken server must not hang


def _timed_out(signum: int, frame: object) -> None:
    raise TimeoutError(f"the turn took more than {JOB_TIMEOUT} s")


def run_forked(jobs: Sequence[tuple[int, Job]], workers: int = WORKERS) -> list[SuiteRun]:
    """Runs each job in its own fork of this warm process, ``workers`` at a time."""
    results: dict[int, SuiteRun] = {}
    running: dict[int, tuple[int, Path]] = {}
    pending = list(jobs)
    with tempfile.TemporaryDirectory(prefix="enduro-validate-") as scratch:
        while pending or running:
            while pending and len(running) < workers:
                turn, job = pending.pop(0)
                out = Path(scratch) / f"result-{turn}-{len(results)}-{len(pending)}.json"
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        signal.signal(signal.SIGALRM, _timed_out)
                        signal.alarm(JOB_TIMEOUT)
                        run = job()
                        run.turn = turn
                        out.write_text(json.dumps(asdict(run)))
                    except BaseException as exc:  # the child reports, never raises
                        out.write_text(json.dumps(asdict(SuiteRun(turn=turn, error=repr(exc)))))
                        code = 1
                    finally:
                        os._exit(code)
                running[pid] = (turn, out)
            pid, _ = os.wait()
            turn, out = running.pop(pid)
            if out.exists():
                data = json.loads(out.read_text())
                results[turn] = SuiteRun(**data)
            else:
                results[turn] = SuiteRun(turn=turn, error="the worker died without a result")
    return [results[turn] for turn, _ in jobs]


def validate_turns(
    turns: Sequence[Turn],
    sensitivity: bool = False,
    workers: int = WORKERS,
    record_dir: Path | None = None,
) -> Validation:
    """Every turn's ground truth against its own suite (numbered from 1); with
    ``sensitivity`` also every turn's suite against the previous turn's ground truth."""
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="enduro-turns-"))

    def own(index: int) -> Job:
        def job() -> SuiteRun:
            pair = turns[index]
            source = render_server(pair.schema)["app.py"]
            workdir = scratch / f"turn-{index + 1:03d}"
            run = check(source, render_suite(pair), workdir, record=record_dir is not None)
            if record_dir is not None and run.requests_file:
                target = record_dir / f"turn-{index + 1:03d}.json"
                target.write_text(Path(run.requests_file).read_text())
                run.requests_file = str(target)
            return run

        return job

    def against_previous(index: int) -> Job:
        def job() -> SuiteRun:
            pair = turns[index]
            assert pair.previous is not None
            source = render_server(pair.previous)["app.py"]
            workdir = scratch / f"sensitivity-{index + 1:03d}"
            return check(source, render_suite(pair), workdir)

        return job

    jobs: list[tuple[int, Job]] = [(i + 1, own(i)) for i in range(len(turns))]
    runs = run_forked(jobs, workers)
    checks: list[SuiteRun] = []
    if sensitivity:
        changed = [
            (i + 1, against_previous(i))
            for i, pair in enumerate(turns)
            if pair.previous is not None and pair.previous != pair.schema
        ]
        checks = run_forked(changed, workers)
    with suppress(OSError):
        subprocess.run(["rm", "-rf", str(scratch)], check=False)
    return Validation(runs=runs, sensitivity=checks, seconds=time.perf_counter() - started)


def pairs(schemas: Sequence[Schema]) -> list[TurnPair]:
    """Consecutive turns of one scenario as (schema, previous) pairs."""
    return [
        TurnPair(schema=s, previous=schemas[i - 1] if i else None) for i, s in enumerate(schemas)
    ]


# --------------------------------------------------------------------------- floor


def replay_floor(turns: Sequence[Turn], record_dir: Path) -> float:
    """Seconds to replay every recorded suite request from this one process against
    already-running ground truths (server start-up not counted): the floor."""
    total = 0.0
    session = Session()
    for index, pair in enumerate(turns):
        calls = json.loads((record_dir / f"turn-{index + 1:03d}.json").read_text())
        source = render_server(pair.schema)["app.py"]
        with forked_server(source, f"<turn {index + 1}>") as url:
            started = time.perf_counter()
            for call in calls:
                kwargs = {k: call[k] for k in RECORDED if k in call}
                session.request(call["method"], url + call["path"], timeout=30, **kwargs)
            total += time.perf_counter() - started
    return total


def scenario_turns(
    source: str, scenario: int, seed: int, turns: int, changes_per_turn: int
) -> Sequence[Turn]:
    """The turns to validate: one scenario of a stored set (a directory with a
    manifest), turn schemas in a directory, or freshly generated ones."""
    if not source:
        from enduro.api.generator import GeneratorSpec
        from enduro.scenarios.generator import generate_scenario

        spec = GeneratorSpec(
            seed=seed, scenarios=scenario + 1, turns=turns, changes_per_turn=changes_per_turn
        )
        return generate_scenario(spec, scenario)
    root = Path(source)
    if (root / "manifest.json").is_file():
        from enduro.scenarios.store import load_set

        loaded = load_set(root)
        if scenario >= loaded.spec.scenarios:
            raise ValueError(f"--scenario {scenario}: the set has {loaded.spec.scenarios}")
        return [loaded.turn(scenario, t) for t in range(1, loaded.spec.turns + 1)]
    return pairs(load_schemas(root))


def load_schemas(directory: Path) -> list[Schema]:
    """Turn schemas stored as ``*.yaml`` files, in file-name order."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FileNotFoundError(f"{directory} holds no *.yaml turn schemas")
    return [Schema.from_yaml(path.read_text()) for path in files]


def report_lines(result: Validation) -> Iterator[str]:
    """A per-turn table and the totals, as printed by ``enduro validate``."""
    yield f"{'turn':>4}  {'start s':>8}  {'suite s':>8}  {'tests':>6}  {'passed':>6}"
    for run in result.runs:
        yield (
            f"{run.turn:>4}  {run.start_seconds:>8.2f}  {run.suite_seconds:>8.2f}  "
            f"{run.tests:>6}  {run.passed:>6}" + (f"  error: {run.error}" if run.error else "")
        )
        for failure in run.failures[:5]:
            yield f"      FAILED {failure.splitlines()[0][:150]}"
    passed = sum(1 for run in result.runs if run.ok)
    yield f"turns passing their own suite: {passed}/{len(result.runs)}"
    if result.sensitivity:
        detected, checked = result.detected()
        yield f"changed turns whose suite fails the previous ground truth: {detected}/{checked}"
    yield f"total: {result.seconds:.1f} s"
