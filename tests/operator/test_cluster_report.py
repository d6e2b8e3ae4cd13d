"""`enduro report br/NAME`: a cluster run's report.json, report.md and plots, read
through the Kubernetes API, with the scores the run's status shows."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import pytest
from operator_manifests import agent, benchmark, benchmark_run
from typer.testing import CliRunner

from cluster.enduro_cluster import EnduroCluster, scripted_results
from cluster.kubelet import Canned
from enduro.cli import app

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]


def half_on_turn_two(scenario: int, turn: int, attempt: int) -> tuple[int, int]:
    return (2, 4) if turn == 2 else (4, 4)


def test_enduro_report_reads_a_cluster_run(
    start_cluster: Start, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(half_on_turn_two)))
    cluster.apply(benchmark(scenarios=2, turns=2), agent(), benchmark_run(attemptLimit=1))
    run = cluster.wait_for_run("run")
    monkeypatch.setenv("KUBECONFIG", str(cluster.cluster.kubeconfig))
    out = tmp_path / "report"

    result = CliRunner().invoke(app, ["report", "br/run", "-n", "default", "--out", str(out)])

    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    status = run["status"]
    assert report["average_score"] == status["averageScore"] == 0.75
    assert report["mean_stamina"] == status["meanStamina"] == 1.0
    assert (report["benchmark_run"], report["agent"], report["harness"]) == (
        "run",
        "oracle",
        "oracle",
    )
    assert [r["scenario"] for r in report["results"]] == [0, 1]
    assert [t["passed"] for t in report["results"][0]["turns"]] == [4, 2]
    assert report["isolation"] == "pod" and report["tamper_proof"] is True
    assert (out / "report.md").exists() and list(out.glob("*.png"))


def test_a_missing_cluster_run_exits_2_naming_it(
    start_cluster: Start, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    cluster = start_cluster(canned=Canned(scripted_results(half_on_turn_two)), operator=False)
    monkeypatch.setenv("KUBECONFIG", str(cluster.cluster.kubeconfig))
    result = CliRunner().invoke(app, ["report", "br/nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no BenchmarkRun 'nope' in namespace 'default'" in result.output


def test_a_cluster_report_of_explicit_scenarios_counts_each_scenario_s_turns() -> None:
    from enduro.reports.cluster import report_from_objects

    def scenario_run(index: int, turns: int, passed: int) -> dict[str, object]:
        contract = {
            "functions": [{"name": "f", "weight": 1, "scorer": {"command": {"command": "x"}}}]
        }
        statement = {"problemStatement": "Do it."}
        spec: dict[str, object] = {"inputContext": statement, "scoringContract": contract}
        if turns > 1:
            spec = {
                "inputContext": statement,
                "turns": [{"inputContext": statement, "scoringContract": contract}] * turns,
            }
        definition = {"name": f"s{index}", "spec": spec}
        return {
            "metadata": {"labels": {"enduro.dev/scenario": str(index)}},
            "spec": {"agent": {"harness": "oracle"}, "definition": definition},
            "status": {"phase": "Succeeded", "score": 1.0, "turnsPassed": passed},
        }

    run = {
        "metadata": {"name": "r"},
        "spec": {"agentRef": {"name": "a"}, "benchmarkRef": {"name": "b"}},
    }
    report = report_from_objects(run, [scenario_run(0, 1, 1), scenario_run(1, 3, 2)])
    # The one-turn scenario passed every turn; the three-turn one did not.
    assert (report.n_turns, report.success_rate) == (3, 0.5)
