"""Turn checkpoints: deterministic tarballs, digest-checked restores, a lost workspace
put back on resume."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enduro.cli import app
from enduro.storage import LocalStore, StorageError, checkpoints
from enduro.storage.checkpoints import (
    checkpoint_key,
    pack,
    read_index_file,
    restore,
    unpack,
    write_checkpoint,
)


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


def test_a_terabyte_of_sparse_files_and_a_crowd_of_entries_are_left_out_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a hostile agent leaves costs the test step what its caps allow: the content
    up to `MAX_BYTES` in all, `MAX_ENTRIES` entries; the index counts and names the rest."""
    work = workspace(tmp_path / "w")
    with (work / "sparse.bin").open("wb") as handle:
        handle.truncate(1 << 40)  # a terabyte, no block on disk
    crowd = work / "crowd"
    crowd.mkdir()
    for i in range(6):
        (crowd / f"empty{i}").touch()
    monkeypatch.setattr(checkpoints, "MAX_ENTRIES", 8)
    scenario = tmp_path / "run" / "scenario_0"
    write_checkpoint(scenario, work, 1)
    entry = read_index_file(scenario)["turn_001"]
    assert entry["leftOut"] == 4
    assert entry["leftOutFirst"] == [
        "run.sh (past 8 entries)",
        "sparse.bin (past 8 entries)",
        "tests (past 8 entries)",
        "tests/test_a.py (past 8 entries)",
    ]
    restore(LocalStore(tmp_path / "run"), "scenario_0", 1, tmp_path / "back")
    assert (tmp_path / "back" / "app.py").read_text() == "print('hi')\n"
    monkeypatch.setattr(checkpoints, "MAX_ENTRIES", 100)
    write_checkpoint(scenario, work, 2)
    entry = read_index_file(scenario)["turn_002"]
    assert entry["leftOutFirst"] == [f"sparse.bin (past {checkpoints.MAX_BYTES} bytes in all)"]
    assert int(str(entry["bytes"])) < 4096


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
    state_file = out / "scenario_0" / "state.json"
    deadline = time.monotonic() + 120
    # Turn 1 is scored (its checkpoint written before) and turn 2 runs: stopped in it.
    while not (state_file.is_file() and json.loads(state_file.read_text()).get("turn") == 2):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"the run never reached turn 2: {proc.communicate()}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    shutil.rmtree(out / "scenario_0" / "workspace")  # the volume is lost

    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    # The engine decides, as on a cluster: the turn in flight starts again from attempt 1,
    # its first agent step restoring the previous turn's checkpoint.
    assert "the workspace volume was lost in turn" in resumed.stderr
    assert "from attempt 1 on a fresh volume with the checkpoint of turn" in resumed.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["average_score"] == 1.0
    digests = json.loads(index.read_text())
    assert sorted(digests) == ["turn_001", "turn_002", "turn_003"]
    state = json.loads((out / "scenario_0" / "state.json").read_text())
    assert state["workspaceRestores"] == 1 and [t["attempts"] for t in state["turns"]] == [1] * 3
    [restored] = [c for c in state["conditions"] if c["type"] == "WorkspaceRestored"]
    assert restored["reason"] == "ResumedFromCheckpoint"
    assert state["checkpoint"] == {"turn": 3, "sha256": digests["turn_003"]["sha256"]}
    tarball = (out / "scenario_0" / checkpoint_key(3)).read_bytes()
    assert state["checkpoint"]["sha256"] == hashlib.sha256(tarball).hexdigest()
    restored = tmp_path / "turn3"
    result = CliRunner().invoke(app, ["workspace", "restore", str(out), "0", "3", str(restored)])
    assert result.exit_code == 0, result.output
    assert (restored / "SPEC.md").read_text() == (out / "scenario_0/workspace/SPEC.md").read_text()


def test_prepare_workspace_restores_a_lost_workspace_from_the_s3_checkpoint(
    tmp_path: Path, bucket: str, aws_env: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the first agent step after a lost volume does (`restoreTurn` in its context):
    the fresh volume gets turn 1's workspace from the bucket, digest checked, and the
    bucket's checkpoint index; a tampered tarball is refused, naming it, and the workspace
    is not touched."""
    from s3_fixtures import MotoServer

    from enduro.api.generator import GeneratorSpec
    from enduro.steps.context import StepContext
    from enduro.storage import open_store
    from enduro.storage.cluster import ENDPOINT_ENV, URL_ENV

    assert isinstance(aws_env, MotoServer)
    url = f"s3://{bucket}/runs/run/scenario_0"
    old = tmp_path / "old"  # the lost volume's artifacts, as the test step uploaded them
    write_checkpoint(old, workspace(tmp_path / "w"), 1)
    store = open_store(url, region="eu-west-1", endpoint=aws_env.endpoint)
    for path in sorted((old / "checkpoints").iterdir()):
        store.put_file(f"checkpoints/{path.name}", path)
    monkeypatch.setenv(URL_ENV, url)
    monkeypatch.setenv(ENDPOINT_ENV, aws_env.endpoint)
    context = StepContext(
        generator=GeneratorSpec(seed=3, scenarios=1, turns=3),
        scenario=0,
        turn=2,
        attempt=1,
        restore_turn=1,
    )
    args = ["prepare-workspace", "--context", context.to_json()]
    fresh = tmp_path / "fresh"
    (fresh / "workspace").mkdir(parents=True)
    (fresh / "workspace" / "partial.txt").write_text("left by a retried step")
    paths = ["--workspace", str(fresh / "workspace"), "--artifacts", str(fresh / "artifacts")]

    result = CliRunner().invoke(app, [*args, *paths])

    assert result.exit_code == 0, result.output
    assert "restored the workspace of turn 1's checkpoint (sha256 " in result.output
    restored = fresh / "workspace"
    assert (restored / "app.py").read_text() == "print('hi')\n"
    assert not (restored / "partial.txt").exists()
    assert (restored / "SPEC.md").is_file()  # then prepared for turn 2 as usual
    index = json.loads((fresh / "artifacts/checkpoints/index.json").read_text())
    assert list(index) == ["turn_001"]

    store.put_bytes("checkpoints/turn_001.tar.gz", pack(tmp_path / "w" / "tests"))
    again = tmp_path / "again"
    (again / "workspace").mkdir(parents=True)
    (again / "workspace" / "kept.txt").write_text("not touched by a refused restore")
    paths = ["--workspace", str(again / "workspace"), "--artifacts", str(again / "artifacts")]
    result = CliRunner().invoke(app, [*args, *paths])
    assert result.exit_code == 1
    assert "cannot restore the checkpoint of turn 1" in result.output
    assert "turn_001.tar.gz: digest" in result.output and "does not match" in result.output
    assert [p.name for p in (again / "workspace").iterdir()] == ["kept.txt"]
