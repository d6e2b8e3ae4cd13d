"""A ScenarioRun whose workspace PVC is deleted mid-run, on the emulated cluster: with
`artifacts.s3` (the moto server) it resumes the turn in flight on a fresh volume from the
last turn's checkpoint, as an infrastructure retry, and ends with the scores of an
undisturbed run; without a bucket it fails saying why it cannot resume."""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from s3_fixtures import MotoServer
from test_cluster_artifacts import TIMEOUTS, secret

from cluster.enduro_cluster import PVCS, SCENARIO_RUNS, EnduroCluster

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
API = "enduro.dev/v1alpha1"
KEYS = ("turn", "attempts", "passed", "total", "score", "passedTurn")


@pytest.fixture
def cluster(tmp_path: pathlib.Path) -> Iterator[EnduroCluster]:
    with EnduroCluster(tmp_path, isolate_ports=(8000,)) as running:
        running.start_operator()
        yield running


def objects(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"apiVersion": API, "kind": "Benchmark", "metadata": {"name": "rest"},
         "spec": {"generator": {"seed": 3, "scenarios": 1, "turns": 3, "changesPerTurn": 2}}},
        {"apiVersion": API, "kind": "Agent", "metadata": {"name": "oracle"},
         "spec": {"harness": "oracle"}},
        *({"apiVersion": API, "kind": "BenchmarkRun", "metadata": {"name": name},
           "spec": {"benchmarkRef": {"name": "rest"}, "agentRef": {"name": "oracle"},
                    "attemptLimit": 2, "timeouts": TIMEOUTS, **extra}}
          for name, extra in runs.items()),
    ]  # fmt: skip


def delete_claim_in_turn_2(cluster: EnduroCluster, scenario_run: str) -> None:
    """Once turn 1 is scored (its checkpoint went up with the test step) and turn 2's
    agent step runs, the PVC goes, as when its volume or node is lost."""

    def in_turn_2() -> bool:
        found = [
            s for s in cluster.kube.list(SCENARIO_RUNS) if s["metadata"]["name"] == scenario_run
        ]
        status = (found[0].get("status") or {}) if found else {}
        return status.get("turn") == 2 and len(status.get("turns", [])) == 1

    cluster.kube.wait_for("turn 2 to start", in_turn_2, timeout=120)
    cluster.kube.delete(PVCS, f"{scenario_run}-workspace")


def turns(cluster: EnduroCluster, scenario_run: str) -> list[dict[str, Any]]:
    status = cluster.kube.get(SCENARIO_RUNS, scenario_run)["status"]
    return [{k: t.get(k) for k in KEYS} for t in status["turns"]]


def test_a_deleted_pvc_resumes_from_the_s3_checkpoint_with_the_same_scores(
    cluster: EnduroCluster, aws_env: MotoServer, bucket: str, tmp_path: pathlib.Path
) -> None:
    cluster.kube.create("v1/secrets", secret(aws_env))
    s3 = {"bucket": bucket, "prefix": "lost", "region": "eu-west-1",
          "endpoint": aws_env.endpoint, "credentialsSecret": {"name": "s3-keys"}}  # fmt: skip
    artifacts = {"artifacts": {"s3": s3}}
    cluster.apply(*objects({"calm": artifacts, "run": artifacts}))

    delete_claim_in_turn_2(cluster, "run-s000")
    cluster.wait_for_run("run", timeout=300)
    cluster.wait_for_run("calm", timeout=120)

    assert turns(cluster, "run-s000") == turns(cluster, "calm-s000")
    status = cluster.kube.get(SCENARIO_RUNS, "run-s000")["status"]
    assert [t["attempts"] for t in status["turns"]] == [1, 1, 1]  # no attempt spent
    assert status["turns"][1]["infraRetries"] == 1
    assert status["workspaceRestores"] == 1 and "restoreTurn" not in status
    [restored] = [c for c in status["conditions"] if c["type"] == "WorkspaceRestored"]
    assert restored["status"] == "True" and restored["reason"] == "ResumedFromCheckpoint"
    assert "with the checkpoint of turn 1" in restored["message"], restored["message"]
    events = [e for e in cluster.kube.list("v1/events") if e["reason"] == "WorkspaceRestored"]
    assert events and "run-s000-workspace was deleted" in events[0]["message"]

    # The fresh claim holds turn 1's workspace (restored) and the steps after it; the
    # bucket's checkpoint index still lists every turn.
    claim = tmp_path / "node" / "pvc" / "default" / "run-s000-workspace"
    logs = "".join(p.read_text() for p in (tmp_path / "node").rglob("*prepare-workspace*.log"))
    assert "restored the workspace of turn 1's checkpoint (sha256 " in logs
    assert (claim / "workspace" / "run.sh").is_file()
    index = bucket_object(aws_env, bucket, "lost/run/scenario_0/checkpoints/index.json")
    assert all(f"turn_00{t}" in index.decode() for t in (1, 2, 3))
    # status.checkpoint names the last scored turn and the digest of its tarball in the
    # bucket (the test pod wrote and uploaded it, its summary named the digest).
    for run in ("run", "calm"):
        tarball = bucket_object(
            aws_env, bucket, f"lost/{run}/scenario_0/checkpoints/turn_003.tar.gz"
        )
        checkpoint = cluster.kube.get(SCENARIO_RUNS, f"{run}-s000")["status"]["checkpoint"]
        assert checkpoint == {"turn": 3, "sha256": hashlib.sha256(tarball).hexdigest()}, run


def bucket_object(moto: MotoServer, bucket: str, key: str) -> bytes:
    data: bytes = moto.client().get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
    return data


def test_without_a_bucket_a_deleted_pvc_fails_the_scenario_saying_why(
    cluster: EnduroCluster,
) -> None:
    cluster.apply(*objects({"run": {}}))

    delete_claim_in_turn_2(cluster, "run-s000")
    cluster.wait_for_run("run", phase="Failed", timeout=120)

    status = cluster.kube.get(SCENARIO_RUNS, "run-s000")["status"]
    assert status["phase"] == "Failed"
    assert status["message"].startswith("cannot resume turn 2: the workspace volume was lost")
    assert "set spec.artifacts.s3 on the BenchmarkRun" in status["message"]
    [condition] = [c for c in status["conditions"] if c["type"] == "WorkspaceRestored"]
    assert (condition["status"], condition["reason"]) == ("False", "NoCheckpoints")
    # Turn 1's checkpoint was on the lost volume: the status still names it.
    assert status["checkpoint"]["turn"] == 1
