"""Kueue's plain-pod integration, emulated: enough of it to test how Enduro behaves in a
shared cluster's queue.

* the webhook: a pod created with the `kueue.x-k8s.io/queue-name` label gets the
  `kueue.x-k8s.io/admission` scheduling gate (so the scheduler leaves it Pending);
* admission: while its LocalQueue exists and has quota (here: a number of pods running at
  once), the oldest gated pod of the queue gets its gate removed and runs;
* preemption: `preempt(pod)` deletes an admitted pod, as Kueue does to make room for a
  higher-priority workload;
* LocalQueues are real objects (`kueue.x-k8s.io/v1beta1`), so the operator can look them
  up; a queue that does not exist admits nothing.

Everything runs in the emulator's loop (call it through `EmulatedCluster.call`).
"""

from __future__ import annotations

import asyncio

from cluster.emulator import Obj, RealisticEmulator, ResKey, WatchEvent
from enduro.operator import kueue

PODS: ResKey = ("", "v1", "pods")
LOCAL_QUEUES: ResKey = ("kueue.x-k8s.io", "v1beta1", "localqueues")
CRDS: ResKey = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")
DONE = ("Succeeded", "Failed")


def local_queue_crd() -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "localqueues.kueue.x-k8s.io"},
        "spec": {
            "group": "kueue.x-k8s.io",
            "scope": "Namespaced",
            "names": {
                "kind": "LocalQueue",
                "plural": "localqueues",
                "singular": "localqueue",
                "shortNames": ["queue", "queues", "lq"],
            },
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


class EmulatedKueue:
    def __init__(self, emulator: RealisticEmulator, namespace: str = "default") -> None:
        self.emulator = emulator
        self.namespace = namespace
        self.quotas: dict[str, int] = {}  # queue -> pods admitted at once
        self.admitted: list[str] = []  # pod names in the order they were admitted
        self.preempted: list[str] = []

    def install(self) -> None:
        self.emulator.create(CRDS, None, local_queue_crd())
        self.emulator.mutators.append(self._gate)
        self.emulator.listeners.append(self._on_event)

    def create_queue(self, name: str, quota: int) -> None:
        """A LocalQueue (pointing at a ClusterQueue with room for `quota` step pods)."""
        body = {"metadata": {"name": name}, "spec": {"clusterQueue": "enduro"}}
        self.emulator.create(LOCAL_QUEUES, self.namespace, body)
        self.set_quota(name, quota)

    def set_quota(self, name: str, quota: int) -> None:
        self.quotas[name] = quota
        self._admit()

    def preempt(self, pod: str) -> None:
        """Evict an admitted pod to make room for another workload: Kueue deletes it."""
        self.preempted.append(pod)
        self.emulator.delete(PODS, self.namespace, pod)

    # -- the webhook and the admission loop ---------------------------------------------

    def _gate(self, res: ResKey, obj: Obj) -> None:
        labels = obj.get("metadata", {}).get("labels") or {}
        if res == PODS and kueue.QUEUE_NAME_LABEL in labels:
            gates = obj.setdefault("spec", {}).setdefault("schedulingGates", [])
            gates.append({"name": kueue.ADMISSION_GATE})

    def _on_event(self, event: WatchEvent) -> None:
        if event.resource in (PODS, LOCAL_QUEUES):
            asyncio.get_running_loop().call_soon(self._admit)

    def _admit(self) -> None:
        pods = [
            p for p in self.emulator.objects(PODS, self.namespace)
            if kueue.QUEUE_NAME_LABEL in (p["metadata"].get("labels") or {})
            and "deletionTimestamp" not in p["metadata"]
        ]  # fmt: skip
        queues = {
            q["metadata"]["name"] for q in self.emulator.objects(LOCAL_QUEUES, self.namespace)
        }
        for queue, quota in self.quotas.items():
            if queue not in queues:
                continue
            mine = [p for p in pods if p["metadata"]["labels"][kueue.QUEUE_NAME_LABEL] == queue]
            running = [
                p for p in mine if not kueue.waiting_for_admission(p)
                and p.get("status", {}).get("phase") not in DONE
            ]  # fmt: skip
            waiting = sorted(
                (p for p in mine if kueue.waiting_for_admission(p)),
                key=lambda p: int(p["metadata"]["resourceVersion"]),
            )
            for pod in waiting[: max(0, quota - len(running))]:
                name = pod["metadata"]["name"]
                gates = [
                    g for g in pod["spec"]["schedulingGates"] if g["name"] != kueue.ADMISSION_GATE
                ]
                self.emulator.write(
                    PODS, self.namespace, name, {"spec": {"schedulingGates": gates or None}}
                )
                self.admitted.append(name)
