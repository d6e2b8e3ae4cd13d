"""The public catalogue on the emulated cluster: a team's run uses a Benchmark of the
catalogue namespace (as the chart installs it), and is refused one that is not public."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from operator_manifests import agent, benchmark, benchmark_run

from cluster.cluster import ApiError
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


def test_in_namespaced_scope_a_team_runs_a_catalogue_benchmark(start_cluster: Start) -> None:
    """The operator serves what the chart tells it to in namespaced scope (the team's
    namespace, and the catalogue's to read), not every namespace of the cluster."""
    from chart.chartkit import by_kind, helm_template

    docs = helm_template(
        "--set", "operator.scope=namespaced", "--set", f"operator.watchNamespaces={{{TEAM}}}"
    )  # fmt: skip
    [deployment] = by_kind(docs, "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    served = tuple(a.removeprefix("--namespace=") for a in args if a.startswith("--namespace="))
    assert served == (TEAM, CATALOGUE)
    cluster = start_cluster(
        canned=Canned(scripted_results(oracle)),
        namespaces=("default", TEAM, CATALOGUE),
        watch=served,
    )
    install_catalogue(cluster)
    cluster.kube.create(AGENTS, agent(), namespace=TEAM)
    run = benchmark_run(benchmark="rest-quick", parallelism=2)
    run["spec"]["benchmarkRef"]["namespace"] = CATALOGUE
    cluster.kube.create(BENCHMARK_RUNS, run, namespace=TEAM)

    status = run_status(cluster, "run", lambda s: s.get("phase") == "Succeeded")

    assert (status["progress"], status["averageScore"]) == ("2/2", 1.0)


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


def test_benchmarks_list_public_shows_the_catalogue_as_kubectl_does(
    start_cluster: Start, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from enduro.cli import app
    from enduro.devtools import kubebins

    cluster = start_cluster(namespaces=("default", TEAM, CATALOGUE))
    install_catalogue(cluster)
    cluster.kube.create(BENCHMARKS, benchmark("private"), namespace=TEAM)
    # The operator counts the explicit benchmark's Scenarios (status.scenarioCount).
    cluster.kube.wait_for(
        "stockroom's scenarioCount",
        lambda: (cluster.kube.get(BENCHMARKS, "stockroom", namespace=CATALOGUE).get("status") or {})
        .get("scenarioCount"),
    )  # fmt: skip
    config = str(cluster.cluster.kubeconfig)

    listed = CliRunner().invoke(
        app, ["benchmarks", "list", "--public", "--limit", "2", "--kubeconfig", config]
    )

    assert listed.exit_code == 0, listed.output
    assert [line.split() for line in listed.output.splitlines()] == [
        ["NAMESPACE", "NAME", "KIND", "SCENARIOS", "TURNS", "PUBLIC"],
        [CATALOGUE, "rest-quick", "generated", "2", "5", "yes"],
        [CATALOGUE, "staminabench", "generated", "20", "100", "yes"],
        [CATALOGUE, "staminabench-no-feedback", "generated", "20", "100", "yes"],
        [CATALOGUE, "stockroom", "explicit", "9", "-", "yes"],
    ]
    team = CliRunner().invoke(app, ["benchmarks", "list", "-n", TEAM, "--kubeconfig", config])
    assert team.output.splitlines()[1].split() == [TEAM, "private", "generated", "2", "3", "no"]
    assert len(team.output.splitlines()) == 2

    kubectl = subprocess.run(
        [str(kubebins.kubectl()), "get", "bm", "-A", "-l", "enduro.dev/public=true",
         "-o", "custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name", "--no-headers"],
        capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "KUBECONFIG": config, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert [line.split() for line in kubectl.stdout.splitlines()] == [
        row[:2] for row in [line.split() for line in listed.output.splitlines()][1:]
    ]


def test_the_scenarios_of_a_catalogue_benchmark_are_read_in_its_namespace(
    start_cluster: Start,
) -> None:
    cluster = start_cluster(namespaces=("default", TEAM, CATALOGUE))
    install_catalogue(cluster)
    run = benchmark_run(benchmark="stockroom")
    del run["spec"]["agentRef"]
    run["spec"] |= {"agent": {"external": True}}
    run["spec"]["benchmarkRef"]["namespace"] = CATALOGUE
    cluster.kube.create(BENCHMARK_RUNS, run, namespace=TEAM)

    stockroom = yaml.safe_load_all((CATALOGUE_FILES / "stockroom.yaml").read_text())
    names = sorted(d["metadata"]["name"] for d in stockroom if d["kind"] == "Scenario")
    assert len(names) == 9
    # The run may be planned before the operator has seen every catalogue Scenario
    # arrive; their arrival in the other namespace wakes it, well before its next poll.
    run_status(cluster, "run", lambda s: sorted(s.get("pendingScenarios") or []) == names)


def test_the_api_server_refuses_a_namespace_that_is_no_dns_label(start_cluster: Start) -> None:
    cluster = start_cluster(operator=False)
    run = benchmark_run(benchmark="rest-quick")
    run["spec"]["benchmarkRef"]["namespace"] = "Enduro_Catalogue"
    with pytest.raises(ApiError, match=r"spec\.benchmarkRef\.namespace"):
        cluster.kube.create(BENCHMARK_RUNS, run)
