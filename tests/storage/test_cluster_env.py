"""What the operator adds to a test pod for `artifacts.s3`: where to upload, and
credentials only as references to the Secret."""

from __future__ import annotations

from typing import Any

from enduro.api.generator import GeneratorSpec
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.storage.cluster import URL_ENV, scenario_url, with_artifact_upload

POD: dict[str, Any] = {
    "spec": {
        "initContainers": [{"name": "server", "env": [{"name": "PORT", "value": "8000"}]}],
        "containers": [{"name": "test-runner", "env": [{"name": "PORT", "value": "8000"}]}],
    }
}


def spec(s3: dict[str, Any] | None) -> ScenarioRunSpec:
    return ScenarioRunSpec.model_validate(
        {
            "benchmarkRun": "nightly",
            "scenario": 3,
            "generator": GeneratorSpec(seed=1, scenarios=4, turns=2).model_dump(by_alias=True),
            "agent": {"harness": "oracle"},
            "artifacts": {"s3": s3} if s3 else {},
        }
    )


def test_the_test_runner_is_told_where_to_upload_with_keys_from_the_secret() -> None:
    s3 = {"bucket": "enduro-runs", "prefix": "team", "credentialsSecret": {"name": "keys"}}
    pod = with_artifact_upload(POD, spec(s3))
    [runner] = pod["spec"]["containers"]
    env = {e["name"]: e for e in runner["env"]}
    assert env[URL_ENV]["value"] == "s3://enduro-runs/team/nightly/scenario_3"
    assert scenario_url(spec(s3)) == env[URL_ENV]["value"]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert env[key] == {
            "name": key,
            "valueFrom": {"secretKeyRef": {"name": "keys", "key": key, "optional": False}},
        }
    assert env["AWS_SESSION_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert pod["spec"]["initContainers"] == POD["spec"]["initContainers"], "only the runner"
    assert POD["spec"]["containers"][0]["env"] == [{"name": "PORT", "value": "8000"}]


def test_without_a_secret_the_pod_uses_its_workload_identity() -> None:
    pod = with_artifact_upload(POD, spec({"bucket": "enduro-runs"}))
    names = {e["name"] for e in pod["spec"]["containers"][0]["env"]}
    assert URL_ENV in names and "AWS_ACCESS_KEY_ID" not in names


def test_without_a_bucket_the_pod_is_unchanged() -> None:
    assert with_artifact_upload(POD, spec(None)) == POD
    assert scenario_url(spec(None)) is None
