"""`BenchmarkRun.spec.artifacts.s3` and `Benchmark.spec.source`: what a user may write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from enduro.api.benchmark import BenchmarkSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec
from enduro.api.crd import crds
from enduro.runtime.manifest import ManifestError, load_plan

REFS = {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}}


def run_spec(s3: dict[str, Any]) -> BenchmarkRunSpec:
    return BenchmarkRunSpec.model_validate({**REFS, "artifacts": {"s3": s3}})


def test_a_bucket_with_prefix_region_endpoint_and_secret_is_accepted() -> None:
    spec = run_spec(
        {
            "bucket": "enduro-runs",
            "prefix": "team/a/",
            "region": "eu-west-1",
            "endpoint": "http://minio.storage:9000",
            "credentialsSecret": {"name": "s3-keys"},
        }
    )
    assert spec.artifacts.s3 is not None
    assert spec.artifacts.s3.url == "s3://enduro-runs/team/a"


def test_no_artifacts_means_the_volume_alone() -> None:
    assert BenchmarkRunSpec.model_validate(REFS).artifacts.s3 is None


@pytest.mark.parametrize(
    ("s3", "message"),
    [
        ({"prefix": "x"}, "artifacts.s3.bucket"),
        ({"bucket": "enduro-runs", "prefix": "a/../b"}, "must not contain '..'"),
        ({"bucket": "enduro-runs", "accessKeyId": "AKIA..."}, "accessKeyId: literal credentials"),
        (
            {"bucket": "enduro-runs", "secretAccessKey": "s"},
            "secretAccessKey: literal credentials",
        ),
        ({"bucket": "enduro-runs", "region": "Mars"}, "artifacts.s3.region"),
        ({"bucket": "Bad_Bucket"}, "artifacts.s3.bucket"),
    ],
)
def test_bad_locations_are_refused_naming_the_field(s3: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        run_spec(s3)
    text = "\n".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in info.value.errors()
    )
    assert message in text


def test_a_run_file_with_literal_keys_is_refused_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "apiVersion: enduro.dev/v1alpha1\nkind: BenchmarkRun\nmetadata: {name: r}\nspec:\n"
        "  benchmarkRef: {name: b}\n  agentRef: {name: a}\n"
        "  artifacts: {s3: {bucket: enduro-runs, secretAccessKey: hunter2}}\n"
    )
    with pytest.raises(ManifestError) as info:
        load_plan(path)
    [problem] = info.value.problems
    assert "spec.artifacts.s3" in problem and "secretAccessKey: literal credentials" in problem
    assert "hunter2" not in problem, "a secret never reaches a message"


def test_a_benchmark_source_names_exactly_one_place() -> None:
    generator = {"seed": 1, "scenarios": 1, "turns": 2}
    ok = BenchmarkSpec.model_validate(
        {"generator": generator, "source": {"s3": {"bucket": "enduro-sets", "prefix": "s1"}}}
    )
    assert ok.source is not None and ok.source.s3 is not None
    with pytest.raises(ValidationError, match=r"exactly one of source\.s3 or source\.configMap"):
        BenchmarkSpec.model_validate({"generator": generator, "source": {}})


def test_the_crds_carry_the_locations_with_their_rules() -> None:
    by_kind = {d["spec"]["names"]["kind"]: d for d in crds()}
    run = by_kind["BenchmarkRun"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    s3 = run["properties"]["spec"]["properties"]["artifacts"]["properties"]["s3"]
    assert s3["required"] == ["bucket"]
    assert "accessKeyId" not in s3["properties"]
    assert any("'..'" in r["rule"] for r in s3["x-kubernetes-validations"])
    bench = by_kind["Benchmark"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert "s3" in bench["properties"]["spec"]["properties"]["source"]["properties"]
