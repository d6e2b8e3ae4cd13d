"""After a run on the emulated cluster, the operator's /metrics tells what the status
tells: scraped over HTTP and parsed with prometheus-client's own text parser."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
import requests
from operator_manifests import agent, benchmark, benchmark_run
from prometheus_client.parser import text_string_to_metric_families

from cluster.enduro_cluster import BENCHMARK_RUNS, EnduroCluster, scripted_results
from cluster.kubelet import Canned, Fault
from enduro.operator import metrics

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]
RUN = {"namespace": "default", "benchmark": "metrics-bench", "agent": "metrics-agent"}


def scrape() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = metrics.serve(port, "127.0.0.1")
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
        server.server_close()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


def test_metrics_after_an_emulated_run_match_its_status(start_cluster: Start) -> None:
    # Turn 2 fails its first attempt and passes its retry; one test pod is evicted.
    def flaky(scenario: int, turn: int, attempt: int) -> tuple[int, int]:
        return (2, 5) if (turn, attempt) == (2, 1) else (5, 5)

    before = scrape()
    cluster = start_cluster(
        canned=Canned(scripted_results(flaky), delay=0.2),
        faults=[Fault("evict", pods="metrics-run-s000-t001-a1-test")],
    )
    cluster.apply(
        benchmark("metrics-bench", scenarios=1, turns=3),
        agent("metrics-agent"),
        benchmark_run("metrics-run", "metrics-bench", "metrics-agent", attemptLimit=3),
    )
    cluster.wait_for_run("metrics-run")

    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "enduro_turns_completed_total", **RUN, outcome="passed") == 3
    assert value(after, "enduro_turns_completed_total", **RUN, outcome="failed") == 0
    assert value(after, "enduro_attempts_total", **RUN) == 4
    assert value(after, "enduro_turn_score_count", **RUN) == 3
    assert value(after, "enduro_scenario_stamina_turns_count", **RUN) == 1
    assert value(after, "enduro_scenario_stamina_turns_sum", **RUN) == 3
    assert value(after, "enduro_step_duration_seconds_count", **RUN, stage="agent") == 4
    assert delta("enduro_infrastructure_retries_total", stage="test", reason="Evicted") == 1
    # 4 agent pods, 4 test pods, and the re-run of the evicted test pod.
    assert delta("enduro_pods_created_total", namespace="default") == 9
    assert value(after, "enduro_scenario_runs", **RUN, phase="Succeeded") == 1
    assert value(after, "enduro_reconcile_duration_seconds_count", kind="ScenarioRun") > 0

    # A deleted ScenarioRun leaves the gauge: its last event, which kopf does not index,
    # has a handler of its own.
    cluster.kube.delete(BENCHMARK_RUNS, "metrics-run")
    cluster.kube.wait_for(
        "the deleted ScenarioRun to leave enduro_scenario_runs",
        lambda: value(scrape(), "enduro_scenario_runs", **RUN) == 0,
        timeout=30,
        interval=0.3,
    )
