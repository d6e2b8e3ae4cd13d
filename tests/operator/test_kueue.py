"""Enduro in a shared cluster's Kueue queue (plain-pod integration, emulated): step pods
carry the queue and pod-group metadata, wait gated without timing out, come back as an
infrastructure retry when preempted, and a run naming a missing queue says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from operator_manifests import agent, benchmark, benchmark_run

from cluster.enduro_cluster import BENCHMARK_RUNS, PODS, SCENARIO_RUNS, EnduroCluster, oracle
from cluster.enduro_cluster import scripted_results as results
from cluster.kubelet import Canned
from enduro.operator import kueue

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]


def queued(start: Start, queue: str = "team-a", quota: int = 2, **options: Any) -> EnduroCluster:
    cluster = start(kueue=True, **options)
    assert cluster.kueue is not None
    if quota >= 0:
        cluster.cluster.call(cluster.kueue.create_queue, queue, quota)
    return cluster


def pods(cluster: EnduroCluster) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in cluster.kube.list(PODS)}


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    found = [c for c in obj.get("status", {}).get("conditions", []) if c["type"] == type_]
    return found[0] if found else None


def test_step_pods_carry_the_queue_and_a_pod_group_of_one(start_cluster: Start) -> None:
    cluster = queued(start_cluster, canned=Canned(results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(queueName="team-a"))

    run = cluster.wait_for_run("run")

    assert run["status"]["averageScore"] == 1.0
    for name, pod in pods(cluster).items():
        assert pod["metadata"]["labels"][kueue.QUEUE_NAME_LABEL] == "team-a"
        assert pod["metadata"]["labels"][kueue.POD_GROUP_NAME_LABEL] == name
        assert pod["metadata"]["annotations"][kueue.POD_GROUP_TOTAL_COUNT] == "1"
    assert cluster.kueue is not None and len(cluster.kueue.admitted) == 2  # agent + test


def test_the_chart_default_queue_applies_to_runs_without_one(
    start_cluster: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDURO_DEFAULT_QUEUE_NAME", "shared")
    cluster = queued(start_cluster, queue="shared", canned=Canned(results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run())

    cluster.wait_for_run("run")

    labels = [p["metadata"]["labels"][kueue.QUEUE_NAME_LABEL] for p in pods(cluster).values()]
    assert labels == ["shared", "shared"]


def test_a_pod_waiting_for_admission_is_pending_without_timing_out(
    start_cluster: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDURO_UNSCHEDULABLE_SECONDS", "0.3")
    cluster = queued(start_cluster, quota=0, canned=Canned(results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(queueName="team-a"))
    name = "run-s000-t001-a1-agent"
    cluster.kube.wait_for("the gated agent pod", lambda: name in pods(cluster))

    time.sleep(1.0)  # over three times the unschedulable limit

    [pod] = pods(cluster).values()
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["conditions"][0]["reason"] == "SchedulingGated"
    assert kueue.waiting_for_admission(pod)
    assert cluster.kube.get(SCENARIO_RUNS, "run-s000")["status"].get("infraRetries", 0) == 0

    assert cluster.kueue is not None
    cluster.cluster.call(cluster.kueue.set_quota, "team-a", 1)  # Kueue admits it

    run = cluster.wait_for_run("run")
    assert run["status"]["averageScore"] == 1.0
    assert sorted(pods(cluster)) == ["run-s000-t001-a1-agent", "run-s000-t001-a1-test"]


def test_a_step_preempted_by_kueue_is_rerun_without_spending_an_attempt(
    start_cluster: Start,
) -> None:
    cluster = queued(start_cluster, canned=Canned(results(oracle), delay=1.0))
    cluster.apply(
        benchmark(scenarios=1, turns=1), agent(), benchmark_run(queueName="team-a", attemptLimit=1)
    )
    first = "run-s000-t001-a1-agent"
    cluster.kube.wait_for(
        "the agent pod to run",
        lambda: pods(cluster).get(first, {}).get("status", {}).get("phase") == "Running",
    )
    assert cluster.kueue is not None

    cluster.cluster.call(cluster.kueue.preempt, first)

    run = cluster.wait_for_run("run")
    assert run["status"]["averageScore"] == 1.0  # the only attempt was not spent
    [turn] = cluster.kube.get(SCENARIO_RUNS, "run-s000")["status"]["turns"]
    assert turn["attempts"] == 1 and turn["passedTurn"] is True
    assert "run-s000-t001-a1-agent-r1" in pods(cluster)


def test_a_missing_queue_leaves_the_run_pending_with_a_condition(start_cluster: Start) -> None:
    cluster = queued(start_cluster, quota=-1, canned=Canned(results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(queueName="nope"))

    def reported() -> dict[str, Any] | None:
        ready = condition(cluster.kube.get(BENCHMARK_RUNS, "run"), "Ready")
        return ready if ready and ready["reason"] == "QueueNotFound" else None

    ready = cluster.kube.wait_for("Ready=False QueueNotFound", reported)
    assert ready["status"] == "False"
    assert "LocalQueue 'nope' not found in namespace 'default'" in ready["message"]
    run = cluster.kube.get(BENCHMARK_RUNS, "run")
    assert run["status"]["phase"] == "Pending"
    assert cluster.kube.list(SCENARIO_RUNS) == []

    assert cluster.kueue is not None
    cluster.cluster.call(cluster.kueue.create_queue, "nope", 2)  # the team creates it
    cluster.kube.patch(BENCHMARK_RUNS, "run", {"metadata": {"annotations": {"poke": "1"}}})
    assert cluster.wait_for_run("run")["status"]["averageScore"] == 1.0


def test_without_a_queue_a_pod_carries_no_kueue_metadata() -> None:
    pod = {"metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {}}
    assert kueue.queued_pod(pod, kueue.queue_for(None, "")) is pod
    assert kueue.queue_for(None, "shared") == "shared"
    assert kueue.queue_for("team-a", "shared") == "team-a"
