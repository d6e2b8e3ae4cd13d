"""`enduro generate` and `enduro check-scenarios`, run as a user would run them."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from setfiles import edit


def enduro(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["enduro", *args], capture_output=True, text=True, check=False)


def test_generate_then_check(tmp_path: Path) -> None:
    out = tmp_path / "set"
    proc = enduro("generate", "--scenarios", "1", "--turns", "2", "--seed", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote 1 scenario(s) x 2 turn(s)" in proc.stdout
    with zipfile.ZipFile(out / "scenario_000.zip") as pack:
        assert pack.read("turn_002/SPEC.md").startswith(b"#")
    proc = enduro("check-scenarios", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok:")


def test_bad_counts_name_the_flag_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "set"
    proc = enduro("generate", "--scenarios", "0", "--seed", "-2", "--out", str(out))
    assert proc.returncode == 2
    assert "--scenarios" in proc.stderr and "--seed" in proc.stderr
    proc = enduro("generate", "--changes-per-turn", "50", "--out", str(out))
    assert proc.returncode == 2 and "--changes-per-turn" in proc.stderr
    assert not out.exists()


def test_a_non_empty_out_dir_needs_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    proc = enduro("generate", "--turns", "1", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "not empty" in proc.stderr and "--force" in proc.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_check_names_the_corrupt_file(tmp_path: Path) -> None:
    out = tmp_path / "set"
    assert enduro("generate", "--turns", "2", "--out", str(out)).returncode == 0
    edit(out, "scenario_000/turn_001/changes.yaml", b"- kind: make_coffee\n")
    proc = enduro("check-scenarios", str(out))
    assert proc.returncode == 2
    assert "turn_001/changes.yaml" in proc.stderr
    proc = enduro("check-scenarios", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr
