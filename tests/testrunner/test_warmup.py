"""Beside the agent, `enduro warm-suite` rewrites the turn's suite into bytecode, so the
test step's collection rewrites nothing; it never fails the step and stops when told."""

from __future__ import annotations

import marshal
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.artifacts import Artifacts
from enduro.scenarios.turnfiles import TurnFiles
from enduro.steps.context import StepContext
from enduro.testrunner import bytecode
from enduro.testrunner.suite import collect_suite
from enduro.testrunner.warmup import warm_suite

GENERATOR = GeneratorSpec(seed=3, scenarios=1, turns=3)


def context(turn: int) -> StepContext:
    return StepContext(generator=GENERATOR, scenario=0, turn=turn, attempt=1)


def rewrites(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The modules pytest rewrites from now on (instead of loading their bytecode)."""
    from _pytest.assertion import rewrite

    seen: list[str] = []
    original = rewrite._rewrite_test

    def spy(fn: Path, config: pytest.Config) -> tuple[bytes, object]:
        seen.append(fn.name)
        return original(fn, config)

    monkeypatch.setattr(rewrite, "_rewrite_test", spy)
    return seen


def suite_dir(artifacts: Path, turn: int) -> Path:
    cached = TurnFiles(GENERATOR, 0, turn).cached(Artifacts(artifacts).turn_cache())
    return cached.suite_dir


def modules(suite: Path) -> list[str]:
    return sorted(p.name for p in suite.glob("*.py"))


def test_after_the_warm_up_the_test_steps_collection_rewrites_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert warm_suite(context(1), tmp_path) == modules(suite_dir(tmp_path, 1))
    rewritten = rewrites(monkeypatch)
    suite = suite_dir(tmp_path, 1)
    bytecode.restore(suite, Artifacts(tmp_path).bytecode_cache())  # as the test step does
    with bytecode.writing_bytecode():
        assert collect_suite(suite)
    assert rewritten == []


def test_without_it_the_test_step_rewrites_every_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same collection, the warm-up left out."""
    rewritten = rewrites(monkeypatch)
    suite = suite_dir(tmp_path, 1)
    bytecode.restore(suite, Artifacts(tmp_path).bytecode_cache())
    with bytecode.writing_bytecode():
        collect_suite(suite)
    assert sorted(rewritten) == modules(suite)


def test_the_warm_up_writes_what_pytest_would_and_runs_nothing_of_the_suite(
    tmp_path: Path,
) -> None:
    """Byte for byte the bytecode pytest's own import hook writes for the module; and a
    module that would do something on import (write a file) is only compiled."""
    suite = tmp_path / "suite"
    suite.mkdir()
    marker = tmp_path / "imported"
    source = f"open({str(marker)!r}, 'w').close()\n\ndef test_x():\n    assert [1] == [2]\n"
    (suite / "test_m.py").write_text(source)
    store = tmp_path / "store"
    assert bytecode.prepare(suite, store) == ["test_m.py"]
    assert not marker.exists()
    assert bytecode.prepare(suite, store) == []  # once per source

    pytest_wrote = tmp_path / "pytest"
    pytest_wrote.mkdir()
    (pytest_wrote / "test_m.py").write_text(source)
    with bytecode.writing_bytecode():
        collect_suite(pytest_wrote)
    [written] = (pytest_wrote / bytecode.CACHE_DIR).glob("*.pyc")
    [prepared] = store.iterdir()
    assert prepared.name.endswith(bytecode.PYC_TAIL)
    # The same header (hash-checked, the source's hash) and the same code but for the
    # file name compiled in (pytest puts the right one back on load).
    assert prepared.read_bytes()[:16] == written.read_bytes()[:16]
    suite_code = marshal.loads(prepared.read_bytes()[16:])
    pytest_code = marshal.loads(written.read_bytes()[16:])
    assert suite_code.replace(co_filename="m") == pytest_code.replace(co_filename="m")


def test_only_the_modules_pytest_rewrites_are_prepared(tmp_path: Path) -> None:
    for name in ("conftest.py", "test_a.py", "b_test.py", "helpers.py"):
        (tmp_path / name).write_text(f"NAME = {name!r}\n")
    assert bytecode.prepare(tmp_path, tmp_path / "store") == [
        "b_test.py",
        "conftest.py",
        "test_a.py",
    ]


def test_the_next_turn_rewrites_only_what_changed(tmp_path: Path) -> None:
    warm_suite(context(1), tmp_path)
    first = {p.name: p.read_bytes() for p in suite_dir(tmp_path, 1).glob("*.py")}
    rewritten = warm_suite(context(2), tmp_path)
    second = {p.name: p.read_bytes() for p in suite_dir(tmp_path, 2).glob("*.py")}
    changed = sorted(name for name, text in second.items() if first.get(name) != text)
    assert changed and len(changed) < len(second)
    assert rewritten == changed


def run_cli(tmp_path: Path, ctx: StepContext) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "enduro", "warm-suite", "--context", ctx.to_json()]
    return subprocess.Popen(
        [*argv, "--artifacts", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_stopped(proc: subprocess.Popen[str]) -> str:
    """The sidecar keeps running once done (a native sidecar that exits is restarted)
    until SIGTERM stops it, which it obeys at once, even as a container's PID 1."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    return line


def test_the_sidecar_warms_then_waits_to_be_stopped(tmp_path: Path) -> None:
    line = wait_stopped(run_cli(tmp_path, context(2)))
    assert line.startswith("warm-suite: turn 2, modules rewritten: conftest.py, test_")
    stored = list(Artifacts(tmp_path).bytecode_cache().iterdir())
    assert len(stored) == len(modules(suite_dir(tmp_path, 2)))
    line = wait_stopped(run_cli(tmp_path, context(2)))  # again: nothing left to do
    assert line == "warm-suite: turn 2, modules rewritten: none: the store had them all\n"


def test_a_warm_up_that_cannot_work_says_why_and_never_fails_the_step(tmp_path: Path) -> None:
    """Only time is at stake: without a generator there is no suite to warm."""
    line = wait_stopped(run_cli(tmp_path, context(1).model_copy(update={"generator": None})))
    assert line.startswith("warm-suite: not warmed (ValueError: this step needs")
