"""The operator on the emulated cluster, with pods completed by the canned executor:
the control loop (fan-out, turns, attempts, retries, restarts, deletion) without the
cost of running agents. Each test reads like a user's session: apply, wait, look."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from operator_manifests import agent, benchmark, benchmark_run

from cluster.cluster import ApiError
from cluster.enduro_cluster import (
    BENCHMARK_RUNS,
    PODS,
    PVCS,
    SCENARIO_RUNS,
    EnduroCluster,
    oracle,
    scripted_results,
)
from cluster.kubelet import Canned, ContainerResult, Fault
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.operator import scenarioruns

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]


def pod_names(cluster: EnduroCluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in cluster.kube.list(PODS))


def scenario(cluster: EnduroCluster, name: str) -> dict[str, Any]:
    status: dict[str, Any] = cluster.kube.get(SCENARIO_RUNS, name)["status"]
    return status


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(c for c in obj.get("status", {}).get("conditions", []) if c["type"] == type_)


def test_the_oracle_scores_one_with_one_pod_per_step(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run(parallelism=2))

    run = cluster.wait_for_run("run")

    assert run["status"]["averageScore"] == 1.0
    assert run["status"]["successRate"] == 1.0
    assert run["status"]["progress"] == "2/2"
    assert condition(run, "Succeeded")["status"] == "True"
    for name in ("run-s000", "run-s001"):
        status = scenario(cluster, name)
        assert status["phase"] == "Succeeded" and status["score"] == 1.0
        assert [(t["turn"], t["attempts"], t["passedTurn"]) for t in status["turns"]] == [
            (1, 1, True),
            (2, 1, True),
            (3, 1, True),
        ]
        assert status["observedGeneration"] == 1
        assert status["artifactsRef"] == f"pvc://{name}-workspace/artifacts"
        # A turn's summary holds only what it has: 100 turns x 10 attempts fit 32 KiB.
        assert all(None not in summary.values() for summary in status["turns"])
    # Exactly the steps run: 2 scenarios x 3 turns x (agent + test), each started once.
    assert len(pod_names(cluster)) == 12
    assert sorted(cluster.executor.started) == pod_names(cluster)
    assert "run-s000-t002-a1-agent" in pod_names(cluster)
    assert len(cluster.kube.list(PVCS)) == 2


def test_the_null_agent_scores_zero_and_spends_every_attempt(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(lambda s, t, a: (0, 5))))
    cluster.apply(
        benchmark(scenarios=1, turns=2),
        agent("null", "null"),
        benchmark_run(agent="null", attemptLimit=2),
    )

    run = cluster.wait_for_run("run")

    assert run["status"]["averageScore"] == 0.0 and run["status"]["successRate"] == 0.0
    status = scenario(cluster, "run-s000")
    assert [(t["attempts"], t["passedTurn"], t["score"]) for t in status["turns"]] == [
        (2, False, 0.0),
        (2, False, 0.0),
    ]
    assert status["stamina"] == 0
    assert len(pod_names(cluster)) == 2 * 2 * 2  # turns x attempts x steps


def test_a_flaky_agent_passes_on_its_retry(start_cluster: Start) -> None:
    # The first attempt of turn 2 fails 3 tests; the retry passes them all.
    def flaky(scenario: int, turn: int, attempt: int) -> tuple[int, int]:
        return (2, 5) if (turn, attempt) == (2, 1) else (5, 5)

    cluster = start_cluster(canned=Canned(scripted_results(flaky)))
    cluster.apply(benchmark(scenarios=1, turns=3), agent(), benchmark_run(attemptLimit=3))

    run = cluster.wait_for_run("run")

    status = scenario(cluster, "run-s000")
    assert [t["attempts"] for t in status["turns"]] == [1, 2, 1]
    assert run["status"]["averageScore"] == 1.0
    assert "run-s000-t002-a2-agent" in pod_names(cluster)


def test_infrastructure_failures_retry_the_step_without_spending_an_attempt(
    start_cluster: Start,
) -> None:
    faults = [
        Fault("evict", pods="run-s000-t001-a1-test"),
        Fault("image_pull", pods="run-s000-t002-a1-agent"),
    ]
    cluster = start_cluster(canned=Canned(scripted_results(oracle), delay=0.2), faults=faults)
    cluster.apply(benchmark(scenarios=1, turns=2), agent(), benchmark_run(attemptLimit=1))

    run = cluster.wait_for_run("run")

    assert run["status"]["averageScore"] == 1.0
    status = scenario(cluster, "run-s000")
    assert [t["attempts"] for t in status["turns"]] == [1, 1]
    names = pod_names(cluster)
    assert "run-s000-t001-a1-test-r1" in names and "run-s000-t002-a1-agent-r1" in names
    reasons = [e["reason"] for e in cluster.kube.list("v1/events")]
    assert reasons.count("InfrastructureFailure") == 2


def test_infrastructure_retries_are_bounded(start_cluster: Start) -> None:
    cluster = start_cluster(
        canned=Canned(scripted_results(oracle)),
        faults=[Fault("image_pull", pods="run-s000-t001-a1-agent*", times=10)],
    )
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(maxInfraRetries=1))

    run = cluster.wait_for_run("run", phase="Failed")

    status = scenario(cluster, "run-s000")
    assert status["phase"] == "Failed" and "ErrImagePull" in status["message"]
    assert condition(run, "Succeeded")["status"] == "False"


def test_an_agent_that_crashes_is_scored_and_spends_the_attempt(start_cluster: Start) -> None:
    def results(pod: dict[str, Any]) -> dict[str, ContainerResult]:
        if pod["metadata"]["labels"]["enduro.dev/role"] == "agent":
            outcome = {"exitCode": 3, "failure": "agent", "reason": "harness crashed"}
            return {"agent": ContainerResult(0, json.dumps(outcome))}
        return {"test-runner": ContainerResult(0, json.dumps({"passed": 1, "total": 4}))}

    cluster = start_cluster(canned=Canned(results))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(attemptLimit=1))

    cluster.wait_for_run("run")

    [turn] = scenario(cluster, "run-s000")["turns"]
    assert (turn["score"], turn["attempts"]) == (0.25, 1)
    assert "harness crashed" in turn["reason"]


def test_parallelism_one_runs_scenarios_one_after_the_other(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=2, turns=2), agent(), benchmark_run(parallelism=1))

    cluster.wait_for_run("run")

    order = [name[: len("run-s000")] for name in cluster.executor.started]
    assert order == ["run-s000"] * 4 + ["run-s001"] * 4


def test_a_run_waits_for_its_references_and_says_why(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark_run())

    def not_found() -> dict[str, Any] | None:
        run = cluster.kube.get(BENCHMARK_RUNS, "run")
        conditions = run.get("status", {}).get("conditions", [])
        return next((c for c in conditions if c["reason"] == "BenchmarkNotFound"), None)

    ready = cluster.kube.wait_for("Ready=False BenchmarkNotFound", not_found)
    assert ready["status"] == "False" and "spec.benchmarkRef.name" in ready["message"]
    assert cluster.kube.list(SCENARIO_RUNS) == []

    cluster.apply(benchmark(scenarios=1, turns=1), agent())
    run = cluster.wait_for_run("run")
    assert condition(run, "Ready")["status"] == "True"


def test_an_invalid_run_is_reported_and_other_runs_keep_going(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=1), agent())
    cluster.apply_unvalidated(benchmark_run("broken", parallelism=0))  # the CRD rejects it
    cluster.apply(benchmark_run("fine"))

    cluster.wait_for_run("fine")

    broken = cluster.kube.get(BENCHMARK_RUNS, "broken")
    ready = condition(broken, "Ready")
    assert ready["reason"] == "InvalidSpec" and "spec.parallelism" in ready["message"]


def test_suspend_holds_new_scenarios_until_resumed(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run(suspend=True))
    cluster.wait_for_run("run", phase="Suspended")
    assert cluster.kube.list(SCENARIO_RUNS) == []

    cluster.kube.patch(BENCHMARK_RUNS, "run", {"spec": {"suspend": False}})

    assert cluster.wait_for_run("run")["status"]["averageScore"] == 1.0


def test_cancel_stops_the_run_and_deletes_running_pods(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle), delay=30))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run())
    cluster.kube.wait_for("two running pods", lambda: len(cluster.kube.list(PODS)) == 2)

    cluster.kube.patch(BENCHMARK_RUNS, "run", {"spec": {"cancel": True}})

    run = cluster.wait_for_run("run", phase="Canceled")
    assert condition(run, "Succeeded")["status"] == "False"
    for name in ("run-s000", "run-s001"):
        cluster.kube.wait_for(
            f"{name} to be canceled", lambda n=name: scenario(cluster, n)["phase"] == "Canceled"
        )
    cluster.kube.wait_for("the running pods to be deleted", lambda: not cluster.kube.list(PODS))


def test_restarting_the_operator_mid_run_gives_the_same_results_without_twins(
    start_cluster: Start,
) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle), delay=0.3))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run())
    cluster.kube.wait_for("the second turn", lambda: len(cluster.kube.list(PODS)) >= 5)

    cluster.stop_operator()
    cluster.start_operator()

    run = cluster.wait_for_run("run")
    assert run["status"]["averageScore"] == 1.0
    names = pod_names(cluster)
    assert len(names) == 12
    assert sorted(cluster.executor.started) == names  # no step ran twice


class SlowFirstTest(Canned):
    """The first turn's test step takes `seconds`; every other step is instant."""

    seconds: float = 3.0

    def duration(self, pod: Any) -> float | None:
        slow = pod["metadata"]["name"].endswith("-t001-a1-test")
        return self.seconds if slow else 0.0


