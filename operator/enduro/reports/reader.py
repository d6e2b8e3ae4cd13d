"""Reading a cluster run's artifacts off its volumes with a short-lived reader pod.

A ScenarioRun's artifacts (every attempt's trajectory and test result) live on its PVC.
`enduro report br/NAME` reads them without exec rights: per ScenarioRun it creates a pod
that mounts the claim's `artifacts` folder read-only and prints the attempts as one JSON
line (`enduro report-attempts`), reads that through `pods/log`, and deletes the pod. The
pod is locked down like a step pod: non-root, read-only root filesystem, no capabilities,
no service-account token, and a deadline.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import TypeAdapter, ValidationError

from enduro.reports.attempts import AttemptRecord
from enduro.steps.names import report_reader_name, workspace_claim_name

ARTIFACTS = "/artifacts"
READER_SECONDS = 120
READER_LABEL = "enduro.dev/report-reader"
_RECORDS = TypeAdapter(list[AttemptRecord])


def build_reader_pod(scenario_run: str, namespace: str, image: str) -> dict[str, Any]:
    """The pod that prints the ScenarioRun's attempts from its volume's `artifacts` folder."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": report_reader_name(scenario_run),
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": "enduro",
                READER_LABEL: "true",
                "enduro.dev/scenario-run": scenario_run,
            },
        },
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": READER_SECONDS,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "reader",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["enduro", "report-attempts", "--artifacts", ARTIFACTS],
                    "volumeMounts": [
                        {
                            "name": "data",
                            "mountPath": ARTIFACTS,
                            "subPath": "artifacts",
                            "readOnly": True,
                        }
                    ],
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                    },
                }
            ],
            "volumes": [
                {
                    "name": "data",
                    "persistentVolumeClaim": {
                        "claimName": workspace_claim_name(scenario_run),
                        "readOnly": True,
                    },
                }
            ],
        },
    }


def parse_reader_output(log: str) -> list[AttemptRecord]:
    """The attempts from the reader's output: its last non-empty line is the JSON list."""
    lines = [line for line in log.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the reader printed nothing")
    try:
        return _RECORDS.validate_python(json.loads(lines[-1]))
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"the reader's output is not a list of attempts: {exc}") from None


def read_through_pod(
    core: Any, namespace: str, scenario_run: str, image: str, api_exception: type[Exception]
) -> list[AttemptRecord]:
    """Run the reader for one ScenarioRun with the (untyped) kubernetes CoreV1Api `core`;
    raise ValueError naming what went wrong. The pod is deleted whatever happens."""
    pod = build_reader_pod(scenario_run, namespace, image)
    name = pod["metadata"]["name"]
    _delete(core, name, namespace, api_exception)  # a leftover from an interrupted report
    core.create_namespaced_pod(namespace, pod)
    try:
        deadline = time.monotonic() + READER_SECONDS
        while True:
            phase = core.read_namespaced_pod(name, namespace).status.phase
            if phase in ("Succeeded", "Failed"):
                break
            if time.monotonic() > deadline:
                raise ValueError(f"the reader pod {name} did not finish in {READER_SECONDS}s")
            time.sleep(0.2)
        log = core.read_namespaced_pod_log(name, namespace)
        if phase == "Failed":
            raise ValueError(f"the reader pod {name} failed: {log[-300:]}")
        return parse_reader_output(log)
    finally:
        _delete(core, name, namespace, api_exception)


def _delete(core: Any, name: str, namespace: str, api_exception: type[Exception]) -> None:
    try:
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    except api_exception as exc:
        if getattr(exc, "status", None) != 404:
            raise


def attempts_json(records: list[AttemptRecord]) -> str:
    """What the reader prints: the attempts as one JSON line."""
    return _RECORDS.dump_json(records).decode()
