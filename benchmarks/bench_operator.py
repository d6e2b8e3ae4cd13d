"""Control-plane figures of the operator on the emulated cluster, with canned pods.

Run: `uv run python benchmarks/bench_operator.py [--sizes 1 50 200] [--turns 3]
[--many 1000] [--baseline DIR] [--profile] [--own-core] [--json FILE]`.

The operator runs as its own process (`enduro operator`), exactly as in a cluster,
against the emulated API server in this process; the canned executor completes each
pod after `--step-seconds` (+-50 %), so that many ScenarioRuns are in flight at once. The
clock starts once the operator is up (it has handled the Benchmark). Printed per size:

* control-plane latency per step: from the kubelet writing a pod's final status to the
  operator creating the scenario's next pod (median, p99) with 1, 50, 200 ScenarioRuns
  in flight (targets: median <= 100 ms, p99 <= 1 s at 200); it includes waiting for a
  core, which the emulator and kubelet share with the operator; where the operator
  writes the status in between (a test step's end, before the next attempt's agent pod;
  an attempt's test pod follows its agent step without one), split at that patch (pod
  done -> status patched -> next pod);
* the operator's CPU per step and the emulated API server's + kubelet's, separately;
* API writes per turn by the operator (target <= 6), with the breakdown by verb;
* the operator's peak RSS and the machine's load average;
* steps missed or repeated (each scenario must run exactly one agent and one test pod
  per turn, each created once);
* a large run, `--many` ScenarioRuns of one turn with 200 in flight (default 250, a
  scaled-down run that fits a shared 2-core machine; `--many 1000` is the full size),
  with the operator's peak RSS (target <= 300 MiB at 1000) and missed/repeated steps;
* the size of a ScenarioRun object at 100 turns x 10 attempts (target <= 32 KiB).

`--baseline DIR` runs an earlier tree's operator (`git archive COMMIT | tar -x -C DIR`)
on the same emulator right before each run of this one and prints the ratios.
`--profile` runs this tree's operator under cProfile (timed by CPU) and prints its CPU
per step by phase (kopf's per-event work, the drivers) and its top functions.
`--own-core` runs each size once more with the operator alone on one core and the
emulator and kubelet on the others: the latency the operator's own work makes, without
waiting for the emulator's CPU (target: median <= 100 ms at 200 in flight).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pathlib
import pstats
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
from cluster.enduro_cluster import BENCHMARKS, EnduroCluster, oracle, scripted_results  # noqa: E402
from cluster.kubelet import Canned  # noqa: E402

OPERATOR_CLIENTS = ("kopf", "enduro-operator")
# The operator under cProfile, its imports untimed (start-up is not per-step work); the
# stats are written when SIGTERM stops it. Timed by CPU, not the wall clock: waiting for
# a core or for the API server is not the operator's cost.
PROFILED_OPERATOR = """
import cProfile, sys, time
import enduro.operator.handlers
from enduro.operator.main import run_operator
profile = cProfile.Profile(time.process_time)
profile.enable()
try:
    run_operator(["default"])
finally:
    profile.disable()
    profile.dump_stats(sys.argv[1])
"""
# (label, file suffix, function): the operator's work per watch event and per step,
# cumulative (phases nest), printed in this order.
PROFILE_PHASES = (
    (
        "kopf: one watch event, all of it",
        "kopf/_core/reactor/processing.py",
        "process_resource_event",
    ),
    ("  index functions (kopf.index)", "kopf/_core/engines/indexing.py", "index_resource"),
    ("  causes: diff-base essence built", "kopf/_cogs/configs/diffbase.py", "build"),
    ("  causes: progress annotations cleared", "kopf/_cogs/configs/progress.py", "clear"),
    (
        "  event handlers (kopf.on.event)",
        "kopf/_core/reactor/processing.py",
        "process_watching_cause",
    ),
    ("  kopf's own patches (finalizer, annotations)", "kopf/_core/actions/application.py", "apply"),
    ("kopf: watch streams read, JSON parsed", "kopf/_cogs/clients/watching.py", "watch_objs"),
    ("kopf: Events posted", "kopf/_core/engines/posting.py", "_poster_worker"),
    ("ScenarioRun drivers (daemons)", "enduro/operator/scenarioruns.py", "run"),
    ("  spec parsed", "enduro/operator/scenarioruns.py", "_spec"),
    ("  engine decisions", "enduro/engine/machine.py", "decide"),
    ("  pods built + created", "enduro/operator/scenarioruns.py", "_create_pod"),
    ("  steps built (build_step)", "enduro/steps/build.py", "build_step"),
    ("  API calls (HTTP, JSON)", "enduro/operator/kubeapi.py", "_request"),
    ("BenchmarkRun drivers (daemons)", "enduro/operator/benchmarkruns.py", "run"),
)
WRITES = ("create", "patch", "update", "delete")


def pin(operator_pid: int) -> None:
    """The operator on core 0, every thread of this process (emulator, kubelet) on the
    other cores; threads started later inherit their starter's cores."""
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(operator_pid, {cores[0]})
    for task in pathlib.Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(task.name), set(cores[1:]))


