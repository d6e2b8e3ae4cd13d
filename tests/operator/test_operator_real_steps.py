"""The operator on the emulated cluster with pods that really run Enduro's commands:
`enduro prepare-workspace`, `enduro agent` (baseline agents), the agent's server as a
native sidecar and `enduro test-runner`, on a workspace PVC mapped to a local folder.
This is a user's session on a cluster, minus the containers."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from flaky_seeds import flaky_seed
from operator_manifests import agent, benchmark, benchmark_run

from cluster.enduro_cluster import PODS, SCENARIO_RUNS, EnduroCluster

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

Start = Callable[..., EnduroCluster]
TIMEOUTS = {"agentSeconds": 60, "testSeconds": 60, "serverStartSeconds": 20}


def turns(cluster: EnduroCluster, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cluster.kube.get(SCENARIO_RUNS, name)["status"]["turns"]
    return found


def claim_folder(cluster: EnduroCluster, scenario_run: str) -> pathlib.Path:
    return cluster.workdir / "node" / "pvc" / "default" / f"{scenario_run}-workspace"


def test_the_oracle_passes_every_turn_of_two_scenarios(start_cluster: Start) -> None:
    cluster = start_cluster(isolate_ports=(8000,))
    cluster.apply(
        benchmark(scenarios=2, turns=3),
        agent(),
        benchmark_run(parallelism=2, timeouts=TIMEOUTS),
    )

    run = cluster.wait_for_run("run", timeout=240)

    assert run["status"]["averageScore"] == 1.0, run["status"]
    for name in ("run-s000", "run-s001"):
        assert [(t["turn"], t["passedTurn"]) for t in turns(cluster, name)] == [
            (1, True),
            (2, True),
            (3, True),
        ]
        artifacts = claim_folder(cluster, name) / "artifacts"
        assert (artifacts / "test_results" / "turn_003_attempt_1.json").exists()
        assert (claim_folder(cluster, name) / "workspace" / "SPEC.md").exists()
    assert len(cluster.kube.list(PODS)) == 2 * 3 * 2


def test_the_null_agent_scores_zero(start_cluster: Start) -> None:
    cluster = start_cluster(isolate_ports=(8000,))
    cluster.apply(
        benchmark(scenarios=1, turns=1),
        agent("null", "null"),
        benchmark_run(agent="null", attemptLimit=1, timeouts=TIMEOUTS),
    )

    run = cluster.wait_for_run("run", timeout=120)

    assert run["status"]["averageScore"] == 0.0
    [turn] = turns(cluster, "run-s000")
    assert turn["passedTurn"] is False and turn["total"] > 0


def test_a_flaky_agent_gets_feedback_and_recovers_on_its_retry(start_cluster: Start) -> None:
    cluster = start_cluster(isolate_ports=(8000,))
    flaky = agent("flaky", "flaky", baseline={"breakProbability": 0.5, "seed": flaky_seed()})
    cluster.apply(
        benchmark(scenarios=1, turns=1),
        flaky,
        benchmark_run(agent="flaky", attemptLimit=2, timeouts=TIMEOUTS),
    )

    cluster.wait_for_run("run", timeout=180)

    [turn] = turns(cluster, "run-s000")
    assert (turn["attempts"], turn["passedTurn"]) == (2, True)
    workspace = claim_folder(cluster, "run-s000") / "workspace"
    assert (workspace / "FEEDBACK.md").exists()


# A hostile agent in its pod: whatever its parents were told, it wants the generator's seed.
LOOK_FOR_THE_GENERATOR = """
cd "$ENDURO_WORKSPACE"
for pid in $PPID 1; do tr '\\0' ' ' < /proc/$pid/cmdline; echo; done > seen.txt 2>/dev/null
env >> seen.txt
exit 0
"""


def test_an_agent_pod_is_never_told_the_generator(start_cluster: Start) -> None:
    cluster = start_cluster(isolate_ports=(8000,))
    cluster.apply(
        benchmark(scenarios=1, turns=1),
        agent("mine", "command", command=["sh", "-c", LOOK_FOR_THE_GENERATOR]),
        benchmark_run(agent="mine", attemptLimit=1, timeouts=TIMEOUTS),
    )

    run = cluster.wait_for_run("run", timeout=120)

    assert run["status"]["averageScore"] == 0.0
    seen = (claim_folder(cluster, "run-s000") / "workspace" / "seen.txt").read_text()
    assert "enduro agent --context" in seen  # it did read its parent's command line
    assert '"generator"' not in seen and '"seed"' not in seen
