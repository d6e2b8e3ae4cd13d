"""Where one turn's trusted steps spend their time: a cProfile of prepare + test step.

    uv run python benchmarks/profile_step.py --turn 50 [--seed 1] [--turns 100]

Run as its own process, as the fork server's child is: the modules the fork server
imports (``WARM_MODULES``) are imported first and untimed, then ``prepare_workspace``
and ``run_test_step`` (starting the ground truth's ``run.sh``, as ``enduro run``
does) run under cProfile for the first and the second attempt of the turn, each
step as a fresh process would (nothing generated in memory; the artifact folder holds
what the turn before left, as in a run). Printed: seconds per phase (cumulative,
phases may nest) and the top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from enduro.runtime.forkserver import WARM_MODULES

# (label, file suffix, function): cumulative seconds of each, printed in this order.
PHASES = (
    ("prepare-workspace (whole)", "workspace/prepare.py", "prepare_workspace"),
    ("test-runner (whole)", "testrunner/step.py", "run_test_step"),
    ("  scenario generation", "scenarios/generator.py", "upto"),
    ("  render suite", "render/suite.py", "render_suite"),
    ("  render spec", "render/spec.py", "render_spec"),
    ("  render openapi", "render/openapi.py", "render_openapi"),
    ("  render ground truth", "render/server.py", "render_server"),
    ("  turn cache read", "enduro/scenarios/turnfiles.py", "_read_cached"),
    ("  turn cache write", "enduro/scenarios/turnfiles.py", "_write_cache"),
    ("  write trees", "enduro/artifacts.py", "write_tree"),
    ("  link trees", "enduro/artifacts.py", "link_tree"),
    ("  workspace snapshot", "workspace/snapshot.py", "snapshot"),
    ("  server start", "testrunner/server.py", "start_server"),
    ("  wait for /health", "testrunner/server.py", "wait_healthy"),
    ("  pytest run (collect + tests)", "testrunner/suite.py", "run_suite"),
    ("    pytest collection", "_pytest/main.py", "perform_collect"),
    ("  result json", "testrunner/result.py", "to_json"),
)


def cumulative(stats: pstats.Stats, suffix: str, function: str) -> float:
    found = [
        entry[3]
        for (path, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
        if name == function and path.endswith(suffix)
    ]
    return max(found, default=0.0)


def _timed[R](profile: cProfile.Profile, func: Callable[..., R], *args: object) -> tuple[float, R]:
    """Run ``func`` under ``profile`` as a process of its own would: nothing generated is
    still in memory (each step is a separate process; only files on disk carry over)."""
    from enduro.scenarios import generator

    generator._STREAMS.clear()
    started = time.perf_counter()
    result = profile.runcall(func, *args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turn", type=int, required=True)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for module in WARM_MODULES:
        importlib.import_module(module)

    from enduro.api.generator import GeneratorSpec
    from enduro.scenarios.turnfiles import TurnFiles
    from enduro.steps.context import StepContext
    from enduro.testrunner.step import run_test_step
    from enduro.workspace.prepare import prepare_workspace

    generator = GeneratorSpec(seed=args.seed, scenarios=1, turns=args.turns)
    with tempfile.TemporaryDirectory(prefix="enduro-profile-") as tmp:
        workspace, artifacts = Path(tmp) / "workspace", Path(tmp) / "artifacts"

        def step_pair(turn: int, attempt: int, profile: cProfile.Profile) -> tuple[float, Any]:
            context = StepContext(generator=generator, scenario=0, turn=turn, attempt=attempt)
            wall, _ = _timed(profile, prepare_workspace, context, workspace, artifacts)
            if attempt == 1:  # the agent's work, untimed: the ground truth
                for rel, text in TurnFiles(generator, 0, turn).ground_truth().items():
                    (workspace / rel).write_text(text)
            seconds, summary = _timed(profile, run_test_step, context, workspace, artifacts, None)
            return wall + seconds, summary

        if args.turn > 1:  # as in a run, the turn before went first (unprofiled)
            step_pair(args.turn - 1, 1, cProfile.Profile())
        profiles = []
        for attempt in (1, 2):
            profile = cProfile.Profile()
            wall, summary = step_pair(args.turn, attempt, profile)
            profiles.append((attempt, profile, wall, summary))
        for attempt, profile, wall, summary in profiles:
            stats = pstats.Stats(profile)
            print(
                f"turn {args.turn}, attempt {attempt}: {wall:.2f} s wall under the profiler "
                f"({summary.passed}/{summary.total} passed)"
            )
            for label, suffix, function in PHASES:
                seconds = cumulative(stats, suffix, function)
                if seconds:
                    print(f"  {label:<34} {seconds:7.3f} s")
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
            lines = [line for line in out.getvalue().splitlines() if line.strip()]
            start = next(i for i, line in enumerate(lines) if "ncalls" in line)
            print("  top functions by own time:")
            for line in lines[start : start + args.top + 1]:
                print("   ", line[:150])


if __name__ == "__main__":
    main()