def unpin() -> None:
    every = set(range(os.cpu_count() or 1))
    for task in pathlib.Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(task.name), every)


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
    size: int,
    turns: int,
    step_seconds: float,
    timeout: float,
    parallelism: int | None = None,
    *,
    source: pathlib.Path | None = None,
    profile: pathlib.Path | None = None,
    own_core: bool = False,
) -> dict[str, Any]:
    """One BenchmarkRun of `size` scenarios; the operator's code from `source` (a tree
    such as `git archive` makes; None: this one), under cProfile into `profile` if given;
    `own_core`: the operator alone on the first core, the emulator and kubelet on the
    others (the latency the operator's own work makes, not the emulator's)."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"bench-operator-{size}-"))
    # Steps of slightly different lengths, as real ones are (no lock-step waves of pods).
    canned = Canned(scripted_results(oracle), delay=step_seconds, jitter=0.5)
    with EnduroCluster(workdir, canned=canned) as cluster:
        created: dict[str, float] = {}
        additions: Counter[str] = Counter()

        patched: dict[str, list[float]] = {}

        def on_event(event: WatchEvent) -> None:
            if event.type == "ADDED" and event.resource == ("", "v1", "pods"):
                created[event.object["metadata"]["name"]] = event.at
                additions[event.object["metadata"]["name"]] += 1
            if event.type == "MODIFIED" and event.resource[2] == "scenarioruns":
                patched.setdefault(event.object["metadata"]["name"], []).append(event.at)

        cluster.cluster.call(cluster.cluster.emulator.listeners.append, on_event)
        env = {**os.environ, "KUBECONFIG": str(cluster.cluster.kubeconfig)}
        if source is not None:
            env["PYTHONPATH"] = str(source / "operator")
        command = ["-m", "enduro", "operator", "-n", "default", "--liveness", ""]
        if profile is not None:
            command = ["-c", PROFILED_OPERATOR, str(profile)]
        operator = subprocess.Popen(
            [sys.executable, *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "operator.log").open("w"),
        )
        if own_core:
            pin(operator.pid)
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
            # The clock starts once the operator is up: it has imported, listed and
            # handled the Benchmark (start-up CPU, seconds on a busy machine, is not a
            # cost per step).
            ready_by = time.monotonic() + 120
            while not cluster.kube.get(BENCHMARKS, "b").get("status", {}).get("phase"):
                if time.monotonic() > ready_by:
                    raise TimeoutError("the operator did not handle the Benchmark in 120 s")
                time.sleep(0.1)
            time.sleep(0.5)  # its remaining start-up events
            counts_before = dict(cluster.cluster.emulator.counts)
            started = time.monotonic()
            cluster.apply(
                {"apiVersion": api, "kind": "BenchmarkRun", "metadata": {"name": "r"},
                 "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "oracle"},
                          "parallelism": parallelism or size}},
            )  # fmt: skip
            cpu_before = cpu_seconds(operator.pid)
            load_before = os.getloadavg()[0]
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
            if own_core:
                unpin()
        assert run["status"]["averageScore"] == 1.0, run["status"]

        finished = cluster.executor.finished_at
        latencies = []
        to_patch: list[float] = []
        to_pod: list[float] = []
        by_run: dict[str, list[str]] = {}
        for pod in sorted(created, key=created.__getitem__):
            by_run.setdefault(pod.split("-t")[0], []).append(pod)
        for pods in by_run.values():
            for previous, following in itertools.pairwise(pods):
                latencies.append(created[following] - finished[previous])
                writes_between = [
                    at
                    for at in patched.get(previous.split("-t")[0], [])
                    if finished[previous] <= at <= created[following]
                ]
                if writes_between:
                    to_patch.append(writes_between[0] - finished[previous])
                    to_pod.append(created[following] - writes_between[0])
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
            "to_patch": to_patch,
            "to_pod": to_pod,
            "writes": writes,
            "turns": size * turns,
            "rss": peak[0],
            "cpu": cpu,
            "emulator_cpu": emulator_cpu,
            "load": load,
            "load_before": load_before,
            "profile": profile,
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
    from enduro.operator.scenarioruns import status_patch

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
    body["status"] = status_patch(status)["status"]  # what the operator writes
    body["metadata"].update(uid="0" * 36, resourceVersion="123456789", generation=1)
    return len(json.dumps(body).encode())


def profile_summary(path: pathlib.Path, steps: int) -> list[str]:
    """The operator's cProfile as CPU per step by phase, and its top functions by own time."""
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())
    lines = [f"  profiled operator CPU: {total * 1000 / steps:.1f} ms per step (cProfile-inflated)"]
    for label, suffix, function in PROFILE_PHASES:
        found = [
            entry[3]
            for (file, _, name), entry in entries.items()
            if name == function and file.endswith(suffix)
        ]
        lines.append(f"    {label:<48} {max(found, default=0.0) * 1000 / steps:6.2f} ms")
    lines.append("  top functions by own time (ms per step):")
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:12]
    for (file, line, name), entry in top:
        where = "/".join(pathlib.Path(file).parts[-2:]) if line else file
        lines.append(
            f"    {entry[2] * 1000 / steps:6.2f}  {name} ({where}:{line}), {entry[1]} calls"
        )
    return lines


