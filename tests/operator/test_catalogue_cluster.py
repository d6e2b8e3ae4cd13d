"""The public catalogue on the emulated cluster: a team's run uses a Benchmark of the
catalogue namespace (as the chart installs it), and is refused one that is not public."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from operator_manifests import agent, benchmark, benchmark_run

from cluster.enduro_cluster import (
    AGENTS,
    BENCHMARK_RUNS,
    BENCHMARKS,
    SCENARIO_RUNS,
    SCENARIOS,
    EnduroCluster,
    oracle,
    scripted_results,
)
from cluster.kubelet import Canned

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]
CATALOGUE_FILES = Path(__file__).resolve().parents[2] / "charts" / "enduro" / "catalogue"
CATALOGUE = "enduro-catalogue"
TEAM = "team-a"


def install_catalogue(cluster: EnduroCluster) -> None:
    """What the chart installs: every document of charts/enduro/catalogue/."""
    for path in sorted(CATALOGUE_FILES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            plural = {"Benchmark": BENCHMARKS, "Scenario": SCENARIOS}[doc["kind"]]
            cluster.kube.create(plural, doc, namespace=CATALOGUE)


def run_status(cluster: EnduroCluster, name: str, done: Callable[[dict[str, Any]], bool]) -> Any:
    def reached() -> dict[str, Any] | None:
        status = cluster.kube.get(BENCHMARK_RUNS, name, namespace=TEAM).get("status") or {}
        return status if done(status) else None

    return cluster.kube.wait_for(f"BenchmarkRun {TEAM}/{name}", reached, timeout=60)


def ready(status: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in status.get("conditions", []) if c["type"] == "Ready")


def test_a_team_runs_the_public_quick_benchmark_of_the_catalogue(start_cluster: Start) -> None:
    cluster = start_cluster(
        canned=Canned(scripted_results(oracle)), namespaces=("default", TEAM, CATALOGUE)
    )
    install_catalogue(cluster)
    cluster.kube.create(AGENTS, agent(), namespace=TEAM)
    run = benchmark_run(benchmark="rest-quick", parallelism=2)
    run["spec"]["benchmarkRef"]["namespace"] = CATALOGUE
    cluster.kube.create(BENCHMARK_RUNS, run, namespace=TEAM)

    status = run_status(cluster, "run", lambda s: s.get("phase") == "Succeeded")

    assert (status["progress"], status["averageScore"]) == ("2/2", 1.0)
    names = [s["metadata"]["name"] for s in cluster.kube.list(SCENARIO_RUNS, namespace=TEAM)]
    assert names == ["run-s000", "run-s001"]  # the ScenarioRuns are the team's
    assert not cluster.kube.list(SCENARIO_RUNS, namespace=CATALOGUE)


def test_a_benchmark_of_another_namespace_that_is_not_public_is_refused(
    start_cluster: Start,
) -> None:
    cluster = start_cluster(namespaces=("default", TEAM, CATALOGUE))
    cluster.kube.create(BENCHMARKS, benchmark("private"), namespace=CATALOGUE)
    cluster.kube.create(AGENTS, agent(), namespace=TEAM)
    run = benchmark_run(benchmark="private")
    run["spec"]["benchmarkRef"]["namespace"] = CATALOGUE
    cluster.kube.create(BENCHMARK_RUNS, run, namespace=TEAM)

    status = run_status(cluster, "run", lambda s: bool(s.get("conditions")))

    condition = ready(status)
    assert (condition["status"], condition["reason"]) == ("False", "BenchmarkNotPublic")
    assert (
        "Benchmark 'private' in namespace 'enduro-catalogue' is not public"
        in (condition["message"])
    )
    assert "kubectl label benchmark -n enduro-catalogue private" in condition["message"]
    assert not cluster.kube.list(SCENARIO_RUNS, namespace=TEAM)
