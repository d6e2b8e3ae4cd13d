"""Stored scenario sets in S3 (moto server): `enduro generate --out s3://...`, with the
weighted sampler and with the Bedrock sampler against the scripted model, read back with
their digests checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from s3_fixtures import MotoServer
from typer.testing import CliRunner

from enduro.api.generator import GeneratorSpec
from enduro.cli import app
from enduro.scenarios.sources import download_set, upload_set
from enduro.scenarios.store import StoreError, export_set, load_set, write_file_tree
from enduro.testing.scripted_model import ScriptedModel, ScriptedModelServer
from setfiles import member_of, repacked

SIZE = ["--scenarios", "1", "--turns", "2", "--changes-per-turn", "2", "--seed", "4"]


@pytest.fixture
def s3(aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env.endpoint)
    return aws_env


@pytest.fixture
def bedrock() -> Iterator[str]:
    with ScriptedModelServer(ScriptedModel(solver=lambda turn: {})) as server:
        yield server.root


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def manifest(s3: MotoServer, bucket: str, prefix: str) -> dict[str, Any]:
    answer = s3.client().get_object(Bucket=bucket, Key=f"{prefix}/manifest.json")  # type: ignore[attr-defined]
    data: dict[str, Any] = json.loads(answer["Body"].read())
    return data


def keys(s3: MotoServer, bucket: str) -> list[str]:
    answer = s3.client().list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    return [o["Key"] for o in answer.get("Contents", [])]


def test_a_bedrock_sampled_set_is_stored_with_its_generation_and_reads_back(
    s3: MotoServer, bucket: str, bedrock: str, tmp_path: Path
) -> None:
    url = f"s3://{bucket}/sets/bedrock-a"
    result = cli(
        "generate", *SIZE, "--sampler", "bedrock", "--model-id", "scripted.flaky",
        "--region", "eu-west-1", "--bedrock-endpoint", bedrock, "--out", url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = manifest(s3, bucket, "sets/bedrock-a")
    assert stored["generator"]["sampler"] == "bedrock"
    generation = stored["generation"]
    assert generation["modelId"] == "scripted.flaky" and generation["region"] == "eu-west-1"
    assert generation["usage"]["inputTokens"] > 0 and generation["fallbacks"] == []
    assert generation["requests"] == 2 * generation["accepted"] == 4
    checked = cli("check-scenarios", url)
    assert checked.exit_code == 0 and "files verified" in checked.output
    loaded = download_set(url, tmp_path / "copy", digest=stored["digest"])
    assert [t.turn for t in loaded.turns()] == [1, 2]


def test_a_set_whose_object_was_edited_is_refused_naming_it(s3: MotoServer, bucket: str) -> None:
    url = f"s3://{bucket}/sets/w"
    assert cli("generate", *SIZE, "--out", url).exit_code == 0
    client = s3.client()
    pack = client.get_object(Bucket=bucket, Key="sets/w/scenario_000.zip")["Body"].read()  # type: ignore[attr-defined]
    edited = repacked(pack, "scenario_000/turn_002/SPEC.md", b"edited")
    client.put_object(Bucket=bucket, Key="sets/w/scenario_000.zip", Body=edited)  # type: ignore[attr-defined]
    result = cli("check-scenarios", url)
    assert result.exit_code == 2
    assert f"{url}/scenario_000.zip: content does not match its digest" in result.output


def test_a_set_of_the_first_format_uploads_and_downloads_file_by_file(
    s3: MotoServer, bucket: str, tmp_path: Path
) -> None:
    """A set stored by an earlier version (a file per path) stays usable."""
    spec = GeneratorSpec(seed=4, scenarios=1, turns=2, changes_per_turn=2)
    packed = export_set(spec, tmp_path / "packed")
    write_file_tree(load_set(tmp_path / "packed"), tmp_path / "v1")
    url = f"s3://{bucket}/sets/v1"
    assert upload_set(tmp_path / "v1", url).format == "enduro-scenarios/v1"
    stored = keys(s3, bucket)
    assert "sets/v1/scenario_000/turn_002/SPEC.md" in stored
    assert not [key for key in stored if key.endswith(".zip")]
    loaded = download_set(url, tmp_path / "copy", digest=packed.digest)
    assert [t.schema for t in loaded.turns()] == [
        t.schema for t in load_set(tmp_path / "packed").turns()
    ]


def test_a_set_with_another_digest_than_the_benchmark_names_is_refused(
    s3: MotoServer, bucket: str, tmp_path: Path
) -> None:
    url = f"s3://{bucket}/sets/d"
    assert cli("generate", *SIZE, "--out", url).exit_code == 0
    with pytest.raises(StoreError, match=r"the set digest is .* expected 0000"):
        download_set(url, tmp_path / "x", digest="0" * 64)


def test_an_unknown_model_id_stores_nothing(s3: MotoServer, bucket: str, bedrock: str) -> None:
    result = cli(
        "generate", *SIZE, "--sampler", "bedrock", "--model-id", "anthropic.nope",
        "--bedrock-endpoint", bedrock, "--out", f"s3://{bucket}/sets/x",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "'anthropic.nope'" in result.output and "model identifier is invalid" in result.output
    assert keys(s3, bucket) == []


def test_another_set_is_not_overwritten_without_force(s3: MotoServer, bucket: str) -> None:
    url = f"s3://{bucket}/sets/keep"
    assert cli("generate", *SIZE, "--out", url).exit_code == 0
    before = manifest(s3, bucket, "sets/keep")
    other = cli("generate", *SIZE[:-1], "5", "--out", url)
    assert other.exit_code == 2 and "already holds another set" in other.output
    assert manifest(s3, bucket, "sets/keep") == before
    assert cli("generate", *SIZE[:-1], "5", "--out", url, "--force").exit_code == 0
    assert manifest(s3, bucket, "sets/keep")["digest"] != before["digest"]


def test_bedrock_needs_a_model_id() -> None:
    result = cli("generate", *SIZE, "--sampler", "bedrock", "--out", "/tmp/never")
    assert result.exit_code == 2 and "--model-id" in result.output


@pytest.mark.slow
def test_a_bedrock_sampled_set_validates(s3: MotoServer, bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/sets/v"
    with ScriptedModelServer(ScriptedModel(solver=lambda turn: {})) as bedrock:
        result = cli(
            "generate", *SIZE, "--sampler", "bedrock", "--model-id", "scripted.echo",
            "--bedrock-endpoint", bedrock.root, "--out", url,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    download_set(url, tmp_path / "set")
    validated = cli("validate", str(tmp_path / "set"), "--workers", "1")
    assert validated.exit_code == 0, validated.output


RUN_FROM_SET = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {{name: stored}}
spec:
  generator: {{seed: 4, scenarios: 1, turns: 2, changesPerTurn: 2, sampler: bedrock}}
  source: {{s3: {{bucket: {bucket}, prefix: sets/run}}}}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {{name: oracle}}
spec: {{harness: oracle}}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {{name: from-set}}
spec:
  benchmarkRef: {{name: stored}}
  agentRef: {{name: oracle}}
  attemptLimit: 1
  timeouts: {{agentSeconds: 60, testSeconds: 60, serverStartSeconds: 15}}
"""