def report(result: dict[str, Any], label: str, steps: int) -> None:
    latencies = result["latencies"]
    total_writes = sum(result["writes"].values())
    load = f"{result['load_before']:.1f} -> {result['load']:.1f} on {os.cpu_count()} cores"
    print(f"  [{label}] {result['elapsed']:.1f} s for the run; load average {load}")
    if latencies:
        print(f"    step latency (pod done -> next pod created): median "
              f"{statistics.median(latencies) * 1000:.0f} ms, p99 "
              f"{percentile(latencies, 0.99) * 1000:.0f} ms over {len(latencies)} steps "
              "(targets: median <= 100 ms, p99 <= 1 s; includes waiting for a core)")  # fmt: skip
    if result["to_patch"]:
        # Where the operator patches the status between the two: which half the time is in.
        to_patch = statistics.median(result["to_patch"]) * 1000
        to_pod = statistics.median(result["to_pod"]) * 1000
        print(f"      where a status patch comes between ({len(result['to_patch'])} steps): "
              f"pod done -> status patched: median {to_patch:.0f} ms; "
              f"status patched -> next pod created: median {to_pod:.0f} ms")  # fmt: skip
    print(f"    operator CPU: {result['cpu'] * 1000 / steps:.1f} ms per step (target <= 4 ms); "
          f"emulated API server + kubelet: {result['emulator_cpu'] * 1000 / steps:.1f} ms "
          "per step (the same cores)")  # fmt: skip
    print(f"    operator API writes per turn: {total_writes / result['turns']:.2f} (target <= 6)")
    for what, n in sorted(result["writes"].items()):
        print(f"      {what}: {n / result['turns']:.2f} per turn")
    print(f"    operator peak RSS: {result['rss']:.0f} MiB; steps missed: {result['missed']}, "
          f"repeated: {result['repeated']} (target: 0, 0)")  # fmt: skip
    if result.get("profile"):
        for line in profile_summary(result["profile"], steps):
            print("  " + line)


def compare(now: dict[str, Any], base: dict[str, Any], steps: int) -> None:
    def ratio(key: str) -> str:
        return f"{now[key] / base[key]:.2f}x" if base[key] else "-"

    writes_now, writes_base = sum(now["writes"].values()), sum(base["writes"].values())
    latency = ""
    if now["latencies"] and base["latencies"]:
        median = statistics.median(now["latencies"]) / statistics.median(base["latencies"])
        latency = f"median latency {median:.2f}x, "
    print(f"  now / baseline: operator CPU per step {ratio('cpu')}, {latency}"
          f"API writes {writes_now / writes_base:.2f}x, emulator CPU {ratio('emulator_cpu')}, "
          f"peak RSS {ratio('rss')}")  # fmt: skip


