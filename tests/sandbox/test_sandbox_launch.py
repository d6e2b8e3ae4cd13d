"""The sandbox on this machine: what a confined process can and cannot reach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compiles import RECORD, compiled
from enduro.sandbox.launch import (
    confined_env,
    prepared,
    python_for_servers,
    sandbox_problem,
)
from enduro.sandbox.policy import Confinement


@pytest.fixture(autouse=True)
def _sandbox_here() -> None:
    problem = sandbox_problem()
    if problem is not None:
        pytest.fail(f"these tests need bubblewrap here: {problem}")


def _run_confined(workspace: Path, script: str) -> subprocess.CompletedProcess[str]:
    readable, lent = python_for_servers()
    confinement = Confinement(cwd=workspace, writable=(workspace,), readable=readable, lent=lent)
    with prepared(confinement, ["sh", "-c", script]) as launch:
        return subprocess.run(
            launch.argv,
            env=confined_env({"PATH": "/usr/bin:/bin", "SECRET_IN_ENV": "not-for-you"}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **launch.popen_kwargs(),
        )


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
