"""Kueue on shared clusters: what a step pod carries so Kueue queues and admits it.

Pure. With Kueue's plain-pod integration (`integrations.frameworks: ["pod"]`), a pod
labelled `kueue.x-k8s.io/queue-name` is created with the scheduling gate
`kueue.x-k8s.io/admission` and stays Pending until its LocalQueue's ClusterQueue has
quota; Kueue then removes the gate. Each step's pod is a pod group of one (the group name
label and the total-count annotation), so Kueue admits it as one Workload.

What the operator does about it (see docs/operator.md, "Kueue"):

* a gated pod is Pending but not Unschedulable: no timeout runs (the pod's deadline
  starts when it runs, and the unschedulable timer looks only at `Unschedulable`);
* a pod Kueue preempts is deleted: the step is re-created as an infrastructure retry,
  which spends no attempt;
* a run whose LocalQueue does not exist stays Pending with `Ready=False`,
  reason `QueueNotFound`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

QUEUE_NAME_LABEL = "kueue.x-k8s.io/queue-name"
POD_GROUP_NAME_LABEL = "kueue.x-k8s.io/pod-group-name"
POD_GROUP_TOTAL_COUNT = "kueue.x-k8s.io/pod-group-total-count"
ADMISSION_GATE = "kueue.x-k8s.io/admission"
LOCAL_QUEUE_API_VERSION = "kueue.x-k8s.io/v1beta1"
LOCAL_QUEUES = "localqueues"

Manifest = dict[str, Any]


def queue_for(spec_queue: str | None, default_queue: str | None) -> str | None:
    """The run's `spec.queueName`, else the operator's default (chart `kueue.queueName`)."""
    return spec_queue or default_queue or None


def queued_pod(pod: Manifest, queue: str | None) -> Manifest:
    """`pod` with the labels and annotation that put it in `queue` as a group of one."""
    if not queue:
        return pod
    meta = pod["metadata"]
    labels = {**meta.get("labels", {}), QUEUE_NAME_LABEL: queue, POD_GROUP_NAME_LABEL: meta["name"]}
    annotations = {**meta.get("annotations", {}), POD_GROUP_TOTAL_COUNT: "1"}
    return {**pod, "metadata": {**meta, "labels": labels, "annotations": annotations}}


def waiting_for_admission(pod: Mapping[str, Any]) -> bool:
    """True while Kueue has not admitted the pod (its admission gate is still on)."""
    gates = (pod.get("spec") or {}).get("schedulingGates") or []
    return any(gate.get("name") == ADMISSION_GATE for gate in gates)
