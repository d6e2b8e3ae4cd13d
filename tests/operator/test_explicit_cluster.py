"""Explicit scenarios on the emulated cluster, as a user meets them: bad Scenarios
rejected at apply naming the field; a run whose Scenario, Scorer or Secret is missing
waits, not Ready, saying which, and starts once it exists; the Benchmark counts its
Scenarios."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from cluster.cluster import ApiError
from cluster.enduro_cluster import (
    BENCHMARK_RUNS,
    BENCHMARKS,
    SCENARIO_RUNS,
    SCENARIOS,
    EnduroCluster,
)
from cluster.kubelet import Fault
from enduro.operator.benchmarks import benchmark_status

pytestmark = [pytest.mark.e2e]

Start = Callable[..., EnduroCluster]
API = "enduro.dev/v1alpha1"
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def scenario(name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inputContext": {"problemStatement": "Create done.txt."},
        "scoringContract": {
            "functions": [
                {
                    "name": "done",
                    "weight": 1,
                    "scorer": {"command": {"command": "test -f done.txt"}},
                }
            ]
        },
        "referenceOutput": {"commands": ["touch done.txt"]},
    }
    body.update(spec)
    return {"apiVersion": API, "kind": "Scenario", "metadata": {"name": name}, "spec": body}


def function(**scorer: Any) -> dict[str, Any]:
    return {"name": "f", "weight": 1, "scorer": scorer}


REJECTED = {
    "no problem statement": (
        {"inputContext": {"problemStatement": ""}},
        "spec.inputContext.problemStatement",
    ),
    "a weight of 0": (
        {"scoringContract": {"functions": [{**function(command={"command": "x"}), "weight": 0}]}},
        "spec.scoringContract.functions[0].weight",
    ),
    "a negative weight": (
        {"scoringContract": {"functions": [{**function(command={"command": "x"}), "weight": -2}]}},
        "spec.scoringContract.functions[0].weight",
    ),
    "a scorer of an unknown type": (
        {"scoringContract": {"functions": [function(regex={"pattern": "x"})]}},
        "spec.scoringContract.functions[0].scorer",
    ),
    "a test file escaping the working directory": (
        {"scoringContract": {"functions": [
            function(testBased={"files": {"../t.py": "x"}, "command": "pytest"})
        ]}},
        "spec.scoringContract.functions[0].scorer.testBased.files",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", REJECTED, ids=list(REJECTED))
def test_the_api_server_rejects_a_bad_scenario_at_apply(case: str, start_cluster: Start) -> None:
    spec, field = REJECTED[case]
    cluster = start_cluster(operator=False)
    with pytest.raises(ApiError) as rejected:
        cluster.kube.create(SCENARIOS, scenario("bad", **spec))
    assert rejected.value.status == 422
    message = rejected.value.body["message"]
    assert message.startswith('Scenario.enduro.dev "bad" is invalid') and field in message, message


def documents(**scenario_spec: Any) -> list[dict[str, Any]]:
    return [
        {"apiVersion": API, "kind": "Benchmark", "metadata": {"name": "bench"},
         "spec": {"scenarios": {"names": ["one"]}}},
        {"apiVersion": API, "kind": "Agent", "metadata": {"name": "agent"},
         "spec": {"harness": "oracle"}},
        {"apiVersion": API, "kind": "BenchmarkRun", "metadata": {"name": "run"},
         "spec": {"benchmarkRef": {"name": "bench"}, "agentRef": {"name": "agent"}}},
    ]  # fmt: skip


def not_ready(cluster: EnduroCluster, reason: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        run: dict[str, Any] = cluster.kube.get(BENCHMARK_RUNS, "run")
        for condition in run.get("status", {}).get("conditions", []):
            if condition["type"] == "Ready" and condition.get("reason") == reason:
                assert condition["status"] == "False"
                return condition
        return None

    return cluster.kube.wait_for(f"Ready=False {reason}", found, timeout=60)


def succeeded(cluster: EnduroCluster) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = cluster.kube.get(BENCHMARK_RUNS, "run")
        return run if run.get("status", {}).get("phase") == "Succeeded" else None

    return cluster.kube.wait_for("the run to succeed", ended, timeout=120)


@pytest.mark.slow
def test_a_missing_scenario_then_a_missing_secret_keep_the_run_waiting_until_they_exist(
    start_cluster: Start,
) -> None:
    cluster = start_cluster(isolate_ports=(8000,))
    cluster.apply(*documents())
    condition = not_ready(cluster, "ScenarioNotFound")
    assert "Scenario 'one' not found in namespace 'default'" in condition["message"]

    needs = {"environment": {"requiredSecrets": ["calc-credentials"]}}
    cluster.apply(scenario("one", **needs))
    condition = not_ready(cluster, "RequirementMissing")
    assert "Secret 'calc-credentials'" in condition["message"]

    cluster.kube.create(
        "v1/secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "calc-credentials"},
         "stringData": {"key": "x"}},
    )  # fmt: skip
    run = succeeded(cluster)
    assert run["status"]["averageScore"] == 1.0
    benchmark = cluster.kube.get(BENCHMARKS, "bench")
    assert benchmark["status"]["scenarioCount"] == 1


def test_the_benchmark_counts_the_scenarios_it_selects() -> None:
    labels = {"one": {"suite": "calc"}, "two": {"suite": "calc"}, "three": {}}
    by_label = benchmark_status(
        {"scenarios": {"matchLabels": {"suite": "calc"}}}, None, 1, NOW, labels
    )
    assert (by_label.phase, by_label.scenario_count) == ("Ready", 2)
    missing = benchmark_status({"scenarios": {"names": ["one", "four"]}}, None, 1, NOW, labels)
    assert (missing.phase, missing.scenario_count) == ("Pending", 1)
    [ready] = missing.conditions
    assert (ready.status, ready.reason) == ("False", "ScenarioNotFound")
    assert "Scenario 'four' not found" in ready.message


IMAGE = "registry.example/swe/astropy__astropy-12907:v1"  # an imported item's, never pushed


def test_an_environment_image_that_cannot_be_pulled_fails_the_run_as_infrastructure_naming_it(
    start_cluster: Start,
) -> None:
    """An imported dataset whose per-item image was never built or mirrored: the step is
    retried as an infrastructure failure (no attempt spent, no agent failure), then the
    ScenarioRun fails saying which image could not be pulled."""
    cluster = start_cluster(faults=[Fault("image_pull", pods="run-*", times=10)])
    cluster.apply(scenario("one", environment={"image": IMAGE}))
    docs = documents()
    docs[2]["spec"]["maxInfraRetries"] = 1
    cluster.apply(*docs)

    def failed() -> dict[str, Any] | None:
        runs = cluster.kube.list(SCENARIO_RUNS)
        status: dict[str, Any] = (runs[0].get("status") or {}) if runs else {}
        return status if status.get("phase") == "Failed" else None

    status = cluster.kube.wait_for("the ScenarioRun to fail", failed, timeout=60)

    message = status["message"]
    assert message.startswith("infrastructure failure in the agent step of turn 1 attempt 1")
    assert f"prepare-workspace (image {IMAGE}): ErrImagePull" in message, message
    assert not status["turns"] and status["turnAgentFailures"] == 0, "not the agent's failure"
    events = [e for e in cluster.kube.list("v1/events") if e["reason"] == "InfrastructureFailure"]
    assert events and all(IMAGE in e["message"] for e in events)


def test_a_scenario_added_while_a_run_is_in_flight_joins_the_next_run_not_this_one(
    start_cluster: Start,
) -> None:
    """A run plays the Scenarios it started with: one added mid-run (sorting first) shifts
    no index, is not played, and does not change the run's count."""
    cluster = start_cluster(isolate_ports=(8000,))
    calc = {"labels": {"suite": "calc"}}
    cluster.apply(*(_labelled(scenario(name), calc) for name in ("b", "c")))
    docs = documents()
    docs[0]["spec"]["scenarios"] = {"matchLabels": {"suite": "calc"}}
    docs[2]["spec"]["parallelism"] = 1
    cluster.apply(*docs)
    cluster.kube.wait_for("the first ScenarioRun", lambda: cluster.kube.list(SCENARIO_RUNS) or None)
    cluster.apply(_labelled(scenario("a"), calc))

    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = cluster.kube.get(BENCHMARK_RUNS, "run")
        return run if run.get("status", {}).get("phase") in ("Succeeded", "Failed") else None

    run = cluster.kube.wait_for("the run to end", ended, timeout=120)
    played = sorted(sr["spec"]["definition"]["name"] for sr in cluster.kube.list(SCENARIO_RUNS))
    assert played == ["b", "c"], f"the run played {played}, not the Scenarios it started with"
    assert run["status"]["phase"] == "Succeeded" and run["status"]["scenarios"] == ["b", "c"]
    assert (run["status"]["counts"]["total"], run["status"]["progress"]) == (2, "2/2")


def _labelled(body: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    return {**body, "metadata": {**body["metadata"], **metadata}}
