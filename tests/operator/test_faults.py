"""Faults the cluster side must survive: the same results as an undisturbed run, no
duplicate pod, no lost or repeated turn."""

from __future__ import annotations

import os
import pathlib
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from operator_manifests import agent, benchmark, benchmark_run

from cluster.enduro_cluster import (
    BENCHMARK_RUNS,
    PODS,
    PVCS,
    SCENARIO_RUNS,
    EnduroCluster,
    scripted_results,
)
from cluster.faults import ApiFaults, inject
from cluster.kubelet import Canned

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Start = Callable[..., EnduroCluster]
KEYS = ("turn", "attempts", "passed", "total", "score", "passedTurn", "reason")


def scores(scenario: int, turn: int, attempt: int) -> tuple[int, int]:
    """Turn 2 of scenario 1 passes on its second attempt; the rest pass at once."""
    return (3, 5) if (scenario, turn, attempt) == (1, 2, 1) else (5, 5)


def results(cluster: EnduroCluster) -> dict[str, Any]:
    found = {}
    for sr in cluster.kube.list(SCENARIO_RUNS):
        status = sr["status"]
        found[sr["metadata"]["name"]] = {
            "phase": status["phase"],
            "score": status.get("score"),
            "stamina": status.get("stamina"),
            "turns": [{k: t.get(k) for k in KEYS} for t in status.get("turns", [])],
        }
    return found


def play(
    cluster: EnduroCluster, during: Callable[[], None] | None = None, turns: int = 3
) -> dict[str, Any]:
    cluster.apply(
        benchmark(scenarios=2, turns=turns), agent(), benchmark_run(parallelism=2, attemptLimit=2)
    )
    if during is not None:
        during()
    cluster.wait_for_run("run", timeout=180)
    return results(cluster)


def ended(cluster: EnduroCluster) -> bool:
    run = cluster.kube.get(BENCHMARK_RUNS, "run")
    return run.get("status", {}).get("phase") in ("Succeeded", "Failed")


def expected_pods(found: dict[str, Any]) -> int:
    return sum(2 * t["attempts"] for s in found.values() for t in s["turns"])


def test_api_server_errors_slow_answers_and_dropped_watches_change_nothing(
    start_cluster: Start,
) -> None:
    calm = play(start_cluster(canned=Canned(scripted_results(scores))))

    cluster = start_cluster(canned=Canned(scripted_results(scores)), operator=False)
    faults = ApiFaults(rate=0.2, seed=11)
    inject(cluster.cluster, faults)
    cluster.start_operator()
    disturbed = play(cluster)

    assert disturbed == calm
    assert len(cluster.kube.list(PODS)) == expected_pods(calm)  # no duplicate, none lost
    assert {"500", "429", "409", "slow", "dropped watches"} <= set(faults.injected), faults.injected


def test_operator_restarts_at_random_moments_change_nothing(start_cluster: Start) -> None:
    calm = play(start_cluster(canned=Canned(scripted_results(scores), delay=0.3)), turns=10)

    cluster = start_cluster(canned=Canned(scripted_results(scores), delay=0.3))
    rng = random.Random(5)
    restarts = [0]

    def restart_repeatedly() -> None:
        while restarts[0] < 20 and not ended(cluster):
            time.sleep(rng.uniform(0.0, 0.4))
            cluster.stop_operator()
            restarts[0] += 1
            cluster.start_operator()

    disturbed = play(cluster, restart_repeatedly, turns=10)

    assert restarts[0] == 20, f"the run ended after {restarts[0]} restarts"
    assert disturbed == calm
    assert len(cluster.kube.list(PODS)) == expected_pods(calm)


def test_sigkill_of_the_operator_process_at_20_random_moments_changes_nothing(
    start_cluster: Start, tmp_path: pathlib.Path
) -> None:
    """The operator as its own process (`enduro operator`, as in a pod), killed with
    SIGKILL at random moments (between creating a pod and patching a status too) and
    started again: the same results, one pod per step, no lost or repeated turn."""
    calm = play(start_cluster(canned=Canned(scripted_results(scores), delay=0.5)), turns=8)

    cluster = start_cluster(canned=Canned(scripted_results(scores), delay=0.5), operator=False)
    env = {**os.environ, "KUBECONFIG": str(cluster.cluster.kubeconfig)}
    log = (tmp_path / "operator.log").open("w")
    rng = random.Random(7)
    kills = [0]
    operator: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        operator.append(
            subprocess.Popen(
                [sys.executable, "-m", "enduro", "operator", "-n", "default", "--liveness", ""],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )

    def kill_repeatedly() -> None:
        while kills[0] < 20 and not ended(cluster):
            time.sleep(rng.uniform(0.3, 2.0))
            operator[-1].send_signal(signal.SIGKILL)
            operator[-1].wait()
            kills[0] += 1
            start()

    start()
    try:
        disturbed = play(cluster, kill_repeatedly, turns=8)
    finally:
        operator[-1].terminate()
        operator[-1].wait(30)
    assert kills[0] == 20, f"the run ended after {kills[0]} kills"
    assert disturbed == calm
    assert len(cluster.kube.list(PODS)) == expected_pods(calm)


def test_a_step_pod_lost_with_its_node_mid_step_is_retried_without_spending_an_attempt(
    start_cluster: Start,
) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(scores), delay=2.0))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(attemptLimit=1))
    lost = "run-s000-t001-a1-agent"

    def running() -> bool:
        pods = {p["metadata"]["name"]: p for p in cluster.kube.list(PODS)}
        return pods.get(lost, {}).get("status", {}).get("phase") == "Running"

    cluster.kube.wait_for("the agent pod to run", running, timeout=30)
    cluster.kube.delete(PODS, lost)  # the node controller removes a lost node's pods

    cluster.wait_for_run("run", timeout=60)
    [turn] = cluster.kube.get(SCENARIO_RUNS, "run-s000")["status"]["turns"]
    assert (turn["attempts"], turn["passedTurn"]) == (1, True)
    names = {p["metadata"]["name"] for p in cluster.kube.list(PODS)}
    assert f"{lost}-r1" in names


