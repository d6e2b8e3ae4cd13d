"""`enduro run --artifacts s3://...` and `enduro report s3://...` as a user runs them,
against a moto S3 server (through a fault proxy where faults matter)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from s3_fixtures import Fault, FaultProxy, MotoServer
from typer.testing import CliRunner

from enduro.cli import app
from enduro.runtime.launch import run_file
from enduro.storage.runs import ArtifactsOption

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

RUN = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {name: bench}
spec:
  generator: {seed: 3, scenarios: 1, turns: 2, changesPerTurn: 2}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {name: agent}
spec:
  harness: oracle
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {name: s3-run}
spec:
  benchmarkRef: {name: bench}
  agentRef: {name: agent}
  attemptLimit: 1
  timeouts: {agentSeconds: 60, testSeconds: 60, serverStartSeconds: 15}
"""
UPLOADED = (
    "changes", "schemas", "test_suites", "ground_truth", "agent_code", "agent_logs",
    "trajectory", "server_logs", "test_results", "step_logs", "checkpoints",
)  # fmt: skip


def local_files(out: Path) -> set[str]:
    """What a run directory should look like in the bucket (its workspace excluded)."""
    files = {p.name for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    for scenario in out.glob("scenario_*"):
        files.add(f"{scenario.name}/state.json")
        for folder in UPLOADED:
            files |= {
                p.relative_to(out).as_posix()
                for p in (scenario / folder).rglob("*")
                if p.is_file() and not p.name.startswith(".")
            }
    return files


def bucket_keys(moto: MotoServer, bucket: str, prefix: str) -> list[str]:
    pages = (
        moto.client()
        .get_paginator("list_objects_v2")
        .paginate(  # type: ignore[attr-defined]
            Bucket=bucket, Prefix=prefix
        )
    )
    return [o["Key"].removeprefix(prefix) for page in pages for o in page.get("Contents", [])]


@pytest.fixture
def run_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    return path


def test_a_run_uploads_its_steps_and_report_and_reads_back(
    *,
    bucket: str,
    aws_env: MotoServer,
    run_yaml: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env.endpoint)
    code = run_file(run_yaml, out, False, artifacts=ArtifactsOption(f"s3://{bucket}/team/a"))
    assert code == 0
    keys = bucket_keys(aws_env, bucket, "team/a/s3-run/")
    assert sorted(keys) == sorted(local_files(out)), "the bucket mirrors the run directory"
    assert len(keys) == len(set(keys))
    for name in ("report.json", "report.md", "plan.json", "scenario_0/state.json"):
        assert name in keys
    assert "scenario_0/test_results/turn_002_attempt_1.json" in keys
    state = json.loads((out / "scenario_0/state.json").read_text())
    assert state["artifactsRef"] == f"s3://{bucket}/team/a/s3-run/scenario_0"

    for turn in (1, 2):
        assert f"scenario_0/checkpoints/turn_00{turn}.tar.gz" in keys
    restored = tmp_path / "restored"
    result = CliRunner().invoke(
        app, ["workspace", "restore", f"s3://{bucket}/team/a/s3-run", "0", "2", str(restored)]
    )
    assert result.exit_code == 0, result.output
    assert (restored / "app.py").read_text() == (
        out / "scenario_0/agent_code/turn_002_attempt_1/app.py"
    ).read_text()
    assert (restored / "SPEC.md").read_text() == (out / "scenario_0/workspace/SPEC.md").read_text()

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    local = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "from-disk")])
    remote = runner.invoke(app, ["report", f"s3://{bucket}/team/a/s3-run"])
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert (tmp_path / "report/report.md").read_text() == (
        tmp_path / "from-disk/report.md"
    ).read_text()
    assert (tmp_path / "report/report.md").read_text() == (out / "report.md").read_text()


def test_wrong_credentials_stop_the_run_before_anything_is_written(
    *,
    bucket: str,
    aws_env: MotoServer,
    run_yaml: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env.endpoint)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    out = tmp_path / "out"
    assert run_file(run_yaml, out, False, artifacts=ArtifactsOption(f"s3://{bucket}/p")) == 2
    assert "access denied" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", f"s3://{bucket}/p/s3-run"])
    assert result.exit_code == 2 and "access denied" in result.output
    assert not (tmp_path / "report").exists(), "no partial report"


def test_a_missing_bucket_is_named_before_the_run_starts(
    aws_env: MotoServer,
    run_yaml: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    option = ArtifactsOption("s3://not-a-bucket/p", endpoint=aws_env.endpoint)
    assert run_file(run_yaml, tmp_path / "out", False, artifacts=option) == 2
    assert "bucket 'not-a-bucket' does not exist" in capsys.readouterr().err


def test_an_interrupted_upload_is_completed_by_resume_without_duplicates(
    *,
    bucket: str,
    aws_env: MotoServer,
    proxy: FaultProxy,
    run_yaml: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    out = tmp_path / "out"
    option = ArtifactsOption(f"s3://{bucket}/p")
    # Every upload of turn 2's test result fails, retries included: the scenario stops.
    proxy.inject(Fault("500", count=10_000, method="PUT", path_contains="test_results/turn_002"))
    assert run_file(run_yaml, out, False, artifacts=option) == 1
    assert "scenario_0/test_results/turn_002_attempt_1.json" not in bucket_keys(
        aws_env, bucket, "p/s3-run/"
    )
    proxy.faults.clear()
    assert run_file(run_yaml, out, True, artifacts=option) == 0
    keys = bucket_keys(aws_env, bucket, "p/s3-run/")
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(local_files(out))
    report = json.loads(
        aws_env.client()
        .get_object(  # type: ignore[attr-defined]
            Bucket=bucket, Key="p/s3-run/report.json"
        )["Body"]
        .read()
    )
    assert report["average_score"] == 1.0
