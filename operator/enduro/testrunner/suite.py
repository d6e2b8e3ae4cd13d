"""Runs a pytest suite in this process and records every test's outcome.

In-process ``pytest.main`` with a small results plugin keeps a turn's test step to one
Python start-up. The suite is collected while the server starts: a ``ready`` check runs
between collection and the first test, and a server that never comes up leaves every
collected test not run, without a second collection. The suite timeout starts when the
first test does; it is a ``SIGALRM`` that ends the pytest session (``pytest.exit``), and
a blocking socket read in a test is interrupted by the signal, so a hanging server
cannot hold the runner past its deadline. Tests that did not run count as errors, so
the total is always the suite's size.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import pytest

from enduro.testrunner.result import MESSAGE_LIMIT, Outcome, TestCase


class _Recorder:
    """pytest plugin: collected ids and the outcome of each phase of each test."""

    def __init__(self) -> None:
        self.collected: list[str] = []
        self.collect_errors: list[str] = []
        self.cases: dict[str, TestCase] = {}
        self._bad: set[str] = set()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {_text(report)}"[:MESSAGE_LIMIT])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A test passes only when its call phase passed and no phase failed; one whose
        # call never reported (interrupted by the timeout) stays an error.
        case = self.cases.get(report.nodeid)
        if case is None:
            case = self.cases[report.nodeid] = TestCase(id=report.nodeid, outcome=Outcome.ERROR)
        case.seconds += report.duration
        if report.nodeid in self._bad:
            return  # keep the first failure
        if report.failed:
            self._bad.add(report.nodeid)
            case.outcome = Outcome.FAILED if report.when == "call" else Outcome.ERROR
            case.message = _crash_message(report)
            case.detail = _text(report)[-MESSAGE_LIMIT:]
        elif report.skipped:
            # A skip in a pristine suite means it could not check: not a pass.
            self._bad.add(report.nodeid)
            case.outcome = Outcome.ERROR
            case.message = "skipped: " + _crash_message(report)
        elif report.when == "call":
            case.outcome = Outcome.PASSED


def _text(report: pytest.TestReport | pytest.CollectReport) -> str:
    try:
        return report.longreprtext
    except Exception:  # a longrepr pytest cannot render must not lose the result
        return str(report.longrepr)


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:MESSAGE_LIMIT]
    if isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        return str(report.longrepr[2])[:MESSAGE_LIMIT]
    return _text(report).strip().splitlines()[-1][:MESSAGE_LIMIT] if report.longrepr else ""


class _Gate:
    """pytest plugin: between collection and the first test, asks ``ready`` whether the
    server is up ("" when it is, else why not) and starts the suite's deadline."""

    def __init__(self, ready: Callable[[], str], seconds: float) -> None:
        self.ready, self.seconds = ready, seconds
        self.reason = ""
        self.started: float | None = None
        self.timed_out = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        self.reason = self.ready()
        if self.reason:
            return True  # no test runs: each stays "not run" with this reason
        self.started = time.monotonic()

        def on_alarm(signum: int, frame: FrameType | None) -> None:
            self.timed_out = True
            pytest.exit(f"suite timeout after {self.seconds:g}s", returncode=3)

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return None


@contextmanager
def _alarm_restored() -> Iterator[None]:
    """Whatever the gate armed is disarmed, and the previous handler is back, afterwards."""
    previous = signal.getsignal(signal.SIGALRM)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _forget_imports(suite_dir: Path) -> Iterator[None]:
    """Drop the suite's modules afterwards: another suite's ``test_x.py`` must not reuse them."""
    root = str(suite_dir.resolve())
    try:
        yield
    finally:
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(root):
                del sys.modules[name]


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set environment variables for the suite (it reads ``BASE_URL``), then restore."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# Per-test machinery a scored suite does not use (log, warning and output capture, the
# terminal's progress, hooks that only turn into warnings or crash dumps) costs time per
# test: the results plugin records what matters.
UNUSED_PLUGINS = (
    "cacheprovider", "logging", "warnings", "doctest", "junitxml", "pastebin", "terminal",
    "unraisableexception", "threadexception", "faulthandler",
)  # fmt: skip


def plugins_off() -> list[str]:
    """pytest arguments that keep `UNUSED_PLUGINS` from loading."""
    return [arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]


def _pytest_args(suite_dir: Path, collect_only: bool) -> list[str]:
    args = [
        str(suite_dir),
        "--rootdir",
        str(suite_dir),
        "-c",
        os.devnull,  # never pick up a pytest config from around the suite
        "--confcutdir",  # nor a conftest.py from its parents (a planted one passes every test)
        str(suite_dir),
        *plugins_off(),
        "--capture=no",
        "--import-mode=importlib",  # no sys.path or module-name clashes between suites
    ]
    if collect_only:
        args.append("--collect-only")
    return args


@dataclass
class SuiteOutcome:
    """One run of a suite: a case per collected test, in collection order; ``reason`` is
    "" when the suite ran to the end; ``seconds`` from the first test to the last (0
    when none ran)."""

    cases: list[TestCase] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0

    @property
    def ran(self) -> bool:
        return self.seconds > 0


def _up() -> str:
    return ""


def run_suite(
    suite_dir: Path,
    base_url: str,
    timeout_seconds: float,
    ready: Callable[[], str] = _up,
) -> SuiteOutcome:
    """Collect every test under ``suite_dir``, then (when ``ready`` says the server at
    ``base_url`` is up) run them all against it within ``timeout_seconds``."""
    recorder = _Recorder()
    gate = _Gate(ready, timeout_seconds)
    # Everything imported so far lives as long as the process: keep the collector's full
    # passes (pytest runs some at the session's end) from walking it again and again.
    gc.freeze()
    with (
        # The alarm can also fire just outside the session, where pytest cannot catch it.
        contextlib.suppress(pytest.exit.Exception),
        _environ(BASE_URL=base_url, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
        _alarm_restored(),
        contextlib.redirect_stdout(io.StringIO()),
        _forget_imports(suite_dir),
    ):
        pytest.main(_pytest_args(suite_dir, collect_only=False), plugins=[recorder, gate])
    seconds = 0.0 if gate.started is None else time.monotonic() - gate.started
    reason = gate.reason
    if gate.timed_out:
        reason = f"suite timeout after {timeout_seconds:g}s ({seconds:.1f}s)"
    elif recorder.collect_errors and not reason:
        reason = "suite collection failed: " + "; ".join(recorder.collect_errors)[:MESSAGE_LIMIT]
    cases = [
        recorder.cases.get(nodeid) or TestCase(id=nodeid, outcome=Outcome.ERROR)
        for nodeid in recorder.collected
    ]
    for case in cases:
        if case.outcome is Outcome.ERROR and not case.message:
            case.message = ("did not run to the end: " if seconds else "") + (
                reason or "interrupted"
            )
    return SuiteOutcome(cases, reason, seconds)


def collect_suite(suite_dir: Path) -> list[str]:
    """The ids of every test in the suite, without running any."""
    recorder = _Recorder()
    with (
        # Suites may read BASE_URL at import time; nothing listens on the discard port.
        _environ(BASE_URL="http://127.0.0.1:9", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
        contextlib.redirect_stdout(io.StringIO()),
        _forget_imports(suite_dir),
    ):
        pytest.main(_pytest_args(suite_dir, collect_only=True), plugins=[recorder])
    return recorder.collected


def not_run(ids: list[str], reason: str) -> list[TestCase]:
    return [TestCase(id=i, outcome=Outcome.ERROR, message=reason) for i in ids]