@pytest.mark.slow
@pytest.mark.e2e
def test_a_run_plays_a_bedrock_sampled_set_from_s3_and_refuses_an_edited_one(
    s3: MotoServer,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from enduro.runtime.launch import run_file
    from enduro.scenarios.generator import SCENARIO_SET_ENV

    monkeypatch.delenv(SCENARIO_SET_ENV, raising=False)
    with ScriptedModelServer(ScriptedModel(solver=lambda turn: {})) as bedrock:
        result = cli(
            "generate", *SIZE, "--sampler", "bedrock", "--model-id", "scripted.echo",
            "--bedrock-endpoint", bedrock.root, "--out", f"s3://{bucket}/sets/run",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(RUN_FROM_SET.format(bucket=bucket))
    assert run_file(run_yaml, tmp_path / "out", False) == 0
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["average_score"] == 1.0
    pack = (tmp_path / "out/scenario_set/scenario_000.zip").read_bytes()
    stored = member_of(pack, "scenario_000/turn_002/SPEC.md").decode()
    assert (tmp_path / "out/scenario_0/workspace/SPEC.md").read_text() == stored

    edited = repacked(pack, "scenario_000/turn_001/schema.yaml", b"edited")
    s3.client().put_object(Bucket=bucket, Key="sets/run/scenario_000.zip", Body=edited)  # type: ignore[attr-defined]
    assert run_file(run_yaml, tmp_path / "out2", False) == 2
    error = capsys.readouterr().err
    assert f"s3://{bucket}/sets/run/scenario_000.zip" in error
    assert "does not match its digest" in error