def figures(result: dict[str, Any], steps: int) -> dict[str, float]:
    """One run's figures as ``--json`` writes them (``bench_all.py`` reads them)."""
    latencies = result["latencies"] or [0.0]
    return {
        "cpu_ms_per_step": result["cpu"] * 1000 / steps,
        "emulator_cpu_ms_per_step": result["emulator_cpu"] * 1000 / steps,
        "writes_per_turn": sum(result["writes"].values()) / result["turns"],
        "latency_median_ms": statistics.median(latencies) * 1000,
        "latency_p99_ms": percentile(latencies, 0.99) * 1000,
        "rss_mib": result["rss"],
        "missed": result["missed"],
        "repeated": result["repeated"],
        "load": result["load"],
    }


def measure(  # noqa: PLR0917
    args: argparse.Namespace,
    size: int,
    turns: int,
    parallelism: int | None,
    title: str,
    own_core: bool = False,
) -> dict[str, float]:
    """The same run by the baseline tree (if given) then this one, back to back; this
    one's figures; `own_core`: then once more with the operator on a core of its own."""
    steps = 2 * size * turns
    print(f"\n{title}")
    base = None
    if args.baseline:
        base = run_once(size, turns, args.step_seconds, args.timeout, parallelism,
                        source=args.baseline)  # fmt: skip
        report(base, f"baseline {args.baseline}", steps)
    profile = None
    if args.profile:
        profile = pathlib.Path(tempfile.mkdtemp(prefix="bench-operator-profile-")) / "stats"
    now = run_once(size, turns, args.step_seconds, args.timeout, parallelism, profile=profile)
    report(now, "now" + (" (under cProfile: CPU and latency inflated)" if profile else ""), steps)
    if base is not None and profile is None:
        compare(now, base, steps)
    result = figures(now, steps)
    if own_core and profile is None:
        alone = run_once(size, turns, args.step_seconds, args.timeout, parallelism, own_core=True)
        latencies = alone["latencies"] or [0.0]
        result["operator_latency_median_ms"] = statistics.median(latencies) * 1000
        result["operator_latency_p99_ms"] = percentile(latencies, 0.99) * 1000
        print(f"  [the operator on a core of its own, the emulator and kubelet on the other] "
              f"step latency median {result['operator_latency_median_ms']:.0f} ms, p99 "
              f"{result['operator_latency_p99_ms']:.0f} ms (target: median <= 100 ms); "
              f"operator CPU {alone['cpu'] * 1000 / steps:.1f} ms per step")  # fmt: skip
    return result


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
    parser.add_argument(
        "--baseline",
        type=pathlib.Path,
        help="an earlier source tree (git archive COMMIT | tar -x -C DIR), run first each time",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run this tree's operator under cProfile and print where its CPU per step goes",
    )
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    parser.add_argument(
        "--own-core",
        action="store_true",
        help="also run each size with the operator alone on one core (needs 2 or more)",
    )
    args = parser.parse_args()
    if args.own_core and len(os.sched_getaffinity(0)) < 2:
        parser.error("--own-core needs two or more cores: one for the operator alone")
    written: dict[str, Any] = {"sizes": {}}

    print(f"ScenarioRun object at 100 turns x 10 attempts: {object_size() / 1024:.1f} KiB "
          "(target <= 32 KiB)")  # fmt: skip
    for size in args.sizes:
        title = f"{size} ScenarioRuns in flight, {args.turns} turns each"
        written["sizes"][str(size)] = measure(args, size, args.turns, None, title, args.own_core)
    if args.many:
        title = (
            f"{args.many} ScenarioRuns, 1 turn each, 200 in flight (RSS target <= 300 MiB at 1000)"
        )
        written["many"] = {"runs": args.many, **measure(args, args.many, 1, 200, title)}
    if args.json is not None:
        args.json.write_text(json.dumps(written, indent=1))


if __name__ == "__main__":
    main()
