"""Scenario generation figures: export time, cross-process determinism, schema size.

    uv run python benchmarks/bench_generate.py [--scenarios 20] [--turns 100]
        [--baseline DIR] [--profile] [--no-breakdown] [--json FILE]

Prints (a) the time to generate and write the set (wall and CPU of every worker, and
how much of that CPU the kernel spent creating files and folders; the target is
<= 10 s wall for 20 x 100 on an idle 2-core machine), the bytes on disk (a pack per
scenario) against one plain copy per path, and the seconds a step takes to load the
set (packs checked; a file when read) against checking every file, (b) whether two exports in
separate processes (different PYTHONHASHSEED) are byte-identical, with ``--baseline``
the same export by an earlier source tree measured between the two (ratios, and
whether its set digest, hence every rendered byte, is the same), and the load average
around each export; then (c) a breakdown in this process into sampling and each
renderer and the schema size at the last turn. ``--profile``: cProfile of generating
and rendering a few scenarios in one process, summarised by phase and by the
functions with the most time of their own.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from profile_step import cumulative  # this folder is first on sys.path

EXPORT = """
import json, os, sys, time
from pathlib import Path
from enduro.api.generator import GeneratorSpec
from enduro.scenarios.store import export_set
spec = GeneratorSpec(seed=int(sys.argv[1]), scenarios=int(sys.argv[2]), turns=int(sys.argv[3]))
def cpu():  # (all, kernel) of this process and its forked export workers
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system, t.system + t.children_system
wall, (start, kernel) = time.perf_counter(), cpu()
manifest = export_set(spec, Path(sys.argv[4]))
seconds, (end, kernel_end) = time.perf_counter() - wall, cpu()
packs = json.dumps(getattr(manifest, "packs", {}), sort_keys=True, separators=(",", ":"))
print(manifest.digest, seconds, end - start, len(manifest.files), kernel_end - kernel, packs)
"""


def export_in_subprocess(
    seed: int, scenarios: int, turns: int, out: Path, hash_seed: str, *, code: Path | None = None
) -> list[str]:
    """(set digest, wall, cpu, files, kernel cpu, digest of the packs' digests) of an export
    in a fresh process; ``code``: the
    ``enduro`` package is imported from that source tree (a baseline) instead of this one."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    if code is not None:
        env["PYTHONPATH"] = str(code / "operator")
    args = [sys.executable, "-c", EXPORT, str(seed), str(scenarios), str(turns), str(out)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.split()


def difference(first: list[str], second: list[str]) -> str:
    """What differs between two exports' (set digest, ..., packs) lines, or "": the files
    (the set digest), or only the packs' bytes, named."""
    if first[0] != second[0]:
        return f"DIFFERENT files (set digest {first[0][:16]} against {second[0][:16]})"
    packs, again = json.loads(first[5]), json.loads(second[5])
    named = sorted(n for n in packs.keys() | again.keys() if packs.get(n) != again.get(n))
    return f"DIFFERENT packs, the same files: {', '.join(named)}" if named else ""


def sizes(root: Path) -> tuple[int, int]:
    """(bytes on disk, counting each hard-linked file once; bytes of every path the set
    lists, a pack's members at their uncompressed size)."""
    seen: set[int] = set()
    stored = logical = 0
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as pack:
                    logical += sum(info.file_size for info in pack.infolist())
            else:
                logical += stat.st_size
            if stat.st_ino not in seen:
                seen.add(stat.st_ino)
                stored += stat.st_size
    return stored, logical


def load_seconds(root: Path) -> tuple[float, float]:
    """Seconds to load the set at ``root`` checking every file, then as a step does (each
    pack's digest; the step reads its turn, the first of the last scenario)."""
    from enduro.scenarios.store import load_set

    start = time.perf_counter()
    load_set(root)
    every_file = time.perf_counter() - start
    start = time.perf_counter()
    loaded = load_set(root, every_file=False)
    loaded.turn(loaded.spec.scenarios - 1, 1)
    return every_file, time.perf_counter() - start


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


# (label, file suffix, function) whose cumulative time the profile summary prints;
# phases nest (a remembered group's first rendering is inside "render suite").
PHASES = (
    ("sampling (draw every turn)", "scenarios/generator.py", "upto"),
    ("render suite (tests/)", "render/suite.py", "render_suite"),
    ("  entity modules", "render/suite.py", "module"),
    ("    field tests, made (not reused)", "render/suite.py", "field_tests"),
    ("    action tests, made (not reused)", "render/suite.py", "action_tests"),
    ("      plans.plan", "render/plans.py", "plan"),
    ("    what a reuse key reads", "render/suite.py", "plan_reads"),
    ("  analytics module", "render/suite_analytics.py", "analytics_module"),
    ("    analytics tests, made (not reused)", "render/suite_analytics.py", "analytics_tests"),
    ("  conftest.py", "render/suite.py", "_conftest"),
    ("    pattern strings (once per pattern)", "render/values.py", "_pattern_strings"),
    ("  module text (Module.render)", "render/suite.py", "render"),
    ("render ground truth (app.py)", "render/server.py", "render_server"),
    ("render SPEC.md", "render/spec.py", "render_spec"),
    ("render openapi.yaml", "render/openapi.py", "render_openapi"),
    ("schema.yaml", "scenarios/schema.py", "to_yaml"),
)


def profile(seed: int, scenarios: int, turns: int, top: int = 12) -> None:
    """Where generation time goes, from cProfile (every figure inflated by it)."""
    from enduro.api.generator import GeneratorSpec
    from enduro.scenarios.generator import generate_scenario
    from enduro.scenarios.store import RENDERERS

    spec = GeneratorSpec(seed=seed, scenarios=scenarios, turns=turns)

    def render_all() -> None:
        for scenario in range(scenarios):
            for turn in generate_scenario(spec, scenario):
                for render in RENDERERS.values():
                    render(turn)

    profiler = cProfile.Profile()
    profiler.runcall(render_all)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"profile: {scenarios} x {turns} in one process under cProfile, {total:.2f} s:")
    for label, suffix, function in PHASES:
        seconds = cumulative(stats, suffix, function)
        print(f"  {label:<44} {seconds:6.2f} s  {seconds / total:4.0%}")
    print(f"  top {top} functions by own time:")
    own = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda item: item[1][2],
        reverse=True,
    )
    for (path, line, name), entry in own[:top]:
        where = f"{Path(path).name}:{line}" if line else path
        print(f"    {entry[2]:6.2f} s own, {entry[3]:6.2f} s cum  {name} ({where})")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


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
    parser.add_argument(
        "--profile", action="store_true", help="cProfile a few scenarios and summarise"
    )
    parser.add_argument("--profile-scenarios", type=int, default=2)
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip (c), the one-process breakdown"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here (bench_all.py)")
    args = parser.parse_args()
    run = (args.seed, args.scenarios, args.turns)
    load_before = os.getloadavg()[0]
    print(f"{os.cpu_count()} cpus; {load()} before")
    with tempfile.TemporaryDirectory() as tmp:
        # Now, the baseline, now again: both trees meet about the same load. Nothing is
        # deleted until the end: creating files right after deleting thousands is slower
        # on ext4 (it skips recently freed inodes), which would favour the first export.
        first = export_in_subprocess(*run, Path(tmp) / "a", "1")
        print(f"    after the first export: {load()}")
        base: list[str] | None = None
        base_stored = 0
        if args.baseline is not None:
            out = Path(tmp) / "base"
            base = export_in_subprocess(*run, out, "1", code=args.baseline)
            base_stored, _ = sizes(out)
            print(f"    after the baseline's export: {load()}")
        second = export_in_subprocess(*run, Path(tmp) / "b", "999")
        print(f"    after the second export: {load()}")
        stored, logical = sizes(Path(tmp) / "a")
        every_file, by_packs = load_seconds(Path(tmp) / "a")
    digest, files = first[0], first[3]
    walls = [float(first[1]), float(second[1])]
    cpus = [float(first[2]), float(second[2])]
    kernels = [float(first[4]), float(second[4])]
    print(
        f"(a) generate + write {args.scenarios} x {args.turns}: "
        f"{walls[0]:.2f} s / {walls[1]:.2f} s wall (two runs), "
        f"{cpus[0]:.2f} s / {cpus[1]:.2f} s cpu (all workers; in the kernel, creating "
        f"files and folders: {kernels[0]:.2f} s / {kernels[1]:.2f} s), {files} files"
    )
    print(
        f"    bytes written {stored / 1e6:.0f} MB (a pack per scenario, each distinct "
        f"content deflated once), against {logical / 1e6:.0f} MB as one plain copy per "
        f"path: {stored / logical:.2f}x (target <= 250 MB at 20 x 100)"
    )
    print(
        f"    loading the set as a step does: {by_packs:.2f} s (each pack's digest; a file "
        f"when it is read), against {every_file:.2f} s checking every file at load "
        f"({by_packs / every_file:.2f}x)"
    )
    found = difference(first, second)
    same = not found
    print(f"(b) determinism across processes: {found or 'identical'} ({digest[:16]})")
    if base is not None:
        wall_now, cpu_now = statistics.mean(walls), statistics.mean(cpus)
        verdict = "the same" if base[0] == digest else "a DIFFERENT"
        print(
            f"    against the baseline {args.baseline} measured between them: wall "
            f"{wall_now / float(base[1]):.2f}x ({float(base[1]):.2f} s), cpu "
            f"{cpu_now / float(base[2]):.2f}x ({float(base[2]):.2f} s, kernel "
            f"{float(base[4]):.2f} s), bytes "
            f"{stored / base_stored:.2f}x ({base_stored / 1e6:.0f} MB); "
            f"{verdict} set digest (the same: every file byte-identical)"
        )
    if args.json is not None:
        figures: dict[str, object] = {
            "scenarios": args.scenarios,
            "turns": args.turns,
            "wall": statistics.mean(walls),
            "cpu": statistics.mean(cpus),
            "kernel": statistics.mean(kernels),
            "bytes": stored,
            "identical": same,
            "load": load_before,
        }
        if base is not None:
            figures["baseline"] = {
                "wall": float(base[1]),
                "cpu": float(base[2]),
                "bytes": base_stored,
                "same_digest": base[0] == digest,
            }
        args.json.write_text(json.dumps(figures, indent=1))
    if args.profile:
        profile(args.seed, args.profile_scenarios, args.turns)
    if not args.no_breakdown:
        print("    breakdown (in this process):")
        breakdown(args.seed, args.scenarios, args.turns)


if __name__ == "__main__":
    main()
