"""Validation speed of one generated 100-turn scenario, against its floor.

Prints the total validation time (each turn's ground truth against its own suite, two
forked workers), the per-turn split (server start, suite run), tests per turn at turns
1, 10, 50 and 100, ground-truth lines of code at the last turn, and the floor: the same
suites' recorded HTTP requests replayed from one warm process against already-running
servers. With --sensitivity it also runs each suite against the previous ground truth.

    uv run python benchmarks/bench_validate.py [--turns 100] [--seed 0] [--sensitivity]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.render.server import render_server
from enduro.scenarios.validate import replay_floor, validate_turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", type=int, default=0)
    parser.add_argument("--sensitivity", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here (bench_all.py)")
    args = parser.parse_args()

    spec = GeneratorSpec(seed=args.seed, scenarios=args.scenario + 1, turns=args.turns)
    started = time.perf_counter()
    turns = generate_scenario(spec, args.scenario)
    generation = time.perf_counter() - started
    record = Path(tempfile.mkdtemp(prefix="enduro-bench-"))
    cpu_before = _cpu()
    result = validate_turns(turns, sensitivity=False, record_dir=record)
    cpu_validation = _cpu() - cpu_before
    floor = replay_floor(turns, record)
    cpu_floor = _cpu() - cpu_before - cpu_validation

    runs = result.runs
    print(f"scenario: seed {args.seed}, scenario {args.scenario}, {len(turns)} turns")
    print(f"generation: {generation:.2f} s")
    print(f"validation total: {result.seconds:.1f} s (2 workers)")
    print(f"  server start, summed: {sum(r.start_seconds for r in runs):.1f} s")
    print(f"  suite runs, summed:   {sum(r.suite_seconds for r in runs):.1f} s")
    passing = sum(1 for r in runs if r.ok)
    print(f"turns passing their own suite: {passing}/{len(runs)}")
    for turn in (1, 10, 50, 100):
        if turn <= len(runs):
            run = runs[turn - 1]
            print(
                f"  turn {turn:>3}: {run.tests:>5} tests, {run.passed:>5} passed, "
                f"start {run.start_seconds:.2f} s, suite {run.suite_seconds:.2f} s"
            )
    print(f"floor (requests replayed, one process): {floor:.1f} s")
    print(f"ratio validation / floor: {result.seconds / floor:.2f}")
    # Wall times depend on what else the machine runs; CPU seconds much less so.
    print(f"CPU seconds: validation {cpu_validation:.1f}, floor {cpu_floor:.1f}")
    print(f"uptime load average at the end: {Path('/proc/loadavg').read_text().split()[0]}")
    if args.json is not None:
        figures = {
            "seed": args.seed, "turns": len(turns), "seconds": result.seconds,
            "floor": floor, "cpu": cpu_validation, "floor_cpu": cpu_floor,
            "passing": passing, "load": os.getloadavg()[0],
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=1))
    app = render_server(turns[-1].schema)["app.py"]
    print(f"ground truth at turn {len(turns)}: {len(app.splitlines())} lines of app.py")
    if args.sensitivity:
        checked = validate_turns(turns, sensitivity=True)
        detected, total = checked.detected()
        print(f"sensitivity: {detected}/{total} changed turns detected ({checked.seconds:.1f} s)")


def _cpu() -> float:
    """User + system CPU seconds of this process and its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
