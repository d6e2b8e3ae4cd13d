"""Step commands forked from the warm fork server behave like cold ``enduro`` processes."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import enduro
from enduro.runtime.forkserver import WARM_MODULES, ForkServer


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    forkserver = ForkServer()
    yield forkserver
    forkserver.close()


def test_a_command_runs_with_its_log_and_exit_code(server: ForkServer, tmp_path: Path) -> None:
    log = tmp_path / "version.log"
    child = server.spawn(["--version"], None, {"PATH": "/usr/bin:/bin"}, log)
    assert child.wait(timeout=120) == 0
    assert log.read_text().strip() == f"enduro {enduro.__version__}"


def test_working_directory_and_errors_reach_the_caller(server: ForkServer, tmp_path: Path) -> None:
    log = tmp_path / "report.log"
    child = server.spawn(["report", "."], str(tmp_path), {"PATH": "/usr/bin:/bin"}, log)
    assert child.wait(timeout=120) == 2
    assert "error: .: no readable report.json" in log.read_text()


def test_every_warm_module_exists() -> None:
    # The warm-up skips a module it cannot import, so a renamed one would silently go
    # cold: every step would pay for its import again.
    for module in WARM_MODULES:
        importlib.import_module(module)


def test_the_folder_enduro_run_starts_in_lends_no_module_to_the_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Steps (trusted) run in and beside workspaces: no folder around them is on sys.path.
    (tmp_path / "yaml.py").write_text("raise SystemExit('imported the yaml.py beside it')\n")
    monkeypatch.chdir(tmp_path)
    forkserver = ForkServer()
    try:
        log = tmp_path / "version.log"
        child = forkserver.spawn(["--version"], str(tmp_path), {"PATH": "/usr/bin:/bin"}, log)
        assert child.wait(timeout=120) == 0, log.read_text()
    finally:
        forkserver.close()
