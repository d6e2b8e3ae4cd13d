"""Bring-your-own-agent runs on the emulated cluster, driven the way a user's script drives
them: through the async client (`enduro.client`), with the operator running. Scoring
pods are canned (the scoring step itself is tested where it is built); environments run
until the operator deletes them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from operator_manifests import API, benchmark
from test_operator_metrics import scrape, value

from cluster.enduro_cluster import BENCHMARKS, PODS, SCENARIO_RUNS, EnduroCluster, labels_of
from cluster.kubelet import Canned, ContainerResult
from enduro.client import AsyncEnduro, Enduro, EnduroError, RunEndedError

pytestmark = pytest.mark.e2e

Start = Callable[..., EnduroCluster]
SCENARIOS = "enduro.dev/v1alpha1/scenarios"
EXAMPLE = Path(__file__).parents[2] / "examples" / "explicit-quickstart.yaml"
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
        summary = {
            "passed": passed,
            "failed": 1 - passed,
            "total": 1,
            "contractScore": score,
            "functionScores": {"tests": score},
        }
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


async def freed(cluster: EnduroCluster) -> None:
    """Nothing of the run runs: the operator deletes its pods right after the status
    says it ended."""

    async def pods() -> list[str]:
        return running_pods(cluster)

    await wait_until(pods, [])


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
    assert scored.status.function_scores == {"tests": 0.75}
    assert scored.environment_ready  # the environment stays up until complete
    scorer = cluster.kube.get(PODS, "mine-t001-a1-test")
    workspace = next(
        m for m in scorer["spec"]["containers"][0]["volumeMounts"] if m["mountPath"] == "/workspace"
    )
    assert workspace["readOnly"] is True
    assert running_pods(cluster) == ["mine-t001-env"]

    done = await enduro.scenario_runs.complete("mine", timeout=30)
    assert (done.state, done.score, done.environment_ready) == ("Completed", 0.75, False)
    await freed(cluster)
    succeeded = next(c for c in done.status.conditions if c.type == "Succeeded")
    assert succeeded.status == "True"


async def test_a_multi_turn_run_shows_the_next_turn_after_each_score(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    before = scrape()
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0 if turn == 1 else 0.5))
    cluster.kube.create(SCENARIOS, scenario("two-steps", turns=2))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("two-steps", run_name="steps")
    await enduro.scenario_runs.await_environment_ready("steps", timeout=30)

    after_one = await enduro.scenario_runs.score_and_await("steps", timeout=30)
    assert (after_one.state, after_one.turn) == ("Running", 2)
    ready = await enduro.scenario_runs.await_environment_ready("steps", timeout=30)
    assert ready.turn == 2

    async def pods() -> list[str]:
        return running_pods(cluster)

    await wait_until(pods, ["steps-t002-env"])  # turn 1's environment is freed

    done = await enduro.scenario_runs.score_and_complete("steps", timeout=30)
    assert (done.state, done.score) == ("Completed", 0.75)
    assert [t.score for t in done.status.turns] == [1.0, 0.5]
    after = scrape()  # the metrics say what the status says, as for agent-driven runs

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("enduro_turns_completed_total", outcome="passed") == 1
    assert delta("enduro_turns_completed_total", outcome="failed") == 1
    assert delta("enduro_step_duration_seconds_count", stage="test") == 2
    assert delta("enduro_pods_created_total", stage="environment") == 2


async def test_cancel_frees_the_environment_and_waiting_on_it_says_so(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("fix-parser", run_name="gone")
    await enduro.scenario_runs.await_environment_ready("gone", timeout=30)

    canceled = await enduro.scenario_runs.cancel("gone", timeout=30)
    assert canceled.state == "Canceled"
    await freed(cluster)
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
    await freed(cluster)


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


def explicit_benchmark(name: str, scenarios: list[str], public: bool = False) -> dict[str, Any]:
    labels = {"enduro.dev/public": "true"} if public else {}
    return {
        "apiVersion": API,
        "kind": "Benchmark",
        "metadata": {"name": name, "labels": labels},
        "spec": {"scenarios": {"names": scenarios}},
    }


async def test_benchmarks_list_in_pages_and_by_public_label(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(operator=False)
    for i in range(5):
        cluster.kube.create(BENCHMARKS, explicit_benchmark(f"b{i}", ["x"], public=i % 2 == 0))
    enduro = await enduro_on(cluster)

    first = await enduro.benchmarks.list(limit=2)
    assert [b.name for b in first.items] == ["b0", "b1"] and first.has_more
    second = await enduro.benchmarks.list(limit=2, cursor=first.next_cursor)
    third = await enduro.benchmarks.list(limit=2, cursor=second.next_cursor)
    assert [b.name for b in [*second.items, *third.items]] == ["b2", "b3", "b4"]
    assert not third.has_more
    public = await enduro.benchmarks.list(public=True)
    assert [(b.name, b.public) for b in public.items] == [("b0", True), ("b2", True), ("b4", True)]


async def test_a_benchmark_run_lists_pending_scenarios_and_completes_when_all_are(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0 if run.endswith("s000") else 0.5))
    for name in ("alpha", "beta"):
        cluster.kube.create(SCENARIOS, scenario(name))
    cluster.kube.create(BENCHMARKS, explicit_benchmark("fixes", ["alpha", "beta"]))
    enduro = await enduro_on(cluster)

    run = await enduro.benchmarks.start_run("fixes", run_name="byo")
    assert run.spec.external and run.pending_scenarios == ["alpha", "beta"]
    for name in ["alpha", "beta"]:
        sr = await enduro.scenarios.start_run(name, benchmark_run="byo")
        await enduro.scenario_runs.await_environment_ready(sr.name, timeout=30)
        done = await enduro.scenario_runs.score_and_complete(sr.name, timeout=30)
        assert done.state == "Completed"
    assert sr.name == "byo-s001" and sr.spec.benchmark_run == "byo"
    with pytest.raises(EnduroError, match="409"):
        await enduro.scenarios.start_run("alpha", benchmark_run="byo")
    await enduro.benchmarks.start_run("fixes", run_name="theirs", agent="oracle")
    with pytest.raises(EnduroError, match="BenchmarkRun theirs runs an Agent"):
        await enduro.scenarios.start_run("alpha", benchmark_run="theirs")

    ended = await enduro.benchmark_runs.await_completed("byo", timeout=30)
    assert (ended.state, ended.score, ended.pending_scenarios) == ("Succeeded", 0.75, [])
    assert (ended.status.counts.succeeded, ended.status.success_rate) == (2, 0.5)
    page = await enduro.benchmark_runs.list_scenario_runs("byo", limit=1)
    rest = await enduro.benchmark_runs.list_scenario_runs("byo", cursor=page.next_cursor)
    assert [r.name for r in [*page.items, *rest.items]] == ["byo-s000", "byo-s001"]


async def test_complete_ends_a_benchmark_run_early_and_cancel_cancels_it(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    for name in ("alpha", "beta"):
        cluster.kube.create(SCENARIOS, scenario(name))
    cluster.kube.create(BENCHMARKS, explicit_benchmark("fixes", ["alpha", "beta"]))
    enduro = await enduro_on(cluster)

    await enduro.benchmarks.start_run("fixes", run_name="early")
    sr = await enduro.scenarios.start_run("alpha", benchmark_run="early")
    await enduro.scenario_runs.score_and_await(sr.name, timeout=30)
    ended = await enduro.benchmark_runs.complete("early", timeout=30)
    assert (ended.state, ended.score, ended.pending_scenarios) == ("Succeeded", 1.0, ["beta"])
    assert "completed early" in ended.status.message
    assert (await enduro.scenario_runs.get(sr.name)).state == "Completed"

    await enduro.benchmarks.start_run("fixes", run_name="stop")
    sr = await enduro.scenarios.start_run("beta", benchmark_run="stop")
    await enduro.scenario_runs.await_environment_ready(sr.name, timeout=30)
    canceled = await enduro.benchmark_runs.cancel("stop", timeout=30)
    assert canceled.state == "Canceled"
    await wait_until(lambda: state_of(enduro, sr.name), "Canceled")
    await freed(cluster)


async def test_a_generated_benchmark_refuses_an_external_agent(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.apply(benchmark(scenarios=1, turns=2))
    enduro = await enduro_on(cluster)
    with pytest.raises(EnduroError, match="cannot start: Benchmark 'rest' is generated"):
        await enduro.benchmarks.start_run("rest", run_name="gen")
    run = await enduro.benchmark_runs.get("gen")
    ready = next(c for c in run.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason) == ("False", "GeneratedBenchmark")


async def state_of(enduro: AsyncEnduro, name: str) -> str:
    return str((await enduro.scenario_runs.get(name)).state)


async def wait_until(read: Callable[[], Any], expected: Any, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await read()) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"{value!r} != {expected!r}"
        await asyncio.sleep(0.1)


def test_the_kubectl_flow_is_spec_fields_and_conditions(start_cluster: Start) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    definition = {"name": "fix-parser", "spec": scenario("fix-parser")["spec"]}
    run = {
        "apiVersion": API,
        "kind": "ScenarioRun",
        "metadata": {"name": "kubectl"},
        "spec": {"definition": definition, "externalAgent": {"external": True}},
    }
    cluster.kube.create(SCENARIO_RUNS, run)

    def condition(type_: str, status: str) -> dict[str, Any] | None:
        obj = cluster.kube.get(SCENARIO_RUNS, "kubectl")
        found = [c for c in obj.get("status", {}).get("conditions", []) if c["type"] == type_]
        return obj if found and found[0]["status"] == status else None

    cluster.kube.wait_for("EnvironmentReady", lambda: condition("EnvironmentReady", "True"), 30)
    cluster.kube.patch(SCENARIO_RUNS, "kubectl", {"spec": {"score": True}})
    cluster.kube.wait_for(
        "Scored",
        lambda: (
            (o := cluster.kube.get(SCENARIO_RUNS, "kubectl"))["status"]["phase"] == "Scored" and o
        ),
        30,
    )
    cluster.kube.patch(SCENARIO_RUNS, "kubectl", {"spec": {"complete": True}})
    done = cluster.kube.wait_for("Succeeded", lambda: condition("Succeeded", "True"), 30)
    assert (done["status"]["phase"], done["status"]["score"]) == ("Completed", 1.0)


def test_enduro_scenario_runs_scores_and_completes_from_the_command_line(
    start_cluster: Start,
) -> None:
    from typer.testing import CliRunner

    from enduro.cli import app

    cluster = start_cluster(canned=scores(lambda run, turn: 0.5))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    config = str(cluster.cluster.kubeconfig)
    with Enduro.connect(kubeconfig=config, poll_seconds=0.1) as enduro:
        enduro.scenarios.start_run("fix-parser", run_name="cli")
        enduro.scenario_runs.await_environment_ready("cli", timeout=30)

    def enduro_cli(*args: str) -> str:
        result = CliRunner().invoke(app, ["scenario-runs", *args, "--kubeconfig", config])
        assert result.exit_code == 0, result.output
        return result.output

    assert enduro_cli("score", "cli", "--wait", "30") == "cli: Scored, turn 1, score 0.5\n"
    assert enduro_cli("complete", "cli") == "cli: Completed, turn 1, score 0.5\n"
    failed = CliRunner().invoke(app, ["scenario-runs", "score", "nope", "--kubeconfig", config])
    assert failed.exit_code == 2 and "404" in failed.output


@pytest.mark.slow
async def test_real_steps_score_what_the_agent_left_as_the_local_cli_does(
    start_cluster: Start, enduro_on: Callable[..., Any], tmp_path: Path
) -> None:
    """No canned pods: prepare-workspace, the sleeping environment and `enduro score` run
    for real, and the score equals the local `enduro scenario` flow's for the same edit."""
    import yaml
    from typer.testing import CliRunner

    from enduro.cli import app

    example = EXAMPLE.read_text()
    cluster = start_cluster()
    for doc in yaml.safe_load_all(example):
        if doc["kind"] == "Scenario" and doc["metadata"]["name"] == "fix-add":
            cluster.kube.create(SCENARIOS, doc)
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("fix-add", run_name="real")
    await enduro.scenario_runs.await_environment_ready("real", timeout=60)
    workspace = cluster.workdir / "node" / "pvc" / "default" / "real-workspace" / "workspace"
    assert "Make it return the sum" in (workspace / "TASK.md").read_text()
    half_fixed = "def add(a, b):\n    return abs(a) + abs(b)\n"  # right for 2+3, not -2-3
    (workspace / "calc.py").write_text(half_fixed)
    done = await enduro.scenario_runs.score_and_complete("real", timeout=120)

    local = tmp_path / "local"
    CliRunner().invoke(app, ["scenario", "start", str(EXAMPLE), "fix-add", "--out", str(local)])
    (local / "workspace" / "calc.py").write_text(half_fixed)
    CliRunner().invoke(app, ["scenario", "score", str(local)])
    local_status = json.loads((local / "state.json").read_text())

    assert done.score == local_status["score"] == 0.8
    assert done.status.function_scores == local_status["functionScores"]
    assert done.status.function_scores == {"adds": 1.0, "negatives": 0.0, "zero": 1.0}
    await freed(cluster)


async def test_a_restarted_operator_adopts_the_environment_and_serves_the_request(
    start_cluster: Start, enduro_on: Callable[..., Any]
) -> None:
    cluster = start_cluster(canned=scores(lambda run, turn: 1.0))
    cluster.kube.create(SCENARIOS, scenario("fix-parser"))
    enduro = await enduro_on(cluster)
    await enduro.scenarios.start_run("fix-parser", run_name="adopted")
    await enduro.scenario_runs.await_environment_ready("adopted", timeout=30)

    cluster.stop_operator()
    await enduro.scenario_runs.score("adopted")  # asked while no operator runs
    cluster.start_operator()

    scored = await enduro.scenario_runs.await_scored("adopted", timeout=30)
    assert (scored.state, scored.score) == ("Scored", 1.0)
    assert cluster.executor.started.count("adopted-t001-env") == 1  # adopted, not re-created
