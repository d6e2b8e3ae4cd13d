"""`build_pod`: one step (a `StepSpec`) as one Pod. Reading it tells everything the pod does.

* agent step: init container `enduro prepare-workspace`, main container the agent
  harness (`enduro agent`), whose outcome (its last stdout line) is copied to the
  termination log so the operator can read it from the pod status;
* test step: the agent's server as a native sidecar (an init container with
  `restartPolicy: Always`), main container `enduro test-runner`, which writes its
  summary to the termination log;
* one volume, the ScenarioRun's PVC: the logical `workspace` and `artifacts` volumes are
  its sub-directories (`subPath`), so the workspace persists across all turns;
* locked down: a read-only root filesystem (an emptyDir at /tmp), non-root, no
  privilege escalation, every capability dropped, the
  RuntimeDefault seccomp profile, no service-account token, no service links, no
  shared process namespace, and the Agent's `runtimeClassName` (gVisor, Kata) if set;
* resources from the step, `activeDeadlineSeconds` from the step's time limit,
  `restartPolicy: Never` (a retry is a new pod with a new name, decided by the engine);
* labels that say which scenario run, turn, attempt, role and retry it is;
* a test step's pod may carry its attempt's agent outcome (`with_agent_outcome`): the
  status is not written between an attempt's agent and test steps, so that pod is the
  record a restarted operator reads the agent's end from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enduro.engine.results import AgentOutcome
from enduro.steps.spec import ContainerSpec, StepEnvVar, StepRole, StepSpec

LABEL_PREFIX = "enduro.dev"
SCENARIO_RUN_LABEL = f"{LABEL_PREFIX}/scenario-run"
TURN_LABEL = f"{LABEL_PREFIX}/turn"
ATTEMPT_LABEL = f"{LABEL_PREFIX}/attempt"
ROLE_LABEL = f"{LABEL_PREFIX}/role"
RETRY_LABEL = f"{LABEL_PREFIX}/retry"
AGENT_OUTCOME_ANNOTATION = f"{LABEL_PREFIX}/agent-outcome"
MANAGED_BY = {"app.kubernetes.io/managed-by": "enduro", "app.kubernetes.io/name": "enduro"}
CLAIM_VOLUME = "data"
SCRATCH_VOLUME = "tmp"  # the pod's /tmp: the root filesystem is read-only
TERMINATION_LOG = "/dev/termination-log"
RUN_AS = 1000

# Copies the last stdout line of the wrapped command (`enduro agent` prints its outcome
# there) to the termination log, keeping the output streaming and the exit code intact.
OUTCOME_TO_TERMINATION_LOG = (
    'out="/tmp/enduro-agent-$$.out"; rc="/tmp/enduro-agent-$$.rc"; '
    '{ "$@"; echo $? > "$rc"; } | tee "$out"; '
    f'tail -n 1 "$out" > {TERMINATION_LOG}; '
    'exit "$(cat "$rc")"'
)

Manifest = dict[str, Any]


def owner_reference(owner: Mapping[str, Any], *, controller: bool = True) -> Manifest:
    """An ownerReference to `owner` (a Kubernetes object): its dependents are deleted with it."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def _env(variables: list[StepEnvVar]) -> list[Manifest]:
    env: list[Manifest] = []
    for var in variables:
        if var.secret_key_ref is not None:
            ref = {"name": var.secret_key_ref.name, "key": var.secret_key_ref.key}
            env.append({"name": var.name, "valueFrom": {"secretKeyRef": ref}})
        else:
            env.append({"name": var.name, "value": var.value or ""})
    return env


def _container(spec: ContainerSpec, *, command: list[str] | None = None) -> Manifest:
    container: Manifest = {
        "name": spec.name,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "command": command or spec.command,
        "env": _env(spec.env),
        "volumeMounts": [
            *(
                {
                    "name": CLAIM_VOLUME,
                    "mountPath": mount.path,
                    "subPath": f"{mount.volume.value}/{mount.sub_path}".rstrip("/"),
                    "readOnly": mount.read_only,
                }
                for mount in spec.mounts
            ),
            *([{"name": SCRATCH_VOLUME, "mountPath": "/tmp"}] if spec.pod_tmp else []),
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            # Nothing may change the image: writes go to the workspace, the artifact
            # directories it mounts, or the pod's own /tmp (the CLIs' HOME is there).
            "readOnlyRootFilesystem": True,
        },
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if spec.working_dir:
        container["workingDir"] = spec.working_dir
    resources = {k: v for k, v in (("requests", spec.requests), ("limits", spec.limits)) if v}
    if resources:
        container["resources"] = resources
    return container


def build_pod(
    step: StepSpec,
    owner: Mapping[str, Any],
    *,
    claim: str,
    namespace: str,
    labels: Mapping[str, str] | None = None,
    runtime_class_name: str = "",
) -> Manifest:
    """The Pod that runs `step` for the ScenarioRun `owner`, on the PVC `claim`; the
    Agent's RuntimeClass, else `runtime_class_name` (the chart's default), if any."""
    init_containers: list[Manifest] = []
    if step.init is not None:
        init_containers.append(_container(step.init))
    if step.sidecar is not None:
        init_containers.append({**_container(step.sidecar), "restartPolicy": "Always"})
    if step.role is StepRole.AGENT:
        wrapped = ["sh", "-c", OUTCOME_TO_TERMINATION_LOG, "sh", *step.main.command]
        main = _container(step.main, command=wrapped)
    else:
        main = _container(step.main)
    pod: Manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": step.name,
            "namespace": namespace,
            "labels": {
                **MANAGED_BY,
                **(labels or {}),
                SCENARIO_RUN_LABEL: step.scenario_run,
                TURN_LABEL: str(step.turn),
                ATTEMPT_LABEL: str(step.attempt),
                ROLE_LABEL: step.role.value,
                RETRY_LABEL: str(step.retry),
            },
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": step.timeout_seconds,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "shareProcessNamespace": False,  # the server never sees the runner's processes
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS,
                "runAsGroup": RUN_AS,
                "fsGroup": RUN_AS,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "initContainers": init_containers,
            "containers": [main],
            "volumes": [
                {"name": CLAIM_VOLUME, "persistentVolumeClaim": {"claimName": claim}},
                {"name": SCRATCH_VOLUME, "emptyDir": {}},
            ],
        },
    }
    if step.runtime_class_name or runtime_class_name:
        pod["spec"]["runtimeClassName"] = step.runtime_class_name or runtime_class_name
    return pod


def with_agent_outcome(pod: Manifest, outcome: AgentOutcome) -> Manifest:
    """`pod` (a test step's) carrying how its attempt's agent step ended, as the
    `AgentOutcome` JSON the engine decided on (`podresults.recorded_agent_end` reads it)."""
    meta = pod["metadata"]
    recorded = outcome.model_dump_json()
    annotations = {**meta.get("annotations", {}), AGENT_OUTCOME_ANNOTATION: recorded}
    return {**pod, "metadata": {**meta, "annotations": annotations}}
