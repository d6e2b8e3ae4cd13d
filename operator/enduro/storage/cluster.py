"""S3 artifacts on Kubernetes: what the operator adds to a test pod so that
``enduro test-runner`` uploads the scenario's artifact root after scoring, and the
report it writes when the run ends. The keys are the local runtime's
(``<prefix>/<run>/scenario_<i>/...``), so ``enduro report s3://.../<run>`` reads both.

The test pod gets the location as environment variables and the credentials from the
Secret named in ``credentialsSecret`` (``secretKeyRef``: never a literal value); without
a Secret, the pod's workload identity (its service account's role) is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from enduro.api.conditions import Condition
from enduro.api.scenariorun import ScenarioRunSpec, ScenarioRunStatus
from enduro.api.storage import S3Location
from enduro.storage import NoCredentialsStorageError, StorageError, open_store
from enduro.storage.checkpoints import restore_workspace
from enduro.storage.local import LocalStore
from enduro.storage.sync import RunUploader

URL_ENV = "ENDURO_ARTIFACTS_URL"
REGION_ENV = "ENDURO_ARTIFACTS_REGION"
ENDPOINT_ENV = "ENDURO_ARTIFACTS_ENDPOINT"
SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
UPLOADING_CONTAINER = "test-runner"
RESTORING_CONTAINER = "prepare-workspace"


def scenario_url(spec: ScenarioRunSpec) -> str | None:
    """``status.artifactsRef`` of a ScenarioRun whose run uploads to S3."""
    location = spec.artifacts.s3
    if location is None:
        return None
    return f"{location.run_url(spec.benchmark_run or 'run')}/scenario_{spec.scenario}"


def upload_env(spec: ScenarioRunSpec) -> list[dict[str, Any]]:
    location, url = spec.artifacts.s3, scenario_url(spec)
    if location is None or url is None:
        return []
    env: list[dict[str, Any]] = [{"name": URL_ENV, "value": url}]
    if location.region:
        env += [
            {"name": REGION_ENV, "value": location.region},
            {"name": "AWS_DEFAULT_REGION", "value": location.region},
        ]
    if location.endpoint:
        env.append({"name": ENDPOINT_ENV, "value": location.endpoint})
    if location.credentials_secret is not None:
        secret = location.credentials_secret.name
        env += [
            {
                "name": key,
                "valueFrom": {
                    "secretKeyRef": {"name": secret, "key": key, "optional": key.endswith("TOKEN")}
                },
            }
            for key in SECRET_KEYS
        ]
    return env


def with_artifact_upload(
    pod: Mapping[str, Any], spec: ScenarioRunSpec, *, restoring: bool = False
) -> dict[str, Any]:
    """The pod manifest, its test-runner container told where to upload; when the step
    restores a lost workspace, its prepare-workspace container where to read from. `pod`
    is left as it was; only what changes is copied (the operator builds a pod per step)."""
    env = upload_env(spec)
    out = dict(pod)
    if not env:
        return out
    pod_spec = out["spec"] = dict(out["spec"])
    pod_spec["containers"] = _with_env(pod_spec.get("containers", []), UPLOADING_CONTAINER, env)
    if restoring and "initContainers" in pod_spec:
        pod_spec["initContainers"] = _with_env(pod_spec["initContainers"], RESTORING_CONTAINER, env)
    return out


def _with_env(
    containers: list[dict[str, Any]], name: str, env: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {**container, "env": [*container.get("env", []), *env]}
        if container["name"] == name
        else container
        for container in containers
    ]


def restore_from_env(turn: int, workspace: Path, artifacts: Path) -> str:
    """In prepare-workspace after a lost volume: the workspace of turn ``turn``'s
    checkpoint, from the S3 store the operator named (without one, the artifact root:
    the local runtime's checkpoints). Returns the digest; raises ``StorageError``."""
    url = os.environ.get(URL_ENV)
    store = (
        open_store(url, region=os.environ.get(REGION_ENV), endpoint=os.environ.get(ENDPOINT_ENV))
        if url
        else LocalStore(artifacts)
    )
    return restore_workspace(store, "", turn, workspace, artifacts)


def upload_from_env(artifacts: Path) -> str | None:
    """In the test pod, after scoring (and the turn's checkpoint): when the operator asked
    for uploads, upload the artifact root. Returns the URL, or None when no upload was
    asked for; raises ``StorageError``."""
    url = os.environ.get(URL_ENV)
    if not url:
        return None
    store = open_store(
        url, region=os.environ.get(REGION_ENV), endpoint=os.environ.get(ENDPOINT_ENV)
    )
    RunUploader(store, "", artifacts).scenario(artifacts)
    return url


def publish_cluster_report(
    location: S3Location,
    report_fields: Mapping[str, Any],
    statuses: Mapping[int, ScenarioRunStatus],
) -> str:
    """When a run ends, the operator writes ``report.json`` and ``report.md`` next to its
    scenarios (with its own credentials: env or workload identity)."""
    import json
    import tempfile

    from enduro.reports.report import build_report
    from enduro.reports.summary import write_markdown_report

    report = build_report(statuses=statuses, **report_fields)
    url = f"{location.url}/{report.benchmark_run}"
    store = open_store(url, region=location.region, endpoint=location.endpoint)
    store.put_bytes("report.json", json.dumps(report.model_dump(mode="json"), indent=1).encode())
    with tempfile.TemporaryDirectory(prefix="enduro-report-") as tmp:
        markdown = write_markdown_report([report], Path(tmp))
        for path in sorted(Path(tmp).iterdir()):
            store.put_file(path.name, path)
        assert markdown.exists()
    return url


__all__ = [
    "ARTIFACTS_CONDITION",
    "StorageError",
    "artifacts_condition",
    "publish_cluster_report",
    "restore_from_env",
    "scenario_url",
    "upload_env",
    "upload_from_env",
    "with_artifact_upload",
]


ARTIFACTS_CONDITION = "ArtifactsReady"


def artifacts_condition(location: S3Location) -> Condition:
    """The operator's look at the run's bucket (with its own credentials), before any
    ScenarioRun starts: ``ArtifactsReady`` True, False with the problem (a missing bucket,
    refused credentials, another region), or Unknown when the operator has no credentials
    of its own (the pods' Secret may still have some)."""
    try:
        open_store(location).check()
    except NoCredentialsStorageError:
        return Condition(
            type=ARTIFACTS_CONDITION, status="Unknown", reason="NoOperatorCredentials",
            message=f"{location.url}: the operator cannot check the bucket itself",
        )  # fmt: skip
    except StorageError as exc:
        return Condition(
            type=ARTIFACTS_CONDITION, status="False", reason="BucketUnavailable", message=str(exc)
        )
    return Condition(
        type=ARTIFACTS_CONDITION, status="True", reason="BucketReachable", message=location.url
    )
