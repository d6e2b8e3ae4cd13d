"""The test step against servers that work, crash, hang, or never start."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from enduro.testrunner.result import Outcome
from enduro.testrunner.runner import run_tests


def test_a_working_server_is_scored_per_test(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    workspace = make_workspace()
    result = run_tests(suite_dir, workspace=workspace, server_log=tmp_path / "server.log")
    assert (result.passed, result.failed, result.errors, result.total) == (2, 1, 0, 3)
    assert result.reason == ""
    failing = result.failing()
    assert [c.id for c in failing] == ["test_api.py::test_wrong_on_purpose"]
    assert "items should be [3]" in failing[0].message
    assert "request /items" in result.server_log_tail


def test_no_run_sh_scores_zero_with_a_reason(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    workspace = make_workspace()
    (workspace / "run.sh").unlink()
    result = run_tests(suite_dir, workspace=workspace, server_log=tmp_path / "server.log")
    assert (result.passed, result.total) == (0, 3)
    assert "no run.sh" in result.reason
    assert all(c.outcome is Outcome.ERROR and "no run.sh" in c.message for c in result.tests)


def test_run_sh_that_exits_scores_zero_with_its_exit_code(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    workspace = make_workspace("echo boom; exit 3\n")
    result = run_tests(suite_dir, workspace=workspace, server_log=tmp_path / "server.log")
    assert (result.passed, result.total) == (0, 3)
    assert "exited with code 3" in result.reason
    assert "boom" in result.server_log_tail


def test_never_healthy_server_is_killed_with_its_whole_group(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    # run.sh backgrounds a child that never serves: the child must die with the group.
    workspace = make_workspace("sleep 600 &\necho $! > child.pid\nwait\n")
    result = run_tests(
        suite_dir,
        workspace=workspace,
        server_log=tmp_path / "server.log",
        server_start_seconds=1.0,
    )
    assert (result.passed, result.total) == (0, 3)
    assert "did not answer 200 within 1s" in result.reason
    child = int((workspace / "child.pid").read_text())
    assert not _alive(child), "the server's background child survived the runner"


def test_server_on_the_wrong_port_is_never_healthy(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    workspace = make_workspace(mode="wrong-port")
    result = run_tests(
        suite_dir,
        workspace=workspace,
        server_log=tmp_path / "server.log",
        server_start_seconds=1.5,
    )
    assert (result.passed, result.total) == (0, 3)
    assert "$PORT" in result.reason


def test_a_hanging_server_is_cut_off_by_the_suite_timeout(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    (suite_dir / "test_api.py").write_text(
        (suite_dir / "test_api.py").read_text()
        + textwrap.dedent(
            """
            def test_hangs():
                get("/hang")

            def test_after_the_hang():
                assert get("/health")[0] == 200
            """
        )
    )
    workspace = make_workspace()
    start = time.monotonic()
    result = run_tests(
        suite_dir, workspace=workspace, server_log=tmp_path / "server.log", test_seconds=2.0
    )
    assert time.monotonic() - start < 30, "the runner waited for the hanging request"
    assert "suite timeout after 2s" in result.reason
    assert result.total == 5
    outcomes = {c.id.split("::")[1]: c.outcome for c in result.tests}
    assert outcomes["test_health"] is Outcome.PASSED
    assert outcomes["test_after_the_hang"] is Outcome.ERROR
    assert result.passed == 2


def test_server_url_mode_uses_a_running_server(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    from enduro.procgroup import kill_group
    from enduro.testrunner.server import free_port, start_server

    workspace = make_workspace()
    port = free_port()
    log = tmp_path / "sidecar.log"
    sidecar = start_server(workspace, port, log)
    try:
        result = run_tests(
            suite_dir,
            workspace=workspace,
            server_log=log,
            server_url=f"http://127.0.0.1:{port}",
        )
    finally:
        kill_group(sidecar)
    assert (result.passed, result.total) == (2, 3)
    assert sidecar.returncode is not None


def _alive(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A killed child of a dead parent may linger as a zombie until reaped by init.
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(") ", 1)[1].startswith("Z"):
                    return False
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True


def test_a_slow_suite_stops_at_its_timeout_and_counts_every_test(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    # Two quick tests, then one that never ends: the timeout, not the machine's load,
    # decides where the suite stops.
    (suite_dir / "test_slow.py").write_text(
        "import time\n\n"
        + "".join(
            f"def test_slow_{i}():\n    time.sleep({600 if i >= 2 else 0})\n\n" for i in range(5)
        )
    )
    workspace = make_workspace()
    result = run_tests(
        suite_dir, workspace=workspace, server_log=tmp_path / "server.log", test_seconds=5.0
    )
    assert "suite timeout after 5s" in result.reason
    assert result.total == 8  # the 3 API tests and all 5 slow ones, run or not
    slow = [c for c in result.tests if "test_slow_" in c.id]
    assert sum(c.outcome is Outcome.PASSED for c in slow) == 2
    assert all("suite timeout" in c.message for c in slow if c.outcome is Outcome.ERROR)


def test_the_suite_is_collected_while_the_server_starts(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    # This server starts only once the suite has been imported: were collection to wait
    # for GET /health, it would never start and every test would be "not run".
    workspace = make_workspace(
        f"while [ ! -f collected ]; do sleep 0.05; done\nexec {sys.executable} server.py\n"
    )
    (suite_dir / "conftest.py").write_text(
        f"import pathlib\npathlib.Path({str(workspace / 'collected')!r}).touch()\n"
    )
    result = run_tests(
        suite_dir,
        workspace=workspace,
        server_log=tmp_path / "server.log",
        server_start_seconds=20.0,
    )
    assert result.reason == ""
    assert (result.passed, result.total) == (2, 3)


def test_the_suite_deadline_starts_with_the_first_test_not_with_collection(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    # Collecting this suite takes longer than its whole deadline: the deadline is the
    # server's time to answer the tests, so collection does not spend it.
    (suite_dir / "conftest.py").write_text("import time\ntime.sleep(3)\n")
    result = run_tests(
        suite_dir, workspace=make_workspace(), server_log=tmp_path / "server.log", test_seconds=2.0
    )
    assert result.reason == ""
    assert (result.passed, result.total) == (2, 3)
    assert 0 < result.suite_seconds < 3


def test_a_server_that_never_answers_leaves_every_collected_test_not_run(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    result = run_tests(
        suite_dir,
        workspace=make_workspace("sleep 600\n"),
        server_log=tmp_path / "server.log",
        server_start_seconds=1.0,
    )
    assert (result.passed, result.total, result.suite_seconds) == (0, 3, 0.0)
    assert "did not answer 200 within 1s" in result.reason
    assert result.server_start_seconds >= 1.0
    assert all(c.message == result.reason for c in result.tests)


def test_the_suite_runs_without_per_test_hooks_it_does_not_need(
    tmp_path: Path, suite_dir: Path, make_workspace: Callable[..., Path]
) -> None:
    # Each of these plugins costs time per test and adds nothing to a scored result.
    loaded = tmp_path / "plugins.txt"
    (suite_dir / "conftest.py").write_text(
        "def pytest_configure(config):\n"
        f"    with open({str(loaded)!r}, 'w') as out:\n"
        "        for name in ('terminal', 'unraisableexception', 'threadexception',\n"
        "                     'faulthandler', 'logging-plugin', 'warnings'):\n"
        "            if config.pluginmanager.has_plugin(name):\n"
        "                print(name, file=out)\n"
    )
    result = run_tests(suite_dir, workspace=make_workspace(), server_log=tmp_path / "server.log")
    assert (result.passed, result.total) == (2, 3)
    assert loaded.read_text() == ""
