"""The operator on the emulated cluster with `artifacts.s3`: every test pod uploads its
scenario's artifacts to the moto S3 server with credentials from a Secret, the operator
writes the report there when the run ends, and `enduro report s3://...` reads it back
as it reads a local run."""

from __future__ import annotations

import base64
import json
import pathlib
import time
from collections.abc import Iterator

import pytest
from s3_fixtures import MotoServer
from typer.testing import CliRunner

from cluster.enduro_cluster import BENCHMARK_RUNS, SCENARIO_RUNS, EnduroCluster
from enduro.artifacts import Artifacts
from enduro.cli import app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
API = "enduro.dev/v1alpha1"
TIMEOUTS = {"agentSeconds": 60, "testSeconds": 60, "serverStartSeconds": 20}


@pytest.fixture
def cluster(tmp_path: pathlib.Path) -> Iterator[EnduroCluster]:
    with EnduroCluster(tmp_path, isolate_ports=(8000,)) as running:
        running.start_operator()
        yield running


def secret(moto: MotoServer) -> dict[str, object]:
    data = {
        "AWS_ACCESS_KEY_ID": moto.access_key,
        "AWS_SECRET_ACCESS_KEY": moto.secret_key,
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s3-keys"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_an_emulated_cluster_run_writes_its_artifacts_and_report_to_s3(
    cluster: EnduroCluster, aws_env: MotoServer, bucket: str, tmp_path: pathlib.Path
) -> None:
    cluster.kube.create("v1/secrets", secret(aws_env))
    s3 = {
        "bucket": bucket,
        "prefix": "cluster",
        "region": "eu-west-1",
        "endpoint": aws_env.endpoint,
        "credentialsSecret": {"name": "s3-keys"},
    }
    cluster.apply(
        {"apiVersion": API, "kind": "Benchmark", "metadata": {"name": "rest"},
         "spec": {"generator": {"seed": 1, "scenarios": 1, "turns": 2, "changesPerTurn": 2}}},
        {"apiVersion": API, "kind": "Agent", "metadata": {"name": "oracle"},
         "spec": {"harness": "oracle"}},
        {"apiVersion": API, "kind": "BenchmarkRun", "metadata": {"name": "run"},
         "spec": {"benchmarkRef": {"name": "rest"}, "agentRef": {"name": "oracle"},
                  "attemptLimit": 1, "timeouts": TIMEOUTS, "artifacts": {"s3": s3}}},
    )  # fmt: skip

    run = cluster.wait_for_run("run", timeout=240)

    assert run["status"]["artifactsRef"] == f"s3://{bucket}/cluster/run"
    scenario = cluster.kube.get(SCENARIO_RUNS, "run-s000")
    assert scenario["status"]["artifactsRef"] == f"s3://{bucket}/cluster/run/scenario_0"
    client = aws_env.client()
    deadline = time.monotonic() + 30  # the report goes up right after the last status
    while True:
        listed = client.list_objects_v2(Bucket=bucket, Prefix="cluster/run/")  # type: ignore[attr-defined]
        keys = {o["Key"].removeprefix("cluster/run/") for o in listed.get("Contents", [])}
        if "report.md" in keys or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for key in ("report.json", "report.md", "scenario_0/test_results/turn_002_attempt_1.json"):
        assert key in keys, f"{key} not uploaded"
    # Everything the steps wrote to the claim's artifacts folder is in the bucket, but the
    # turn cache (rendered again from the generator whenever it is missing).
    artifacts = tmp_path / "node" / "pvc" / "default" / "run-s000-workspace" / "artifacts"
    cache = Artifacts(artifacts).turn_cache()
    on_claim = {
        f"scenario_0/{p.relative_to(artifacts).as_posix()}"
        for p in artifacts.rglob("*")
        if p.is_file() and not p.is_relative_to(cache)
    }
    assert not [k for k in keys if "/turn_cache/" in k]
    assert on_claim and on_claim <= keys, sorted(on_claim - keys)
    report = json.loads(
        client.get_object(Bucket=bucket, Key="cluster/run/report.json")["Body"].read()  # type: ignore[attr-defined]
    )
    assert report["average_score"] == 1.0 and report["benchmark_run"] == "run"

    restored = tmp_path / "restored"
    result = CliRunner().invoke(
        app, ["workspace", "restore", f"s3://{bucket}/cluster/run", "0", "2", str(restored)],
        env={"AWS_ENDPOINT_URL_S3": aws_env.endpoint},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (restored / "app.py").read_text() == (
        artifacts / "agent_code/turn_002_attempt_1/app.py"
    ).read_text()

    result = CliRunner().invoke(
        app, ["report", f"s3://{bucket}/cluster/run", "--out", str(tmp_path / "read")],
        env={"AWS_ENDPOINT_URL_S3": aws_env.endpoint},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    uploaded = client.get_object(Bucket=bucket, Key="cluster/run/report.md")["Body"].read()  # type: ignore[attr-defined]
    assert (tmp_path / "read/report.md").read_bytes() == uploaded


def test_a_missing_bucket_is_a_condition_naming_it_and_nothing_starts(
    cluster: EnduroCluster, aws_env: MotoServer
) -> None:
    s3 = {"bucket": "no-such-bucket", "region": "eu-west-1", "endpoint": aws_env.endpoint}
    cluster.apply(
        {"apiVersion": API, "kind": "Benchmark", "metadata": {"name": "rest"},
         "spec": {"generator": {"seed": 1, "scenarios": 1, "turns": 1}}},
        {"apiVersion": API, "kind": "Agent", "metadata": {"name": "oracle"},
         "spec": {"harness": "oracle"}},
        {"apiVersion": API, "kind": "BenchmarkRun", "metadata": {"name": "run"},
         "spec": {"benchmarkRef": {"name": "rest"}, "agentRef": {"name": "oracle"},
                  "artifacts": {"s3": s3}}},
    )  # fmt: skip

    def condition() -> dict[str, str] | None:
        status = cluster.kube.get(BENCHMARK_RUNS, "run").get("status") or {}
        found = [c for c in status.get("conditions", []) if c["type"] == "ArtifactsReady"]
        return found[0] if found else None

    found = cluster.kube.wait_for("the ArtifactsReady condition", condition, 30)
    assert found["status"] == "False" and found["reason"] == "BucketUnavailable"
    assert "bucket 'no-such-bucket' does not exist" in found["message"]
    assert cluster.kube.list(SCENARIO_RUNS) == []
