"""Control-plane figures of the operator on the emulated cluster, with canned pods.

Run: `uv run python benchmarks/bench_operator.py [--sizes 1 50 200] [--turns 3]`.

The operator runs as its own process (`enduro operator`), exactly as in a cluster,
against the emulated API server in this process; the canned executor completes each
pod after `--step-seconds` (+-50 %), so that many ScenarioRuns are in flight at once. Printed:

* control-plane latency per step: from the kubelet writing a pod's final status to the
  operator creating the scenario's next pod (median, p99) with 1, 50, 200 ScenarioRuns
  in flight (targets: median <= 100 ms, p99 <= 1 s at 200);
* API writes per turn by the operator (target <= 12), with the breakdown by verb;
* the operator's peak RSS (target <= 250 MiB at 200 ScenarioRuns);
* the size of a ScenarioRun object at 100 turns x 10 attempts (target <= 32 KiB);
* steps missed or repeated (each scenario must run exactly one agent and one test pod
  per turn, each created once);
* a large run, `--many` ScenarioRuns of one turn with 200 in flight (default 250, a
  scaled-down run that fits a shared 2-core machine; `--many 1000` is the full size),
  with the operator's peak RSS (target <= 300 MiB at 1000) and missed/repeated steps.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from typing import Any

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from cluster.emulator import WatchEvent  # noqa: E402
from cluster.enduro_cluster import EnduroCluster, oracle, scripted_results  # noqa: E402
from cluster.kubelet import Canned  # noqa: E402

OPERATOR_CLIENTS = ("kopf", "enduro-operator")
WRITES = ("create", "patch", "update", "delete")


def rss_mib(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (load-independent, unlike latency)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_once(
    size: int, turns: int, step_seconds: float, timeout: float, parallelism: int | None = None
) -> dict[str, Any]:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"bench-operator-{size}-"))
    # Steps of slightly different lengths, as real ones are (no lock-step waves of pods).
    canned = Canned(scripted_results(oracle), delay=step_seconds, jitter=0.5)
    with EnduroCluster(workdir, canned=canned) as cluster:
        created: dict[str, float] = {}
        additions: Counter[str] = Counter()

        def on_event(event: WatchEvent) -> None:
            if event.type == "ADDED" and event.resource == ("", "v1", "pods"):
                created[event.object["metadata"]["name"]] = event.at
                additions[event.object["metadata"]["name"]] += 1

        cluster.cluster.call(cluster.cluster.emulator.listeners.append, on_event)
        env = {**os.environ, "KUBECONFIG": str(cluster.cluster.kubeconfig)}
        operator = subprocess.Popen(
            [sys.executable, "-m", "enduro", "operator", "-n", "default", "--liveness", ""],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "operator.log").open("w"),
        )
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], rss_mib(operator.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            api = "enduro.dev/v1alpha1"
            cluster.apply(
                {"apiVersion": api, "kind": "Benchmark", "metadata": {"name": "b"},
                 "spec": {"generator": {"seed": 1, "scenarios": size, "turns": turns}}},
                {"apiVersion": api, "kind": "Agent", "metadata": {"name": "oracle"},
                 "spec": {"harness": "oracle"}},
            )  # fmt: skip
            time.sleep(2)  # let the operator start and list before the clock starts
            counts_before = dict(cluster.cluster.emulator.counts)
            started = time.monotonic()
            cluster.apply(
                {"apiVersion": api, "kind": "BenchmarkRun", "metadata": {"name": "r"},
                 "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "oracle"},
                          "parallelism": parallelism or size}},
            )  # fmt: skip
            cpu_before = cpu_seconds(operator.pid)
            emulator_before = time.process_time()
            run = cluster.wait_for_run("r", timeout=timeout)
            elapsed = time.monotonic() - started
            cpu = cpu_seconds(operator.pid) - cpu_before
            emulator_cpu = time.process_time() - emulator_before
            load = os.getloadavg()[0]
        finally:
            done.set()
            operator.terminate()
            operator.wait(30)
        assert run["status"]["averageScore"] == 1.0, run["status"]

        finished = cluster.executor.finished_at
        latencies = []
        by_run: dict[str, list[str]] = {}
        for pod in sorted(created, key=created.__getitem__):
            by_run.setdefault(pod.split("-t")[0], []).append(pod)
        for pods in by_run.values():
            for previous, following in itertools.pairwise(pods):
                latencies.append(created[following] - finished[previous])
        counts = cluster.cluster.emulator.counts
        writes: dict[str, int] = {}
        for (client, verb, plural), n in counts.items():
            if client in OPERATOR_CLIENTS and verb in WRITES:
                new = n - counts_before.get((client, verb, plural), 0)
                if new:
                    writes[f"{verb} {plural}"] = writes.get(f"{verb} {plural}", 0) + new
        # The oracle's canned steps pass: every scenario runs exactly one agent and one test
        # pod per turn, each created once.
        expected = {
            f"{run['metadata']['name']}-s{s:03d}-t{t:03d}-a1-{role}"
            for s in range(size)
            for t in range(1, turns + 1)
            for role in ("agent", "test")
        }
        return {
            "missed": len(expected - set(created)),
            "repeated": sum(n - 1 for n in additions.values()) + len(set(created) - expected),
            "size": size,
            "elapsed": elapsed,
            "latencies": latencies,
            "writes": writes,
            "turns": size * turns,
            "rss": peak[0],
            "cpu": cpu,
            "emulator_cpu": emulator_cpu,
            "load": load,
        }


def object_size() -> int:
    """Bytes of a ScenarioRun (spec + worst-case status) at 100 turns x 10 attempts."""
    from datetime import UTC, datetime

    from enduro.api.agent import AgentSpec
    from enduro.api.generator import GeneratorSpec
    from enduro.api.scenariorun import ScenarioRunSpec, ScenarioRunStatus
    from enduro.engine.catalogue import BenchmarkScenarios
    from enduro.engine.events import AgentFinished, Started, TestFinished
    from enduro.engine.machine import decide
    from enduro.engine.results import AgentOutcome, TestSummary
    from enduro.operator.children import build_scenario_run

    run = {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "BenchmarkRun",
        "metadata": {"name": "a-fairly-long-benchmark-run-name", "namespace": "bench", "uid": "u"},
        "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, "attemptLimit": 10},
    }
    agent = AgentSpec.model_validate({"harness": "mini-swe-agent", "model": {"name": "m" * 40}})
    body = build_scenario_run(
        run, BenchmarkScenarios(GeneratorSpec(seed=1, scenarios=1, turns=100)), agent, 0
    )
    spec = ScenarioRunSpec.model_validate(body["spec"])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    status = decide(spec, ScenarioRunStatus(), Started(), now).status
    failing = TestSummary(
        passed=7, failed=3, total=10, failing=[f"test_{i}_" + "x" * 60 for i in range(20)],
        reason="r" * 200,
    )  # fmt: skip
    while not status.phase.terminal:
        status = decide(spec, status, AgentFinished(AgentOutcome(steps=30)), now).status
        status = decide(spec, status, TestFinished(failing), now).status
    body["status"] = status.model_dump(mode="json", by_alias=True)
    body["metadata"].update(uid="0" * 36, resourceVersion="123456789", generation=1)
    return len(json.dumps(body).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--step-seconds", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--many",
        type=int,
        default=250,
        help="ScenarioRuns of the large run, 1 turn each, 200 in flight (full size: 1000)",
    )
    args = parser.parse_args()

    print(f"ScenarioRun object at 100 turns x 10 attempts: {object_size() / 1024:.1f} KiB "
          "(target <= 32 KiB)")  # fmt: skip
    for size in args.sizes:
        result = run_once(size, args.turns, args.step_seconds, args.timeout)
        latencies = result["latencies"]
        total_writes = sum(result["writes"].values())
        print(f"\n{size} ScenarioRuns in flight, {args.turns} turns each "
              f"({result['elapsed']:.1f} s for the run)")  # fmt: skip
        print(f"  step latency (pod done -> next pod created): median "
              f"{statistics.median(latencies) * 1000:.0f} ms, p99 "
              f"{percentile(latencies, 0.99) * 1000:.0f} ms over {len(latencies)} steps "
              "(targets: median <= 100 ms, p99 <= 1 s)")  # fmt: skip
        print(f"  operator API writes per turn: {total_writes / result['turns']:.1f} "
              "(target <= 12)")  # fmt: skip
        for what, n in sorted(result["writes"].items()):
            print(f"    {what}: {n / result['turns']:.2f} per turn")
        print(f"  operator peak RSS: {result['rss']:.0f} MiB (target <= 250 MiB)")
        steps = len(latencies) + size
        print(f"  operator CPU: {result['cpu'] * 1000 / steps:.1f} ms per step; machine load "
              f"average {result['load']:.1f} on {os.cpu_count()} cores (latency includes waiting "
              "for a core)")  # fmt: skip
        print(f"  emulated API server + kubelet CPU: {result['emulator_cpu'] * 1000 / steps:.1f} "
              "ms per step (the same cores)")  # fmt: skip
        print(f"  steps missed: {result['missed']}, repeated: {result['repeated']}")
    if args.many:
        result = run_once(args.many, 1, args.step_seconds, args.timeout, parallelism=200)
        steps = 2 * args.many
        print(f"\n{args.many} ScenarioRuns (1 turn each, 200 in flight): "
              f"{result['elapsed']:.1f} s for the run")  # fmt: skip
        print(f"  operator peak RSS: {result['rss']:.0f} MiB (target <= 300 MiB at 1000)")
        print(f"  operator CPU: {result['cpu'] * 1000 / steps:.1f} ms per step; emulator "
              f"{result['emulator_cpu'] * 1000 / steps:.1f} ms per step")  # fmt: skip
        print(f"  steps missed: {result['missed']}, repeated: {result['repeated']} (target: 0, 0)")


if __name__ == "__main__":
    main()
