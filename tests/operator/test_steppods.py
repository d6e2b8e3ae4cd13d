"""The operator's own watch of step pods, against the emulated API server: a driver starts
only once its namespace's step pods are known; each event updates the pod and wakes its
ScenarioRun; a watch the server ends resumes, one too old lists again (and a pod deleted
meanwhile is gone), a failing list is retried."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import kopf
import pytest

from cluster.cluster import EmulatedCluster, KubeClient
from enduro.operator.kubeapi import ApiError, KubeApi
from enduro.operator.pods import SCENARIO_RUN_LABEL
from enduro.operator.steppods import StepPods
from enduro.operator.wakeups import Wakeups

PODS = "v1/pods"
POD_RESOURCE = ("", "v1", "pods")


class GatedApi(KubeApi):
    """The real client, with watches that open only when the test lets them and lists
    that fail the first `failing_lists` times."""

    def __init__(self, server: str, failing_lists: int = 0) -> None:
        super().__init__(kopf.ConnectionInfo(server=server))
        self.gate = asyncio.Event()
        self.gate.set()
        self.failing_lists = failing_lists
        self.lists = 0

    async def list_objects(self, *args: Any) -> dict[str, Any]:
        self.lists += 1
        if self.lists <= self.failing_lists:
            raise ApiError(500, "injected")
        return await super().list_objects(*args)

    async def watch(self, *args: Any, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        await self.gate.wait()
        async for event in super().watch(*args, **kwargs):
            yield event


def step_pod(name: str, run: str = "run-s000", sidecar: bool = False) -> dict[str, Any]:
    init = [{"name": "warm", "image": "x", "restartPolicy": "Always"}] if sidecar else []
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {SCENARIO_RUN_LABEL: run}},
        "spec": {
            "initContainers": [*init, {"name": "fetch", "image": "x"}],
            "containers": [{"name": "main", "image": "x"}],
        },
    }


@pytest.fixture
def cluster(tmp_path: pathlib.Path) -> Iterator[EmulatedCluster]:
    with EmulatedCluster(tmp_path) as emulated:
        yield emulated


class Recorded(Wakeups):
    """Wake-ups, remembering which ScenarioRuns' drivers were woken."""

    def __init__(self) -> None:
        super().__init__()
        self.woken: list[str] = []

    def wake(self, kind: str, namespace: str, name: str) -> None:
        self.woken.append(name)
        super().wake(kind, namespace, name)


@contextlib.asynccontextmanager
async def listed(api: GatedApi, wakeups: Wakeups | None = None) -> AsyncIterator[StepPods]:
    """The step pods of the namespace `default` once listed, as a driver sees them; the
    watch and its client closed after."""
    step_pods = StepPods(api=lambda: api, wakeups=wakeups or Wakeups())
    try:
        await asyncio.wait_for(step_pods.ready("default"), 10)
        yield step_pods
    finally:
        await step_pods.close()
        await api.close()


async def until(condition: Any, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not seen in time"
        await asyncio.sleep(0.02)


def set_phase(kube: KubeClient, name: str, phase: str) -> None:
    kube.patch(PODS, name, {"status": {"phase": phase}}, status=True)


async def test_a_driver_starts_once_every_step_pod_of_its_namespace_is_known(
    cluster: EmulatedCluster,
) -> None:
    kube = cluster.client()
    kube.create(PODS, step_pod("run-s000-t001-a1-agent", sidecar=True))
    kube.create(PODS, step_pod("run-s001-t001-a1-agent", run="run-s001"))
    kube.create(PODS, {**step_pod("web"), "metadata": {"name": "web"}})  # not a step pod
    set_phase(kube, "run-s000-t001-a1-agent", "Running")
    async with listed(GatedApi(cluster.url)) as step_pods:
        assert set(step_pods.pods) == {
            ("default", "run-s000-t001-a1-agent"),
            ("default", "run-s001-t001-a1-agent"),
        }
        pod = step_pods.pods[("default", "run-s000-t001-a1-agent")]
        assert pod["status"]["phase"] == "Running"
        # What `podresults` reads of the spec: which init containers are native sidecars.
        assert pod["spec"]["initContainers"] == [{"name": "warm", "restartPolicy": "Always"}]
        assert pod["metadata"]["labels"] == {SCENARIO_RUN_LABEL: "run-s000"}


async def test_each_event_updates_the_pod_and_wakes_its_scenario_run(
    cluster: EmulatedCluster,
) -> None:
    kube, wakeups = cluster.client(), Recorded()
    key = ("default", "run-s000-t001-a1-test")
    async with listed(GatedApi(cluster.url), wakeups) as step_pods:
        assert wakeups.woken == []
        kube.create(PODS, step_pod(key[1]))
        await until(lambda: key in step_pods.pods)
        assert wakeups.woken == ["run-s000"]
        set_phase(kube, key[1], "Succeeded")
        await until(lambda: step_pods.pods[key]["status"].get("phase") == "Succeeded")
        assert wakeups.woken == ["run-s000"] * 2
        kube.delete(PODS, key[1])
        await until(lambda: key in step_pods.gone)
        assert key not in step_pods.pods
        assert wakeups.woken == ["run-s000"] * 3


async def test_a_watch_the_server_ends_resumes_without_missing_an_event(
    cluster: EmulatedCluster,
) -> None:
    kube, api = cluster.client(), GatedApi(cluster.url)
    name = "run-s000-t002-a1-agent"
    kube.create(PODS, step_pod(name))
    async with listed(api) as step_pods:
        await until(lambda: cluster.call(len, cluster.emulator.watchers[POD_RESOURCE]) == 1)
        api.gate.clear()  # the next watch waits: the change below happens between two
        cluster.call(cluster.emulator.close_watches)
        set_phase(kube, name, "Failed")
        api.gate.set()
        await until(lambda: step_pods.pods[("default", name)]["status"].get("phase") == "Failed")
        assert api.lists == 1  # resumed from its resourceVersion, not listed again


async def test_a_watch_too_old_to_resume_lists_again_and_a_pod_deleted_meanwhile_is_gone(
    cluster: EmulatedCluster,
) -> None:
    kube, wakeups, api = cluster.client(), Recorded(), GatedApi(cluster.url)
    kept, deleted = "run-s000-t001-a1-agent", "run-s001-t001-a1-agent"
    kube.create(PODS, step_pod(kept))
    kube.create(PODS, step_pod(deleted, run="run-s001"))
    api.gate.clear()  # the first watch waits until the changes below are made
    async with listed(api, wakeups) as step_pods:
        kube.delete(PODS, deleted)
        set_phase(kube, kept, "Succeeded")
        # The API server forgets the events since the watch's resourceVersion: 410 Gone.
        cluster.call(cluster.emulator.history.clear)
        api.gate.set()
        await until(lambda: ("default", deleted) in step_pods.gone)
        assert "run-s001" in wakeups.woken
        assert step_pods.pods[("default", kept)]["status"]["phase"] == "Succeeded"
        assert ("default", deleted) not in step_pods.pods
        assert api.lists == 2


async def test_a_failing_list_is_retried_and_the_driver_waits_for_it(
    cluster: EmulatedCluster,
) -> None:
    cluster.client().create(PODS, step_pod("run-s000-t001-a1-agent"))
    api = GatedApi(cluster.url, failing_lists=2)
    async with listed(api) as step_pods:
        assert api.lists == 3
        assert ("default", "run-s000-t001-a1-agent") in step_pods.pods
