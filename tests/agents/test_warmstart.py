"""A trusted baseline run in a fork of the warm agent step: everything a cold start would
have been (`enduro.agents.warmstart`), and a cold start where forking is unsafe.

Each case runs in a fresh interpreter: the test process has threads of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = """\
import json, os, sys
try:
    import shadowed_by_workspace
    shadowed = True
except ImportError:
    shadowed = False
print(json.dumps({
    "cwd": os.getcwd(),
    "env": dict(os.environ),
    "own_session": os.getsid(0) == os.getpid(),
    "main": __name__,
    "shadowed": shadowed,
}))
print("to stderr", file=sys.stderr)
mode = os.environ.get("MODE")
if mode == "big":
    with open("big.bin", "wb") as fh:
        fh.write(b"x" * 8192)
elif mode == "exit":
    sys.exit(3)
elif mode == "raise":
    raise RuntimeError("the baseline broke")
"""

DRIVER = """\
import json, os, sys, threading, time
from pathlib import Path
sys.path.insert(0, {modules!r})
from enduro.agents.warmstart import fork_module
os.environ["PARENT_ONLY"] = "leaks"
print("parent output before the fork", end="")
if {thread!r}:
    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
child = fork_module("warm_probe", cwd=Path({workspace!r}), env={env!r}, stdin=None, file_cap=4096)
if child is None:
    print("\\n" + json.dumps({{"forked": False}}))
    raise SystemExit
output = child.stdout.read().decode()
print("\\n" + json.dumps({{"forked": True, "code": child.wait(30), "output": output}}))
"""


def _fork(tmp_path: Path, mode: str = "", *, thread: bool = False) -> dict[str, object]:
    modules, workspace = tmp_path / "modules", tmp_path / "workspace"
    modules.mkdir(exist_ok=True)
    workspace.mkdir(exist_ok=True)
    (modules / "warm_probe.py").write_text(PROBE)
    (workspace / "shadowed_by_workspace.py").write_text("")
    env = {"MODE": mode, "PATH": "/usr/bin:/bin"}
    script = DRIVER.format(modules=str(modules), workspace=str(workspace), env=env, thread=thread)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_forked_baseline_gets_exactly_its_own_environment_session_and_streams(
    tmp_path: Path,
) -> None:
    result = _fork(tmp_path)
    assert result["forked"] is True and result["code"] == 0
    output = str(result["output"]).splitlines()
    assert output[1] == "to stderr"
    seen = json.loads(output[0])
    assert seen["cwd"] == str(tmp_path / "workspace")
    assert seen["env"] == {"MODE": "", "PATH": "/usr/bin:/bin"}  # nothing of the parent's
    assert seen["own_session"] is True
    assert seen["main"] == "__main__"
    assert seen["shadowed"] is False  # as `python -P`: the workspace is not on sys.path
    assert "parent output" not in str(result["output"])


def test_its_exit_code_a_crash_and_the_file_size_cap_are_a_cold_starts(tmp_path: Path) -> None:
    assert _fork(tmp_path, "exit")["code"] == 3
    crashed = _fork(tmp_path, "raise")
    assert crashed["code"] == 1
    assert "RuntimeError: the baseline broke" in str(crashed["output"])
    too_big = _fork(tmp_path, "big")
    assert too_big["code"] == 1
    assert "File too large" in str(too_big["output"])
    assert (tmp_path / "workspace/big.bin").stat().st_size <= 4096


def test_a_process_with_other_threads_is_not_forked(tmp_path: Path) -> None:
    assert _fork(tmp_path, thread=True) == {"forked": False}


RUN_PROCESS = """\
import sys
from pathlib import Path
sys.path.insert(0, {modules!r})
from enduro.agents.process import run_process
tmp = Path({tmp!r})
for stderr in (None, tmp / "err.log"):
    finished = run_process(
        ["sh", "-c", "echo started cold"],
        cwd=tmp / "workspace",
        env={{"MODE": "exit", "PATH": "/usr/bin:/bin"}},
        timeout=30,
        stdout=tmp / "out.log",
        stderr=stderr,
        warm_module="warm_probe",
    )
    print(finished.returncode, (tmp / "out.log").read_text().splitlines()[-1])
"""


def test_a_step_runs_a_warm_module_in_place_of_its_cold_command(tmp_path: Path) -> None:
    """`run_process` forks the baseline's module where it can: here, with its output in
    one log; with stderr apart (as a CLI's) it starts the command cold."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "workspace").mkdir()
    (tmp_path / "modules/warm_probe.py").write_text(PROBE)
    script = RUN_PROCESS.format(modules=str(tmp_path / "modules"), tmp=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["3 to stderr", "0 started cold"]
