"""Applying a reference output: a patch or commands, and the errors that say what failed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from enduro.api.scenario import ReferenceOutput
from enduro.sandbox.launch import sandbox_problem
from enduro.scoring.reference import ReferenceError, apply_reference

FIX = """\
--- a/pkg/calc.py
+++ b/pkg/calc.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a - b
+    return a + b
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    return root


def test_a_patch_is_applied_in_a_directory_that_is_no_repository(workdir: Path) -> None:
    apply_reference(ReferenceOutput(patch=FIX), workdir, confined=False)
    assert (workdir / "pkg" / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"


def test_a_patch_applies_relative_to_the_workdir_inside_a_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    workdir = tmp_path / "task"
    (workdir / "pkg").mkdir(parents=True)
    (workdir / "pkg" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    apply_reference(ReferenceOutput(patch=FIX), workdir, confined=False)
    assert "a + b" in (workdir / "pkg" / "calc.py").read_text()


def test_a_patch_that_does_not_apply_names_the_file_and_line(workdir: Path) -> None:
    (workdir / "pkg" / "calc.py").write_text("def add(a, b):\n    return b - a\n")
    with pytest.raises(ReferenceError) as caught:
        apply_reference(ReferenceOutput(patch=FIX), workdir, confined=False)
    message = str(caught.value)
    assert "does not apply" in message and "pkg/calc.py:1" in message, message
    assert "b - a" in (workdir / "pkg" / "calc.py").read_text()  # all or nothing


@pytest.mark.parametrize(
    ("target", "why"),
    [("../outside.txt", "invalid path"), ("link/outside.txt", "beyond a symbolic link")],
)
def test_a_patch_cannot_write_outside_the_workdir(workdir: Path, target: str, why: str) -> None:
    (workdir / "link").symlink_to(workdir.parent)
    patch = f"--- /dev/null\n+++ b/{target}\n@@ -0,0 +1 @@\n+escaped\n"
    with pytest.raises(ReferenceError, match=why):
        apply_reference(ReferenceOutput(patch=patch), workdir, confined=False)
    assert not (workdir.parent / "outside.txt").exists()


def test_a_machine_without_git_is_named(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(workdir))
    with pytest.raises(ReferenceError, match="cannot apply the reference patch with git"):
        apply_reference(ReferenceOutput(patch=FIX), workdir, confined=False)


def test_commands_run_in_order_in_the_workdir(workdir: Path) -> None:
    commands = ["sed -i 's/a - b/a + b/' pkg/calc.py", "echo done > marker.txt"]
    apply_reference(ReferenceOutput(commands=commands), workdir, confined=False)
    assert "a + b" in (workdir / "pkg" / "calc.py").read_text()
    assert (workdir / "marker.txt").read_text() == "done\n"


def test_a_failing_command_names_its_number_status_and_stderr(workdir: Path) -> None:
    commands = ["true", "echo 'no such file: data.csv' >&2; exit 3", "touch never.txt"]
    with pytest.raises(ReferenceError) as caught:
        apply_reference(ReferenceOutput(commands=commands), workdir, confined=False)
    message = str(caught.value)
    assert "command 2 of 3" in message and "status 3" in message, message
    assert "no such file: data.csv" in message
    assert not (workdir / "never.txt").exists()


def test_confined_commands_write_the_workdir_and_nothing_else(workdir: Path) -> None:
    problem = sandbox_problem()
    if problem is not None:
        pytest.fail(f"this test needs bubblewrap here: {problem}")
    (workdir.parent / "hidden.txt").write_text("ground truth")
    commands = [
        "python -c 'print(1 + 1)' > two.txt",
        "cat ../hidden.txt > leaked.txt 2>/dev/null || echo hidden > leaked.txt",
    ]
    apply_reference(ReferenceOutput(commands=commands), workdir, confined=True)
    assert (workdir / "two.txt").read_text() == "2\n"
    assert (workdir / "leaked.txt").read_text() == "hidden\n"
    # Inside, the workdir's parent is the sandbox's own scratch root, not the host's.
    apply_reference(ReferenceOutput(commands=["touch ../outside.txt"]), workdir, confined=True)
    assert not (workdir.parent / "outside.txt").exists()
