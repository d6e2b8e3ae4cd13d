"""The sandbox on this machine: what a confined process can and cannot reach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from confined import run_confined

from compiles import RECORD, compiled
from enduro.sandbox import launch
from enduro.sandbox.launch import (
    HIDDEN_ENV,
    masks_for,
    sandbox_problem,
)


@pytest.fixture(autouse=True)
def _sandbox_here() -> None:
    problem = sandbox_problem()
    if problem is not None:
        pytest.fail(f"these tests need bubblewrap here: {problem}")


def _run_confined(workspace: Path, script: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SECRET_IN_ENV": "not-for-you"}
    return run_confined(workspace, ["sh", "-c", script], env=env)


def test_inside_only_the_workspace_and_a_python_with_flask(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (tmp_path / "hidden.txt").write_text("ground truth")
    done = _run_confined(
        workspace,
        "python -c 'import flask' && echo flask-ok; "
        "python -c 'import enduro' 2>/dev/null || echo no-enduro; "
        "cat ../hidden.txt 2>/dev/null || echo no-parent; "
        f"ls {Path.cwd()} 2>/dev/null || echo no-checkout; "
        "cat /etc/shadow 2>/dev/null || echo no-shadow; "
        "ls /proc | grep -c '^[0-9]'; id -u; echo written > mine.txt",
    )
    lines = done.stdout.split()
    assert lines[:5] == ["flask-ok", "no-enduro", "no-parent", "no-checkout", "no-shadow"], done
    assert int(lines[5]) <= 4  # its own PID namespace: bwrap's init, sh, ls, grep
    assert lines[6] == "1000"
    assert (workspace / "mine.txt").read_text() == "written\n"


def test_a_confined_server_loads_flask_from_bytecode(tmp_path: Path) -> None:
    # The sandbox can write no bytecode into the Flask it is lent: without the bytecode
    # installed beside it, every turn's server would compile Flask again (about 0.3 s).
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "probe.py").write_text(RECORD + "import flask, werkzeug.exceptions\n")
    done = _run_confined(workspace, "python probe.py")
    assert done.returncode == 0, done.stderr
    assert compiled(done.stdout) == []


def test_the_runners_network_namespace_holds_only_loopback(tmp_path: Path) -> None:
    script = (
        "import socket, sys\n"
        "from enduro.sandbox.netns import enter_private_network\n"
        "enter_private_network()\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=2).close()\n"
        "names = [n for _, n in socket.if_nameindex()]\n"
        "print(' '.join(names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["lo"]


def _layout(root: Path) -> Path:
    """`enduro run`'s layout under ``root``: the ground truth beside the workspace."""
    (root / "scenario_0" / "ground_truth").mkdir(parents=True)
    (root / "scenario_0" / "ground_truth" / "app.py").write_text("ground truth")
    (root / "plan.json").write_text('{"seed": 3}')
    workspace = root / "scenario_0" / "workspace"
    workspace.mkdir()
    return workspace


def test_an_output_folder_inside_a_system_directory_is_masked(
    under_opt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _layout(under_opt)
    script = (
        f"cat ../ground_truth/app.py {under_opt}/plan.json 2>/dev/null || echo hidden; "
        "echo mine > mine.txt && cat mine.txt"
    )
    assert _run_confined(workspace, script).stdout.split()[0] == "ground", "the attack works"

    monkeypatch.setenv(HIDDEN_ENV, str(under_opt))  # what `enduro run` gives its steps

    assert _run_confined(workspace, script).stdout.split() == ["hidden", "mine"]


def test_a_folder_the_step_hides_stays_hidden_inside_a_system_directory(
    under_opt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = _layout(under_opt)
    monkeypatch.setattr(launch, "_HIDDEN", [])
    launch.hide_from_sandboxes(under_opt / "scenario_0")  # a step command's artifact root

    done = _run_confined(workspace, "cat ../ground_truth/app.py 2>/dev/null || echo hidden")

    assert done.stdout.split() == ["hidden"]


def test_enduros_own_installation_inside_a_system_directory_is_masked(
    under_opt: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = under_opt / "lib" / "enduro" / "scenarios"
    package.mkdir(parents=True)
    (package / "generator.py").write_text("the generator")
    monkeypatch.setattr(launch, "_own_installation", lambda: (under_opt / "lib" / "enduro",))
    workspace = tmp_path / "workspace"
    workspace.mkdir()

    done = _run_confined(workspace, f"cat {package}/generator.py 2>/dev/null || echo hidden")

    assert done.stdout.split() == ["hidden"]


def test_masks_cover_folders_inside_system_directories_only() -> None:
    assert masks_for((Path("/opt"), Path("/usr"), Path("/no/such/folder"), Path.cwd())) == ()
    assert masks_for((Path("/usr/lib"),)) == (("/usr/lib", True),)