# The chart's own peering CRDs (charts/enduro/crds/kopf-peering.yaml): what a Helm install
# with operator.peering.enabled gives the replicas.
PEERING_CRD = next(
    doc
    for doc in yaml.safe_load_all(
        (pathlib.Path(__file__).parents[2] / "charts/enduro/crds/kopf-peering.yaml").read_text()
    )
    if doc["spec"]["names"]["kind"] == "KopfPeering"
)


def test_two_replicas_one_acts_and_the_other_takes_over_when_it_is_killed(
    start_cluster: Start, tmp_path: pathlib.Path
) -> None:
    calm = play(start_cluster(canned=Canned(scripted_results(scores), delay=0.5)), turns=6)

    cluster = start_cluster(canned=Canned(scripted_results(scores), delay=0.5), operator=False)
    cluster.cluster.call(cluster.cluster.emulator.register_crd, PEERING_CRD)
    peering = {"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": "enduro"}}
    cluster.kube.create("kopf.dev/v1/kopfpeerings", peering)
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.cluster.kubeconfig),
        "ENDURO_PEERING_SECONDS": "10",
    }

    def replica(priority: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "enduro", "operator", "-n", "default", "--liveness", "",
             "--peering", "enduro", "--priority", str(priority)],
            env=env, stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"replica-{priority}.log").open("w"),
        )  # fmt: skip

    def recorded() -> int:
        return len(cluster.kube.get("kopf.dev/v1/kopfpeerings", "enduro").get("status") or {})

    def follower_log() -> str:
        return (tmp_path / "replica-100.log").read_text()

    # One after the other, as a rolling deploy brings them: the follower is up first,
    # then the leader joins and the follower must pause before the run even starts.
    follower = replica(100)
    cluster.kube.wait_for("the follower's record", lambda: recorded() >= 1 or None, 60)
    leader = replica(200)
    cluster.kube.wait_for("the leader's record", lambda: recorded() >= 2 or None, 60)
    cluster.kube.wait_for(
        "the follower to pause",
        lambda: "Pausing operations in favour of" in follower_log() or None,
        60,
    )
    took_over = [False]

    def kill_the_leader_mid_run() -> None:
        def turns_done() -> int:
            return sum(
                len(s.get("status", {}).get("turns", [])) for s in cluster.kube.list(SCENARIO_RUNS)
            )

        cluster.kube.wait_for("two turns", lambda: turns_done() >= 2 or None, timeout=60)
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        before = turns_done()
        cluster.kube.wait_for("the follower to go on", lambda: turns_done() > before, 60)
        took_over[0] = True

    try:
        disturbed = play(cluster, kill_the_leader_mid_run, turns=6)
    finally:
        for process in (leader, follower):
            process.kill()
            process.wait()
    assert took_over[0]
    assert disturbed == calm
    assert len(cluster.kube.list(PODS)) == expected_pods(calm)  # never both acting


def test_a_pvc_deleted_while_the_operator_is_down_is_noticed_when_it_starts_again(
    start_cluster: Start,
) -> None:
    """No watch event reaches a stopped operator: the restarted one looks for the claim
    once. In turn 1 nothing is lost with the volume, so the turn starts again on a fresh
    claim even without an artifact store (later turns need one: tests/storage)."""
    cluster = start_cluster(canned=Canned(scripted_results(scores), delay=1.0))
    cluster.apply(benchmark(scenarios=1, turns=2), agent(), benchmark_run(attemptLimit=2))
    first = "run-s000-t001-a1-agent"

    def running() -> bool:
        pods = {p["metadata"]["name"]: p for p in cluster.kube.list(PODS)}
        return pods.get(first, {}).get("status", {}).get("phase") == "Running"

    cluster.kube.wait_for("the first agent pod to run", running, timeout=30)
    cluster.stop_operator()
    cluster.kube.delete(PVCS, "run-s000-workspace")
    cluster.start_operator()

    cluster.wait_for_run("run", timeout=60)
    status = cluster.kube.get(SCENARIO_RUNS, "run-s000")["status"]
    assert [t["attempts"] for t in status["turns"]] == [1, 1]
    assert status["workspaceRestores"] == 1
    [restored] = [c for c in status["conditions"] if c["type"] == "WorkspaceRestored"]
    assert restored["reason"] == "ResumedFromStart", restored
    names = {p["metadata"]["name"] for p in cluster.kube.list(PODS)}
    assert {"run-s000-t001-a1-agent-r1-w1", "run-s000-t002-a1-test-w1"} <= names, names
    assert [c["metadata"]["name"] for c in cluster.kube.list(PVCS)] == ["run-s000-workspace"]
