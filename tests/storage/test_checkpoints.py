"""Turn checkpoints: deterministic tarballs, digest-checked restores, a lost workspace
put back on resume."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enduro.cli import app
from enduro.storage import LocalStore, StorageError
from enduro.storage.checkpoints import checkpoint_key, pack, restore, unpack, write_checkpoint


def workspace(root: Path) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "app.py").write_text("print('hi')\n")
    (root / "run.sh").write_text("exec python app.py\n")
    (root / "run.sh").chmod(0o755)
    (root / "tests" / "test_a.py").write_text("def test(): pass\n")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "app.pyc").write_bytes(b"junk")
    return root


def test_the_same_files_pack_to_the_same_bytes(tmp_path: Path) -> None:
    first = pack(workspace(tmp_path / "a"))
    time.sleep(0.01)
    assert pack(workspace(tmp_path / "b")) == first
    unpack(first, tmp_path / "out")
    assert (tmp_path / "out" / "app.py").read_text() == "print('hi')\n"
    assert (tmp_path / "out" / "run.sh").stat().st_mode & 0o111
    assert not (tmp_path / "out" / "__pycache__").exists()


def test_restore_checks_the_digest_and_names_what_is_missing(tmp_path: Path) -> None:
    run = tmp_path / "run"
    scenario = run / "scenario_0"
    write_checkpoint(scenario, workspace(tmp_path / "w"), 1)
    store = LocalStore(run)
    restore(store, "scenario_0", 1, tmp_path / "one")
    assert (tmp_path / "one" / "tests" / "test_a.py").exists()
    with pytest.raises(StorageError, match="no checkpoint of turn 2 \\(turns: 1\\)"):
        restore(store, "scenario_0", 2, tmp_path / "two")
    with pytest.raises(StorageError, match="not empty"):
        restore(store, "scenario_0", 1, tmp_path / "one")
    (scenario / checkpoint_key(1)).write_bytes(pack(tmp_path / "one" / "tests"))
    with pytest.raises(StorageError, match="does not match"):
        restore(store, "scenario_0", 1, tmp_path / "three")


RUN = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {name: bench}
spec:
  generator: {seed: 3, scenarios: 1, turns: 3, changesPerTurn: 2}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {name: agent}
spec: {harness: oracle}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {name: ckpt}
spec:
  benchmarkRef: {name: bench}
  agentRef: {name: agent}
  attemptLimit: 1
  timeouts: {agentSeconds: 60, testSeconds: 60, serverStartSeconds: 15}
"""


@pytest.mark.slow
@pytest.mark.e2e
def test_a_lost_workspace_resumes_from_its_last_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    out = tmp_path / "out"
    cmd = ["enduro", "run", str(path), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    index = out / "scenario_0" / "checkpoints" / "index.json"
    deadline = time.monotonic() + 120
    while not (index.exists() and json.loads(index.read_text())):
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no checkpoint was written")
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    shutil.rmtree(out / "scenario_0" / "workspace")  # the volume is lost

    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "the workspace was lost; restored the checkpoint of turn" in resumed.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["average_score"] == 1.0
    assert sorted(json.loads(index.read_text())) == ["turn_001", "turn_002", "turn_003"]
    restored = tmp_path / "turn3"
    result = CliRunner().invoke(app, ["workspace", "restore", str(out), "0", "3", str(restored)])
    assert result.exit_code == 0, result.output
    assert (restored / "SPEC.md").read_text() == (out / "scenario_0/workspace/SPEC.md").read_text()
