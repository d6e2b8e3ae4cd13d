"""Scenario generation figures: export time, cross-process determinism, schema size.

    uv run python benchmarks/bench_generate.py [--scenarios 20] [--turns 100] [--baseline DIR]

Prints (a) the time to generate and write the set (wall and CPU; the target is <= 10 s
wall for 20 x 100 on an idle 2-core machine) and the bytes written (each distinct file
once) against one copy per path, split into sampling and each renderer,
(b) whether two exports in separate processes (different PYTHONHASHSEED) are
byte-identical, and (c) the schema size at the last turn.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPORT = """
import os, sys, time
from pathlib import Path
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.store import export_set
spec = GeneratorSpec(seed=int(sys.argv[1]), scenarios=int(sys.argv[2]), turns=int(sys.argv[3]))
def cpu():  # this process and its forked export workers
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
wall, start = time.perf_counter(), cpu()
manifest = export_set(spec, Path(sys.argv[4]))
print(manifest.digest, time.perf_counter() - wall, cpu() - start, len(manifest.files))
"""


def export_in_subprocess(
    seed: int, scenarios: int, turns: int, out: Path, hash_seed: str, *, code: Path | None = None
) -> list[str]:
    """(digest, wall, cpu, files) of an export in a fresh process; ``code``: the ``enduro``
    package is imported from that source tree (a baseline) instead of this one."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    if code is not None:
        env["PYTHONPATH"] = str(code / "operator")
    args = [sys.executable, "-c", EXPORT, str(seed), str(scenarios), str(turns), str(out)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.split()


def sizes(root: Path) -> tuple[int, int]:
    """(bytes on disk, counting each hard-linked file once; bytes of every path)."""
    seen: set[int] = set()
    stored = logical = 0
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            logical += stat.st_size
            if stat.st_ino not in seen:
                seen.add(stat.st_ino)
                stored += stat.st_size
    return stored, logical


def breakdown(seed: int, scenarios: int, turns: int) -> None:
    from enduro.api.generator import GeneratorSpec
    from enduro.scenarios.generator import generate_scenario
    from enduro.scenarios.store import RENDERERS

    spec = GeneratorSpec(seed=seed, scenarios=scenarios, turns=turns)
    cpu = time.process_time()
    all_turns = [t for s in range(scenarios) for t in generate_scenario(spec, s)]
    print(f"  sampling (all turns)        {time.process_time() - cpu:7.2f} s cpu")
    for name, render in RENDERERS.items():
        cpu = time.process_time()
        size = sum(len(text) for t in all_turns for text in render(t).values())
        label = name or "core (schema, changes, md, openapi)"
        print(f"  render {label:<36} {time.process_time() - cpu:7.2f} s cpu, {size / 1e6:7.1f} MB")
    last = [t for t in all_turns if t.turn == turns]
    sizes = {
        "entities": [len(t.schema.entities) for t in last],
        "fields": [sum(len(e.fields) for e in t.schema.entities) for t in last],
        "actions": [sum(len(e.actions) for e in t.schema.entities) for t in last],
        "analytics": [len(t.schema.analytics) for t in last],
    }
    print(f"(c) schema size at turn {turns} over {scenarios} scenarios (mean / min / max):")
    for key, values in sizes.items():
        print(f"  {key:<10} {statistics.mean(values):6.1f} / {min(values):4d} / {max(values):4d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=20)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a source tree of an earlier version (git archive/worktree) to measure alike",
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory() as tmp:
        first = export_in_subprocess(args.seed, args.scenarios, args.turns, Path(tmp) / "a", "1")
        second = export_in_subprocess(args.seed, args.scenarios, args.turns, Path(tmp) / "b", "999")
        stored, logical = sizes(Path(tmp) / "a")
    digest, wall, cpu, files = first
    print(
        f"(a) generate + write {args.scenarios} x {args.turns}: {float(wall):.2f} s wall, "
        f"{float(cpu):.2f} s cpu (all workers), {files} files "
        f"(second run: {float(second[1]):.2f} s wall)"
    )
    print(
        f"    bytes written {stored / 1e6:.0f} MB (distinct files; identical ones are hard "
        f"links), against {logical / 1e6:.0f} MB as one copy per path: "
        f"{stored / logical:.2f}x (target <= 250 MB at 20 x 100)"
    )
    same = first[0] == second[0]
    print(
        f"(b) determinism across processes: {'identical' if same else 'DIFFERENT'} ({digest[:16]})"
    )
    if args.baseline is not None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "base"
            base = export_in_subprocess(
                args.seed, args.scenarios, args.turns, out, "1", code=args.baseline
            )
            base_stored, _ = sizes(out)
        print(
            f"    against the baseline {args.baseline} measured now: wall "
            f"{float(wall) / float(base[1]):.2f}x ({float(base[1]):.2f} s), cpu "
            f"{float(cpu) / float(base[2]):.2f}x ({float(base[2]):.2f} s), bytes "
            f"{stored / base_stored:.2f}x ({base_stored / 1e6:.0f} MB), "
            f"{'same' if base[0] == digest else 'a different'} set digest"
        )
    print("    breakdown (in this process):")
    breakdown(args.seed, args.scenarios, args.turns)


if __name__ == "__main__":
    main()