def test_an_agent_step_is_not_run_again_after_a_restart_even_if_its_pod_is_gone(
    start_cluster: Start,
) -> None:
    """The status is not written between an attempt's agent step and its test step: the
    test pod records the agent's end. An operator restarted in between reads it there,
    even with the agent's pod deleted, and runs neither step again."""
    cluster = start_cluster(canned=SlowFirstTest(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=1, turns=2), agent(), benchmark_run())
    cluster.kube.wait_for(
        "the first test pod", lambda: "run-s000-t001-a1-test" in pod_names(cluster)
    )
    assert scenario(cluster, "run-s000")["step"] == "agent"  # nothing written in between

    cluster.stop_operator()
    cluster.kube.delete(PODS, "run-s000-t001-a1-agent")
    cluster.start_operator()

    run = cluster.wait_for_run("run")
    assert run["status"]["averageScore"] == 1.0
    assert cluster.executor.started.count("run-s000-t001-a1-agent") == 1
    assert cluster.executor.started.count("run-s000-t001-a1-test") == 1
    assert scenario(cluster, "run-s000")["usage"]["agentSteps"] == 2  # its outcome counted


def test_deleting_a_run_mid_way_removes_everything_it_created(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle), delay=0.5))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run())
    cluster.kube.wait_for("pods to run", lambda: len(cluster.kube.list(PODS)) >= 2)

    cluster.kube.delete(BENCHMARK_RUNS, "run")

    def everything_gone() -> bool:
        return not (
            cluster.kube.list(SCENARIO_RUNS) or cluster.kube.list(PODS) or cluster.kube.list(PVCS)
        )

    cluster.kube.wait_for("ScenarioRuns, pods and PVCs to be gone", everything_gone)
    with pytest.raises(ApiError):
        cluster.kube.get(BENCHMARK_RUNS, "run")


