"""Local runtime performance: harness overhead per turn against the floor, and whole runs.

    uv run python benchmarks/bench_local.py [--profile]           # subset: 2 x 30
    uv run python benchmarks/bench_local.py --scenarios 20 --turns 100   # full size (slow)
    uv run python benchmarks/bench_local.py --scenarios 2 --turns 10 --overhead-turns 1,10

1. Harness overhead per turn at turns 1, 50 and 100: everything the runtime does for a
   turn except the agent's own work — preparing the workspace (a process), the test step
   (sidecar server start, the runner process, the suite, the result and snapshot writes),
   the engine's decision and the state write — median and p95 over ``--repeats``. Next to
   it the floor: the same suite's HTTP requests replayed from one warm process against an
   already-running server (``enduro.scenarios.validate.replay_floor``), measured right
   after each sample: the ratio is the median of sample / floor, robust to a machine
   whose load changes by the minute. Target at turns 50 and 100: overhead <= 1.2x
   floor. The turn before is scored first (untimed), so the turn cache holds what it
   holds in a run. The agent step's sidecar rewrites the turn's suite into bytecode
   while the agent works (``enduro warm-suite``): it runs where the agent would, and its
   seconds are printed apart (any real agent takes longer). ``--profile``: a cProfile
   summary of the
   prepare and test steps of each of those turns (``benchmarks/profile_step.py``).
2. The oracle on ``--scenarios`` x ``--turns`` with ``--parallelism``: wall time (target
   <= 30 min at 20 x 100, parallelism 2) and score (exactly 1.0), next to the floor
   summed over the same turns and divided by the parallelism (target: wall <= 1.3x
   that). The default is a subset, 2 x 30, the first turns of two scenarios: the
   turns of a full run cost more the later they are, so the subset's ratio is the
   one to compare, not its minutes.
3. The null agent on a small run: score 0 and stamina 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from enduro.api.scenariorun import ScenarioRunStatus
from enduro.artifacts import Artifacts, write_tree
from enduro.engine.events import Started
from enduro.engine.machine import TestStep, decide
from enduro.runtime.forkserver import ForkServer
from enduro.runtime.local import LocalRun
from enduro.runtime.manifest import RunPlan, load_plan
from enduro.runtime.process import Processes
from enduro.runtime.state import save_status
from enduro.scenarios.turnfiles import TurnFiles
from enduro.steps.build import build_agent_step
from enduro.steps.names import scenario_run_name
from enduro.steps.spec import VolumeName
from enduro.testrunner.warmup import warm_suite

RUN_YAML = """\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata: {{name: bench}}
spec:
  generator: {{seed: {seed}, scenarios: {scenarios}, turns: {turns}}}
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata: {{name: "{harness}"}}
spec: {{harness: "{harness}"}}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata: {{name: bench-{harness}}}
spec:
  benchmarkRef: {{name: bench}}
  agentRef: {{name: "{harness}"}}
  parallelism: {parallelism}
  attemptLimit: {attempts}
  timeouts: {{agentSeconds: 600, testSeconds: 600, serverStartSeconds: 30}}
