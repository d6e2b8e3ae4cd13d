"""The step pods as the operator last saw them, from a watch of its own.

A step makes three to seven pod events (created, scheduled, running, finished, ...).
Through kopf, each one built an index entry and a handler's arguments, about a quarter
of the operator's CPU per step; here an event is decoded, cut to the few fields the
drivers read (`podresults`), stored, and wakes its ScenarioRun's driver. Only step pods
come: the label selector is applied by the API server, where kopf watched every pod of
a namespace.

One watch per namespace that has ScenarioRuns, started by the first driver there. A
driver waits for its namespace's first listing, so a restarted operator knows every
existing pod before it decides anything and adopts the pod of the step in flight
instead of creating it again (what kopf's indexes gave before).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from enduro.operator.kubeapi import KubeApi
from enduro.operator.pods import AGENT_OUTCOME_ANNOTATION, SCENARIO_RUN_LABEL
from enduro.operator.scenarioruns import KIND
from enduro.operator.wakeups import Wakeups

WATCH_SECONDS = 300  # how long the API server keeps one watch request open
MAX_BACKOFF_SECONDS = 30.0
PodKey = tuple[str, str]  # namespace, pod name
Snapshot = dict[str, Any]


def snapshot(pod: Mapping[str, Any]) -> Snapshot:
    """What the drivers read of a pod: its name and ScenarioRun, the agent outcome a test
    pod records, which of its init containers are native sidecars (`podresults`), and
    its status."""
    meta = pod["metadata"]
    sidecars = [
        {"name": c.get("name"), "restartPolicy": "Always"}
        for c in (pod.get("spec") or {}).get("initContainers") or ()
        if c.get("restartPolicy") == "Always"
    ]
    run = (meta.get("labels") or {}).get(SCENARIO_RUN_LABEL, "")
    kept: Snapshot = {"name": meta["name"], "labels": {SCENARIO_RUN_LABEL: run}}
    recorded = (meta.get("annotations") or {}).get(AGENT_OUTCOME_ANNOTATION)
    if recorded:
        kept["annotations"] = {AGENT_OUTCOME_ANNOTATION: recorded}
    return {
        "metadata": kept,
        "spec": {"initContainers": sidecars},
        "status": dict(pod.get("status") or {}),
    }


class ExpiredError(Exception):
    """The API server no longer has the events since our resourceVersion: list again."""


@dataclass
class StepPods:
    api: Callable[[], KubeApi]  # the operator's current client (a new login replaces it)
    wakeups: Wakeups
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger(__name__))
    pods: dict[PodKey, Snapshot] = field(default_factory=dict)
    gone: set[PodKey] = field(default_factory=set)  # step pods seen deleted
    _listed: dict[str, asyncio.Event] = field(default_factory=dict)
    _watches: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def ready(self, namespace: str) -> None:
        """Once the step pods of `namespace` have been listed (their watch starts with the
        first call for a namespace)."""
        if namespace not in self._watches:
            self._listed[namespace] = asyncio.Event()
            self._watches[namespace] = asyncio.create_task(
                self._follow(namespace), name=f"step pods in {namespace}"
            )
        await self._listed[namespace].wait()

    def forget(self, namespace: str, scenario_run: str) -> None:
        """Drop a deleted ScenarioRun's pods (what is kept would grow forever)."""
        prefix = f"{scenario_run}-"
        for key in [k for k in self.gone if k[0] == namespace and k[1].startswith(prefix)]:
            self.gone.discard(key)
        for key in [k for k in self.pods if k[0] == namespace and k[1].startswith(prefix)]:
            del self.pods[key]

    async def close(self) -> None:
        for task in self._watches.values():
            task.cancel()
        for task in self._watches.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watches.clear()

    async def _follow(self, namespace: str) -> None:
        """List, then watch from the list's resourceVersion, for as long as the operator
        runs: a watch the server ended resumes where it was; one too old to resume, or
        any failure, lists again (after a pause that grows while failures repeat)."""
        failures = 0
        while True:
            try:
                version = await self._list(namespace)
                self._listed[namespace].set()
                failures = 0
                while True:
                    version = await self._watch(namespace, version)
            except ExpiredError:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:  # whatever it was, the pods are listed again
                failures += 1
                pause = min(MAX_BACKOFF_SECONDS, 0.1 * 2**failures)
                self.logger.warning(
                    "watching the step pods in %s failed (%s); listing again in %.1f s",
                    namespace,
                    error or type(error).__name__,
                    pause,
                )
                await asyncio.sleep(pause)

    async def _list(self, namespace: str) -> str:
        found = await self.api().list_objects("v1", "pods", namespace, SCENARIO_RUN_LABEL)
        listed = {}
        for pod in found.get("items") or ():
            listed[(namespace, pod["metadata"]["name"])] = snapshot(pod)
        # Pods deleted while no watch was open are gone as surely as those seen deleted.
        for key in [k for k in self.pods if k[0] == namespace and k not in listed]:
            self._deleted(key, self.pods[key])
        for key, pod in listed.items():
            self._seen(key, pod)
        return str(found["metadata"]["resourceVersion"])

    async def _watch(self, namespace: str, version: str) -> str:
        """Follow one watch request; the resourceVersion to resume from when it ends."""
        events = self.api().watch(
            "v1",
            "pods",
            namespace,
            SCENARIO_RUN_LABEL,
            resource_version=version,
            seconds=WATCH_SECONDS,
        )
        async for event in events:
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise ExpiredError(obj.get("message", "too old resource version"))
                raise RuntimeError(f"the watch failed: {obj.get('message') or obj}")
            version = str(obj["metadata"]["resourceVersion"])
            if kind == "BOOKMARK":
                continue
            key = (namespace, obj["metadata"]["name"])
            if kind == "DELETED":
                self._deleted(key, snapshot(obj))
            else:
                self._seen(key, snapshot(obj))
        return version

    def _seen(self, key: PodKey, pod: Snapshot) -> None:
        self.pods[key] = pod
        self._wake(key[0], pod)

    def _deleted(self, key: PodKey, pod: Snapshot) -> None:
        self.pods.pop(key, None)
        self.gone.add(key)
        self._wake(key[0], pod)

    def _wake(self, namespace: str, pod: Snapshot) -> None:
        run = pod["metadata"]["labels"][SCENARIO_RUN_LABEL]
        if run:
            self.wakeups.wake(KIND, namespace, run)
