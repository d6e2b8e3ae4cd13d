"""Small stored sets in a ConfigMap: `enduro generate --out FILE.yaml --out-configmap NAME`
writes its manifest, `enduro run` plays a run file that holds it (a model-sampled set,
which nothing could regenerate), an edited set is refused naming the file, and a set too
big for a ConfigMap is refused naming the 1 MiB limit, writing nothing."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from enduro.cli import app
from enduro.scenarios import configmap
from enduro.testing.scripted_model import ScriptedModel, ScriptedModelServer

SIZE = ["--scenarios", "1", "--turns", "2", "--changes-per-turn", "2", "--seed", "4"]

RUN = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {name: stored}
spec:
  generator: {seed: 4, scenarios: 1, turns: 2, changesPerTurn: 2, sampler: bedrock}
  source: {configMap: {name: small-set}}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {name: oracle}
spec: {harness: oracle}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {name: from-configmap}
spec:
  benchmarkRef: {name: stored}
  agentRef: {name: oracle}
  attemptLimit: 1
  timeouts: {agentSeconds: 60, testSeconds: 60, serverStartSeconds: 15}
"""


@pytest.fixture
def bedrock(aws_env: object) -> Iterator[str]:
    with ScriptedModelServer(ScriptedModel(solver=lambda turn: {})) as server:
        yield server.root


def generate(bedrock: str, out: Path, *extra: str) -> Any:
    model = ["--sampler", "bedrock", "--model-id", "scripted.echo", "--region", "eu-west-1"]
    args = ["generate", *SIZE, *model, "--bedrock-endpoint", bedrock, "--out", str(out)]
    return CliRunner().invoke(app, [*args, *extra])


def edited(document: dict[str, Any], rel: str) -> dict[str, Any]:
    """The ConfigMap with one file of its packed set changed."""
    packed = base64.b64decode(document["binaryData"][configmap.KEY])
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as old,
        tarfile.open(fileobj=out, mode="w:gz") as new,
    ):
        for member in old.getmembers():
            data = old.extractfile(member) if member.isfile() else None
            content = data.read() if data is not None else b""
            if member.name == rel:
                content = b"edited\n"
                member.size = len(content)
            new.addfile(member, io.BytesIO(content) if member.isfile() else None)
    return {**document, "binaryData": {configmap.KEY: base64.b64encode(out.getvalue()).decode()}}


@pytest.mark.slow
@pytest.mark.e2e
def test_a_run_plays_a_model_sampled_set_from_a_configmap_and_refuses_an_edited_one(
    bedrock: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from enduro.runtime.launch import run_file
    from enduro.scenarios.generator import SCENARIO_SET_ENV

    monkeypatch.delenv(SCENARIO_SET_ENV, raising=False)
    manifest = tmp_path / "small-set.yaml"
    result = generate(bedrock, manifest, "--out-configmap", "small-set")
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(manifest.read_text())
    assert (document["apiVersion"], document["kind"]) == ("v1", "ConfigMap")
    assert document["metadata"]["name"] == "small-set"
    assert len(document["metadata"]["annotations"][configmap.DIGEST_ANNOTATION]) == 64

    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(manifest.read_text() + "---\n" + RUN)
    assert run_file(run_yaml, tmp_path / "out", False) == 0
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["average_score"] == 1.0
    stored = (tmp_path / "out/scenario_set/scenario_000/turn_002/SPEC.md").read_text()
    assert (tmp_path / "out/scenario_0/workspace/SPEC.md").read_text() == stored

    monkeypatch.delenv(SCENARIO_SET_ENV, raising=False)
    bad = edited(document, "scenario_000/turn_001/SPEC.md")
    run_yaml.write_text(yaml.safe_dump(bad) + "---\n" + RUN)
    assert run_file(run_yaml, tmp_path / "out2", False) == 2
    error = capsys.readouterr().err
    assert "ConfigMap small-set: scenario_000/turn_001/SPEC.md: content does not match" in error

    run_yaml.write_text(RUN)  # no ConfigMap in the file
    assert run_file(run_yaml, tmp_path / "out3", False) == 2
    error = capsys.readouterr().err
    assert "source.configMap: ConfigMap small-set not found" in error


def test_a_set_too_big_for_a_configmap_is_refused_naming_the_limit_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configmap, "LIMIT", 1000)
    out = tmp_path / "big.yaml"
    args = ["generate", "--scenarios", "1", "--turns", "2", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--out-configmap", "big"])
    assert result.exit_code != 0
    assert "more than a ConfigMap holds (1 MiB, 1000 bytes)" in result.output
    assert "--out s3://BUCKET/PREFIX" in result.output
    assert not out.exists()

    result = CliRunner().invoke(app, [*args, "--out-configmap", "Not_A_Name"])
    assert result.exit_code != 0 and "--out-configmap: 'Not_A_Name' is not a ConfigMap name" in (
        result.output
    )


def test_an_existing_manifest_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "set.yaml"
    out.write_text("kept")
    args = ["generate", "--scenarios", "1", "--turns", "1", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--out-configmap", "set"])
    assert result.exit_code != 0 and "exists (pass --force to replace it)" in result.output
    assert out.read_text() == "kept"
    result = CliRunner().invoke(app, [*args, "--out-configmap", "set", "--force"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["kind"] == "ConfigMap"


def test_a_configmap_packs_the_sets_files_one_by_one_each_content_once(tmp_path: Path) -> None:
    """One gzip stream over the plain files, not over the packs (already deflated, they
    would not shrink again and the ConfigMap would hold fewer turns)."""
    out = tmp_path / "set.yaml"
    args = ["generate", "--scenarios", "1", "--turns", "4", "--seed", "4", "--out", str(out)]
    assert CliRunner().invoke(app, [*args, "--out-configmap", "tree"]).exit_code == 0
    document = yaml.safe_load(out.read_text())
    data = base64.b64decode(document["binaryData"][configmap.KEY])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {member.name: member for member in tar.getmembers()}
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert not [name for name in members if name.endswith(".zip")]
    assert set(manifest["files"]) <= set(members)
    repeated = [m for m in members.values() if m.islnk()]
    assert repeated, "an unchanged file was stored again instead of linked"
    assert len(data) < 0.4 * sum(m.size for m in members.values() if m.isfile())