"""


def write_run(directory: Path, harness: str, **values: int) -> Path:
    path = directory / f"{harness}.yaml"
    path.write_text(RUN_YAML.format(harness=harness, **values))
    return path


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def overhead_at(  # noqa: PLR0917
    plan_file: Path,
    turn: int,
    repeats: int,
    work: Path,
    forkserver: ForkServer,
    floor: Callable[[], float],
) -> list[tuple[float, float, float]]:
    """(seconds spent by the runtime on everything but the agent at ``turn``, the floor
    measured right after, the seconds of the suite's warm-up beside the agent) per
    repeat: the load of a shared machine changes by the minute, so each sample has its
    own floor. The turn before has been scored in the same folder
    (untimed; what it left in the turn cache is there, as in a run)."""
    plan = load_plan(plan_file)
    spec = plan.scenario_spec(0)
    before = work / f"overhead-t{turn}-before" / "scenario_0"
    if turn > 1:
        run_turn(plan, before, turn - 1, forkserver)
    samples = []
    for repeat in range(repeats):
        out = work / f"overhead-t{turn}-{repeat}"
        run = LocalRun(plan, out, processes=Processes(forkserver))
        directory = out / "scenario_0"
        workspace = directory / "workspace"
        workspace.mkdir(parents=True)
        bytecode = Artifacts(before).bytecode_cache()
        if bytecode.is_dir():
            shutil.copytree(bytecode, Artifacts(directory).bytecode_cache())
        oracle = TurnFiles(spec.generator, 0, turn).ground_truth()  # the agent's work, untimed
        name = scenario_run_name(plan.name, 0)
        agent_step = build_agent_step(name, spec, turn, 1).localize(
            {VolumeName.WORKSPACE: workspace, VolumeName.ARTIFACTS: directory}
        )
        assert agent_step.init is not None
        status = decide(spec, ScenarioRunStatus(), Started(), datetime.now(UTC)).status

        started = time.perf_counter()
        init = run.processes.start(agent_step.init, dict(os.environ), directory / "prepare.log")
        finished = run.processes.wait(init, 600)
        assert finished.returncode == 0, (directory / "prepare.log").read_text()
        paused = time.perf_counter()
        for rel, text in oracle.items():
            (workspace / rel).write_text(text)
        # The agent step's sidecar: beside any agent that takes longer than it does.
        warm_suite(agent_step.context, directory)
        resumed = time.perf_counter()
        event = run._execute(spec, TestStep(turn, 1), directory, None)
        decision = decide(spec, status, event, datetime.now(UTC))
        save_status(directory, decision.status)
        ended = time.perf_counter()

        summary = getattr(event, "summary", None)
        if summary is None:
            raise SystemExit(f"turn {turn}: the test step did not score: {event}")
        if not summary.all_passed:  # a generator defect, not the runtime's: say so, go on
            print(f"  note: turn {turn}: the ground truth passed {summary.passed}/{summary.total}")
        samples.append(((paused - started) + (ended - resumed), floor(), resumed - paused))
    return samples


def run_turn(plan: RunPlan, directory: Path, turn: int, forkserver: ForkServer) -> None:
    """Prepare, write the oracle's code, and score one turn (attempt 1), untimed."""
    spec = plan.scenario_spec(0)
    run = LocalRun(plan, directory.parent, processes=Processes(forkserver))
    workspace = directory / "workspace"
    workspace.mkdir(parents=True)
    agent_step = build_agent_step(scenario_run_name(plan.name, 0), spec, turn, 1).localize(
        {VolumeName.WORKSPACE: workspace, VolumeName.ARTIFACTS: directory}
    )
    assert agent_step.init is not None
    init = run.processes.start(agent_step.init, dict(os.environ), directory / "prepare.log")
    assert run.processes.wait(init, 600).returncode == 0, (directory / "prepare.log").read_text()
    write_tree(workspace, TurnFiles(spec.generator, 0, turn).ground_truth())
    run._execute(spec, TestStep(turn, 1), directory, None)


def floor_at(plan_file: Path, turn: int, work: Path) -> Callable[[], float]:
    """Records the suite's requests once; the function returned replays them from one warm
    process against a running server (the floor) and says how long that took."""
    from enduro.scenarios import validate

    plan = load_plan(plan_file)
    st = TurnFiles(plan.benchmark.generator, 0, turn).scenario_turn
    record_dir = work / f"floor-t{turn}"
    record_dir.mkdir(parents=True)
    pair = validate.TurnPair(schema=st.schema, previous=st.previous, changes=st.changes)
    validate.validate_turns([pair], workers=1, record_dir=record_dir)  # records the requests
    return lambda: float(validate.replay_floor([pair], record_dir))


def floor_sum(seed: int, scenarios: int, turns: int, work: Path) -> float:
    """The floor summed over every turn of every scenario of a run (one process)."""
    from enduro.api.generator import GeneratorSpec
    from enduro.scenarios import validate
    from enduro.scenarios.generator import generate_scenario

    spec = GeneratorSpec(seed=seed, scenarios=scenarios, turns=turns)
    total = 0.0
    for scenario in range(scenarios):
        record_dir = work / f"floor-run-{scenario}"
        record_dir.mkdir(parents=True)
        pairs = generate_scenario(spec, scenario)
        validate.validate_turns(pairs, record_dir=record_dir)  # records the requests
        total += validate.replay_floor(pairs, record_dir)
    return total


def profile(turn: int, seed: int, turns: int) -> str:
    """``profile_step.py`` for ``turn``, in a process of its own (as a step is)."""
    script = Path(__file__).with_name("profile_step.py")
    argv = [sys.executable, str(script), "--turn", str(turn), "--seed", str(seed)]
    proc = subprocess.run(
        [*argv, "--turns", str(turns)], capture_output=True, text=True, check=True
    )
    return proc.stdout


def whole_run(plan_file: Path, out: Path) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    proc = subprocess.run(
        ["enduro", "run", str(plan_file), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"enduro run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report: dict[str, object] = json.loads((out / "report.json").read_text())
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=2)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overhead-turns", default="1,50,100")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--null-scenarios", type=int, default=2)
    parser.add_argument("--null-turns", type=int, default=10)
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-run", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile each overhead turn")
    parser.add_argument("--json", type=Path, help="also write the figures here (bench_all.py)")
    args = parser.parse_args()
    figures: dict[str, object] = {}

    overhead_turns = [int(t) for t in args.overhead_turns.split(",") if t]
    with tempfile.TemporaryDirectory(prefix="enduro-bench-") as tmp:
        work = Path(tmp)
        max_turn = max([args.turns, *overhead_turns])
        probe = write_run(
            work, "oracle", seed=args.seed, scenarios=1, turns=max_turn, parallelism=1, attempts=1
        )
        if not args.skip_overhead:
            print("harness overhead per turn (everything but the agent), seconds")
            print(
                f"{'turn':>5} {'median':>8} {'p95':>8} {'floor':>8} {'ratio':>6}  (median of "
                "each sample / its floor)   warm-up beside the agent"
            )
            forkserver = ForkServer()  # as `enduro run` does
            for turn in overhead_turns:
                floor = floor_at(probe, turn, work)
                pairs = overhead_at(probe, turn, args.repeats, work, forkserver, floor)
                samples = [overhead for overhead, _, _ in pairs]
                median = statistics.median(samples)
                floors = statistics.median(f for _, f, _ in pairs)
                ratio = statistics.median(overhead / f for overhead, f, _ in pairs)
                warm = statistics.median(w for _, _, w in pairs)
                print(
                    f"{turn:>5} {median:>8.3f} {p95(samples):>8.3f} {floors:>8.3f} {ratio:>6.2f}"
                    f"{warm:>33.3f}",
                    flush=True,
                )
                figures[f"overhead_turn_{turn}"] = {
                    "seconds": median, "floor": floors, "ratio": ratio, "warm_up": warm,
                    "load": load(),
                }  # fmt: skip
            forkserver.close()
        if args.profile:
            for turn in overhead_turns:
                print(profile(turn, args.seed, max_turn), flush=True)
        if not args.skip_run:
            oracle = write_run(
                work,
                "oracle",
                seed=args.seed,
                scenarios=args.scenarios,
                turns=args.turns,
                parallelism=args.parallelism,
                attempts=1,
            )
            seconds, report = whole_run(oracle, work / "run-oracle")
            turns = args.scenarios * args.turns
            print(
                f"oracle {args.scenarios} x {args.turns}, parallelism {args.parallelism}: "
                f"{seconds / 60:.1f} min, {seconds / turns:.2f} s/turn, "
                f"score {report['average_score']}, success rate {report['success_rate']}",
                flush=True,
            )
            summed = floor_sum(args.seed, args.scenarios, args.turns, work)
            share = summed / args.parallelism  # the floor's turns shared as the run shares them
            print(
                f"  floor summed over the same {turns} turns: {summed:.1f} s; "
                f"/ parallelism {args.parallelism}: {share:.1f} s; "
                f"oracle wall / that: {seconds / share:.2f}x (target <= 1.3x)",
                flush=True,
            )
            figures["whole_run"] = {
                "scenarios": args.scenarios, "turns": args.turns,
                "parallelism": args.parallelism, "seconds": seconds, "floor_share": share,
                "ratio": seconds / share, "score": report["average_score"], "load": load(),
            }  # fmt: skip
            null = write_run(
                work,
                "null",
                seed=args.seed,
                scenarios=args.null_scenarios,
                turns=args.null_turns,
                parallelism=args.parallelism,
                attempts=1,
            )
            seconds, report = whole_run(null, work / "run-null")
            results = report["results"]
            assert isinstance(results, list)
            stamina = max(r["stamina"] for r in results)
            print(
                f"null {args.null_scenarios} x {args.null_turns}: {seconds:.0f} s, "
                f"score {report['average_score']}, max stamina {stamina}"
            )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1))
    sys.stdout.flush()


def load() -> float:
    """The one-minute load average now: figures of a shared machine come with it."""
    return os.getloadavg()[0]


if __name__ == "__main__":
    main()
