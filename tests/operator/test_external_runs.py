"""Bring-your-own-agent runs on the emulated cluster, driven the way a user's script drives
them: through the async client (`enduro.client`), with the operator running. Scoring
pods are canned (the scoring step itself is tested where it is built); environments run
until the operator deletes them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from operator_manifests import API

from cluster.enduro_cluster import PODS, SCENARIO_RUNS, EnduroCluster, labels_of
from cluster.kubelet import Canned, ContainerResult
from enduro.client import AsyncEnduro, Enduro, EnduroError, RunEndedError

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]
SCENARIOS = "enduro.dev/v1alpha1/scenarios"
CONTRACT = {
    "functions": [
        {"name": "tests", "weight": 3, "scorer": {"command": {"command": "pytest -q"}}},
        {"name": "style", "weight": 1, "scorer": {"command": {"command": "ruff check"}}},
    ]
}


def scenario(name: str, turns: int = 1) -> dict[str, Any]:
    statement = {"problemStatement": f"fix {name}"}
    shape: dict[str, Any] = (
        {"scoringContract": CONTRACT}
        if turns == 1
        else {"turns": [{"inputContext": statement, "scoringContract": CONTRACT}] * turns}
    )
    return {
        "apiVersion": API,
        "kind": "Scenario",
        "metadata": {"name": name, "labels": {"suite": "fixes"}},
        "spec": {"inputContext": statement, **shape},
    }


def is_environment(pod: dict[str, Any]) -> bool:
    return labels_of(pod).get("enduro.dev/role") == "environment"


def scores(score_of: Callable[[str, int], float]) -> Canned:
    """Scoring pods report `score_of(scenario run, turn)` as the contract score."""

    def results(pod: dict[str, Any]) -> dict[str, ContainerResult]:
        labels = labels_of(pod)
        score = score_of(labels["enduro.dev/scenario-run"], int(labels["enduro.dev/turn"]))
        passed = 1 if score == 1.0 else 0
        summary = {"passed": passed, "failed": 1 - passed, "total": 1, "contractScore": score}
        return {"test-runner": ContainerResult(0, json.dumps(summary))}

    return Canned(results, delay=0.2, lasts=is_environment)


@pytest.fixture
async def enduro_on(start_cluster: Start) -> AsyncIterator[Callable[..., Any]]:
    clients: list[AsyncEnduro] = []

    async def connect(cluster: EnduroCluster) -> AsyncEnduro:
        client = await AsyncEnduro.connect(
            kubeconfig=str(cluster.cluster.kubeconfig), poll_seconds=0.1
        )
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.close()


def running_pods(cluster: EnduroCluster) -> list[str]:
    return sorted(
        p["metadata"]["name"]
        for p in cluster.kube.list(PODS)
        if p.get("status", {}).get("phase") in ("Pending", "Running")
    )


async def test_a_scenario_run_goes_running_scoring_scored_completed(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 0.75))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    enduro = await enduro_on(cluster)

    run = await enduro.scenarios.start_run("fix-parser", run_name="mine")
    assert run.name == "mine" and run.spec.definition.name == "fix-parser"
    ready = await enduro.scenario_runs.await_environment_ready("mine", timeout=30)
    assert (ready.state, ready.turn, ready.environment_ready) == ("Running", 1, True)
    assert running_pods(cluster) == ["mine-t001-env"]
    env = cluster.kube.get(PODS, "mine-t001-env")
    assert env["spec"]["initContainers"][0]["name"] == "prepare-workspace"
    assert env["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] is True
    assert [m["mountPath"] for m in env["spec"]["containers"][0]["volumeMounts"]] == [
        "/workspace",
        "/tmp",
    ]

    await enduro.scenario_runs.score("mine")
    scored = await enduro.scenario_runs.await_scored("mine", timeout=30)
    assert (scored.state, scored.score, scored.status.progress) == ("Scored", 0.75, "1/1")
    assert scored.environment_ready  # the environment stays up until complete
    scorer = cluster.kube.get(PODS, "mine-t001-a1-test")
    workspace = next(
        m for m in scorer["spec"]["containers"][0]["volumeMounts"] if m["mountPath"] == "/workspace"
    )
    assert workspace["readOnly"] is True
    assert running_pods(cluster) == ["mine-t001-env"]

    done = await enduro.scenario_runs.complete("mine", timeout=30)
    assert (done.state, done.score, done.environment_ready) == ("Completed", 0.75, False)
    assert running_pods(cluster) == []
    succeeded = next(c for c in done.status.conditions if c.type == "Succeeded")
    assert succeeded.status == "True"


async def test_a_multi_turn_run_shows_the_next_turn_after_each_score(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0 if turn == 1 else 0.5))
    cluster.kube.create(SCENARIOS, scenario("two-steps", turns=2))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("two-steps", run_name="steps")
    await enduro.scenario_runs.await_environment_ready("steps", timeout=30)

    after_one = await enduro.scenario_runs.score_and_await("steps", timeout=30)
    assert (after_one.state, after_one.turn) == ("Running", 2)
    ready = await enduro.scenario_runs.await_environment_ready("steps", timeout=30)
    assert ready.turn == 2 and running_pods(cluster) == ["steps-t002-env"]

    done = await enduro.scenario_runs.score_and_complete("steps", timeout=30)
    assert (done.state, done.score) == ("Completed", 0.75)
    assert [t.score for t in done.status.turns] == [1.0, 0.5]


async def test_cancel_frees_the_environment_and_waiting_on_it_says_so(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("fix-parser", run_name="gone")
    await enduro.scenario_runs.await_environment_ready("gone", timeout=30)

    canceled = await enduro.scenario_runs.cancel("gone", timeout=30)
    assert canceled.state == "Canceled" and running_pods(cluster) == []
    with pytest.raises(RunEndedError, match="ScenarioRun gone ended Canceled"):
        await enduro.scenario_runs.await_scored("gone", timeout=5)


async def test_an_idle_environment_times_out(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run(
        "fix-parser", run_name="idle", timeouts={"keepAliveSeconds": 2}
    )
    with pytest.raises(RunEndedError, match=r"ended TimedOut: timed out: idle"):
        await enduro.scenario_runs.await_scored("idle", timeout=30)
    assert running_pods(cluster) == []


async def test_a_lost_environment_fails_the_run(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("fix-parser", run_name="lost")
    await enduro.scenario_runs.await_environment_ready("lost", timeout=30)

    cluster.cluster.call(cluster.executor.evict, "lost-t001-env")

    with pytest.raises(RunEndedError, match="ended Failed: the environment of turn 1 was lost"):
        await enduro.scenario_runs.await_scored("lost", timeout=30)


async def test_bad_requests_name_the_fix(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    enduro = await enduro_on(cluster)
    with pytest.raises(EnduroError, match="404"):
        await enduro.scenarios.start_run("no-such-scenario")
    generated = {
        "apiVersion": API,
        "kind": "ScenarioRun",
        "metadata": {"name": "gen"},
        "spec": {
            "generator": {"seed": 1, "scenarios": 1, "turns": 2},
            "externalAgent": {"external": True},
        },
    }
    with pytest.raises(Exception, match="explicit scenarios only"):
        cluster.kube.create(SCENARIO_RUNS, generated)


def test_the_sync_facade_runs_the_same_flow(start_cluster: Start) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    with Enduro.connect(kubeconfig=str(cluster.cluster.kubeconfig), poll_seconds=0.1) as enduro:
        enduro.scenarios.start_run("fix-parser", run_name="sync")
        enduro.scenario_runs.await_environment_ready("sync", timeout=30)
        done = enduro.scenario_runs.score_and_complete("sync", timeout=30)
    assert (done.state, done.score) == ("Completed", 1.0)