def scenario_run(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "ScenarioRun",
        "metadata": {"name": name},
        "spec": {
            "generator": {"seed": 1, "scenarios": 1, "turns": 2},
            "scenario": 0,
            "agent": {"harness": "oracle"},
            **spec,
        },
    }


def test_a_scenario_run_created_alone_runs_to_the_end(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(scenario_run("solo-s000"))

    def ended() -> dict[str, Any] | None:
        status = cluster.kube.get(SCENARIO_RUNS, "solo-s000").get("status", {})
        return status if status.get("phase") == "Succeeded" else None

    status = cluster.kube.wait_for("the ScenarioRun to succeed", ended)
    assert status["score"] == 1.0 and status["progress"] == "2/2"
    assert len(pod_names(cluster)) == 4


def test_an_invalid_scenario_run_says_why_and_runs_nothing(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply_unvalidated(scenario_run("bad-s000", scenario=5))  # the CRD's CEL rule rejects it
    cluster.apply(scenario_run("good-s000"))

    def reported() -> dict[str, Any] | None:
        conditions = cluster.kube.get(SCENARIO_RUNS, "bad-s000").get("status", {}).get("conditions")
        return next((c for c in conditions or [] if c["reason"] == "InvalidSpec"), None)

    ready = cluster.kube.wait_for("Ready=False InvalidSpec", reported)
    assert ready["status"] == "False" and "out of range" in ready["message"]
    cluster.kube.wait_for(
        "the valid ScenarioRun to succeed",
        lambda: (
            cluster.kube.get(SCENARIO_RUNS, "good-s000").get("status", {}).get("phase")
            == "Succeeded"
        ),
    )
    assert not [n for n in pod_names(cluster) if n.startswith("bad-s000-")]


def test_a_pod_unschedulable_for_too_long_is_retried(
    start_cluster: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENDURO_UNSCHEDULABLE_SECONDS", "0.5")
    cluster = start_cluster(
        canned=Canned(scripted_results(oracle)),
        faults=[Fault("unschedulable", pods="run-s000-t001-a1-agent")],
    )
    cluster.apply(benchmark(scenarios=1, turns=1), agent(), benchmark_run())

    run = cluster.wait_for_run("run")

    assert run["status"]["averageScore"] == 1.0
    assert "run-s000-t001-a1-agent-r1" in pod_names(cluster)
    assert [t["attempts"] for t in scenario(cluster, "run-s000")["turns"]] == [1]


def test_each_scenario_run_is_written_once_per_attempt_and_never_by_kopf(
    start_cluster: Start,
) -> None:
    """The writes a scenario costs: its status once when it starts and once per attempt,
    when its test step ends (before the next pod): the test pod, not the status, records
    how the agent step before it ended. kopf's finalizer and its diff-base annotation
    come with the ScenarioRun, not as patches of their own."""
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run(parallelism=2))

    run = cluster.wait_for_run("run")

    assert run["status"]["averageScore"] == 1.0
    counts = cluster.cluster.call(lambda: dict(cluster.cluster.emulator.counts))
    assert counts.get(("kopf", "patch", "scenarioruns"), 0) == 0
    assert counts.get(("enduro-operator", "patch", "scenarioruns/status"), 0) == 2 * (1 + 3)
    for name in ("run-s000", "run-s001"):
        assert cluster.kube.get(SCENARIO_RUNS, name)["metadata"]["finalizers"] == [
            "enduro.dev/finalizer"
        ]


def test_a_scenario_run_s_spec_is_parsed_once_per_generation(
    start_cluster: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its driver looks at the spec on every wake-up (several per step); parsing it each
    time was a large part of the operator's CPU per step."""
    parsed: list[Any] = []
    validate = ScenarioRunSpec.model_validate

    def counting(obj: Any, **options: Any) -> ScenarioRunSpec:
        parsed.append(obj)
        return validate(obj, **options)

    monkeypatch.setattr(ScenarioRunSpec, "model_validate", counting)
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run(parallelism=2))

    assert cluster.wait_for_run("run")["status"]["averageScore"] == 1.0
    assert len(parsed) == 2  # one per ScenarioRun, its generation 1


def test_each_step_is_built_once(start_cluster: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step's pod events each ask for its time limit; the step is built once, for its
    pod, and that is reused."""
    built: list[str] = []
    build = scenarioruns.build_step

    def counting(name: str, spec: Any, step: Any, **options: Any) -> Any:
        built.append(f"{name} {step}")
        return build(name, spec, step, **options)

    monkeypatch.setattr(scenarioruns, "build_step", counting)
    cluster = start_cluster(canned=Canned(scripted_results(oracle)))
    cluster.apply(benchmark(scenarios=2, turns=3), agent(), benchmark_run(parallelism=2))

    assert cluster.wait_for_run("run")["status"]["averageScore"] == 1.0
    assert len(built) == len(pod_names(cluster)) == 12
