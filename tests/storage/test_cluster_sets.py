"""Stored sets on the emulated cluster: a BenchmarkRun of a Benchmark whose `spec.source`
is a model-sampled set (nothing could regenerate it) in S3 (the moto server) or in a
ConfigMap plays it in the step pods, digests checked; an edited set is refused before any
ScenarioRun starts, with a `ScenarioSetReady` condition naming the file."""

from __future__ import annotations

import base64
import io
import pathlib
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from s3_fixtures import MotoServer
from test_cluster_artifacts import TIMEOUTS, secret
from test_configmap_sets import edited
from typer.testing import CliRunner

from cluster.enduro_cluster import BENCHMARK_RUNS, SCENARIO_RUNS, EnduroCluster
from enduro.cli import app
from enduro.testing.scripted_model import ScriptedModel, ScriptedModelServer
from setfiles import member_of, repacked

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
API = "enduro.dev/v1alpha1"
SIZE = ["--scenarios", "1", "--turns", "2", "--changes-per-turn", "2", "--seed", "4"]
GENERATOR = {"seed": 4, "scenarios": 1, "turns": 2, "changesPerTurn": 2, "sampler": "bedrock"}


@pytest.fixture
def cluster(tmp_path: pathlib.Path) -> Iterator[EnduroCluster]:
    with EnduroCluster(tmp_path, isolate_ports=(8000,)) as running:
        running.start_operator()
        yield running


def generate(*out: str) -> None:
    with ScriptedModelServer(ScriptedModel(solver=lambda turn: {})) as bedrock:
        result = CliRunner().invoke(
            app, ["generate", *SIZE, "--sampler", "bedrock", "--model-id", "scripted.echo",
                  "--region", "eu-west-1", "--bedrock-endpoint", bedrock.root, "--out", *out],
        )  # fmt: skip
    assert result.exit_code == 0, result.output


def play(cluster: EnduroCluster, run: str, benchmark: str, source: dict[str, Any]) -> None:
    cluster.apply(
        {"apiVersion": API, "kind": "Benchmark", "metadata": {"name": benchmark},
         "spec": {"generator": GENERATOR, "source": source}},
        {"apiVersion": API, "kind": "BenchmarkRun", "metadata": {"name": run},
         "spec": {"benchmarkRef": {"name": benchmark}, "agentRef": {"name": "oracle"},
                  "attemptLimit": 1, "timeouts": TIMEOUTS}},
    )  # fmt: skip


def oracle(cluster: EnduroCluster) -> None:
    cluster.apply(
        {"apiVersion": API, "kind": "Agent", "metadata": {"name": "oracle"},
         "spec": {"harness": "oracle"}}
    )  # fmt: skip


def refused(cluster: EnduroCluster, run: str) -> dict[str, str]:
    def condition() -> dict[str, str] | None:
        status = cluster.kube.get(BENCHMARK_RUNS, run).get("status") or {}
        found = [c for c in status.get("conditions", []) if c["type"] == "ScenarioSetReady"]
        return found[0] if found and found[0]["status"] == "False" else None

    found = cluster.kube.wait_for("ScenarioSetReady False", condition, 60)
    assert found["reason"] == "SetRefused"
    started = [
        s for s in cluster.kube.list(SCENARIO_RUNS) if s["metadata"]["name"] == f"{run}-s000"
    ]
    assert started == []
    return found


def packed(document: dict[str, Any], rel: str) -> str:
    data = base64.b64decode(document["binaryData"]["set.tar.gz"])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile(rel)
        assert member is not None
        return member.read().decode()


def spec_md_on_claim(tmp_path: pathlib.Path, scenario_run: str) -> str:
    claim = tmp_path / "node" / "pvc" / "default" / f"{scenario_run}-workspace"
    return (claim / "workspace" / "SPEC.md").read_text()


def test_a_cluster_run_plays_a_stored_set_from_s3_and_refuses_an_edited_one(
    cluster: EnduroCluster,
    aws_env: MotoServer,
    bucket: str,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env.endpoint)
    generate(f"s3://{bucket}/sets/a")
    cluster.kube.create("v1/secrets", secret(aws_env))
    oracle(cluster)
    location = {"bucket": bucket, "prefix": "sets/a", "region": "eu-west-1"}
    source = {
        "s3": {**location, "endpoint": aws_env.endpoint, "credentialsSecret": {"name": "s3-keys"}}
    }
    play(cluster, "run", "stored", source)

    run = cluster.wait_for_run("run", timeout=180)

    assert run["status"]["averageScore"] == 1.0
    [ready] = [c for c in run["status"]["conditions"] if c["type"] == "ScenarioSetReady"]
    assert ready["status"] == "True", ready
    client = aws_env.client()
    pack = client.get_object(Bucket=bucket, Key="sets/a/scenario_000.zip")["Body"].read()  # type: ignore[attr-defined]
    stored = member_of(pack, "scenario_000/turn_002/SPEC.md")
    assert spec_md_on_claim(tmp_path, "run-s000").encode() == stored

    edited_pack = repacked(pack, "scenario_000/turn_001/SPEC.md", b"edited")
    client.put_object(Bucket=bucket, Key="sets/a/scenario_000.zip", Body=edited_pack)  # type: ignore[attr-defined]
    play(cluster, "edited", "stored-edited", source)
    found = refused(cluster, "edited")
    assert f"s3://{bucket}/sets/a/scenario_000.zip" in found["message"]
    assert "does not match its digest" in found["message"]


def test_a_cluster_run_plays_a_stored_set_from_a_configmap_and_refuses_an_edited_one(
    cluster: EnduroCluster, aws_env: MotoServer, tmp_path: pathlib.Path
) -> None:
    manifest = tmp_path / "set.yaml"
    generate(str(manifest), "--out-configmap", "small-set")
    document = yaml.safe_load(manifest.read_text())
    cluster.kube.create("v1/configmaps", document)
    oracle(cluster)
    play(cluster, "run", "stored", {"configMap": {"name": "small-set"}})

    run = cluster.wait_for_run("run", timeout=180)

    assert run["status"]["averageScore"] == 1.0
    assert spec_md_on_claim(tmp_path, "run-s000") == packed(
        document, "scenario_000/turn_002/SPEC.md"
    )
    bad = edited(document, "scenario_000/turn_002/SPEC.md")
    bad["metadata"] = {"name": "edited-set"}
    cluster.kube.create("v1/configmaps", bad)
    play(cluster, "edited", "stored-edited", {"configMap": {"name": "edited-set"}})
    found = refused(cluster, "edited")
    assert (
        "ConfigMap edited-set: scenario_000/turn_002/SPEC.md: content does not match"
        in (found["message"])
    )

    play(cluster, "missing", "stored-missing", {"configMap": {"name": "no-such-set"}})
    found = refused(cluster, "missing")
    assert "ConfigMap no-such-set not found" in found["message"]
