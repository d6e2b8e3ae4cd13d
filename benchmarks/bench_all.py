"""Every figure of issue #17 in one run, side by side with its target and the load.

    uv run python benchmarks/bench_all.py            # the sizes the issue names (~25 min)
    uv run python benchmarks/bench_all.py --quick    # smaller sizes, the same figures

Runs the four scripts one after another, each in a process of its own with
``--json``, and prints one table: figure, measured, target, met. Each figure comes
with the one-minute load average when it was measured: on a shared 2-core machine a
figure moves by +-30 % with the load, which is why the overhead and the whole run are
printed as ratios to a floor measured in the same run, and why no test holds a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Sizes:
    overhead_repeats: int
    run_scenarios: int
    run_turns: int
    generate_scenarios: int
    validate_turns: int
    operator_sizes: tuple[int, ...]
    operator_turns: int
    many: int


FULL = Sizes(3, 2, 30, 20, 100, (50, 200), 3, 1000)
QUICK = Sizes(2, 1, 20, 10, 50, (50, 200), 2, 250)


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: reported, no target
    load: float


def run_script(name: str, args: list[str], out: Path) -> dict[str, Any]:
    """Runs ``benchmarks/<name>`` with ``--json``; its own printout goes to stderr."""
    started = time.perf_counter()
    target = out / f"{name}.json"
    command = [sys.executable, str(HERE / name), *args, "--json", str(target)]
    print(f"# {' '.join(command[1:])}", file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=sys.stderr)
    print(f"# {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    figures: dict[str, Any] = json.loads(target.read_text())
    return figures


def local_rows(figures: dict[str, Any]) -> list[Row]:
    rows = []
    for turn in (50, 100):
        f = figures[f"overhead_turn_{turn}"]
        rows.append(
            Row(
                f"test step pair overhead at turn {turn} / floor",
                f"{f['ratio']:.2f}x ({f['seconds']:.1f} s vs {f['floor']:.1f} s; "
                f"{f['warm_up']:.1f} s warm-up beside the agent)",
                "<= 1.2x",
                f["ratio"] <= 1.2,
                f["load"],
            )
        )
    run = figures["whole_run"]
    rows.append(
        Row(
            f"oracle {run['scenarios']} x {run['turns']} (parallelism {run['parallelism']}) "
            "/ floor summed",
            f"{run['ratio']:.2f}x ({run['seconds']:.0f} s vs {run['floor_share']:.0f} s), "
            f"score {run['score']}",
            "<= 1.3x",
            run["ratio"] <= 1.3 and run["score"] == 1.0,
            run["load"],
        )
    )
    return rows


def generate_rows(figures: dict[str, Any]) -> list[Row]:
    size = f"{figures['scenarios']} x {figures['turns']}"
    scale = 20 / figures["scenarios"]  # the targets are for 20 scenarios
    return [
        Row(
            f"generate + write {size}",
            f"{figures['wall']:.1f} s wall, {figures['cpu']:.1f} s CPU",
            f"<= {10 / scale:g} s",
            figures["wall"] * scale <= 10,
            figures["load"],
        ),
        Row(
            f"bytes of a {size} set",
            f"{figures['bytes'] / 1e6:.0f} MB"
            + ("" if figures["identical"] else " (NOT identical across processes)"),
            f"<= {250 / scale:g} MB",
            figures["bytes"] * scale <= 250e6 and figures["identical"],
            figures["load"],
        ),
    ]


def validate_rows(figures: dict[str, Any]) -> list[Row]:
    turns = figures["turns"]
    limit = 120 * turns / 100
    return [
        Row(
            f"validate {turns} turns (seed {figures['seed']}), floor summed beside it",
            f"{figures['seconds']:.0f} s (floor {figures['floor']:.0f} s in one process), "
            f"{figures['passing']}/{turns} pass",
            f"<= {limit:g} s",
            figures["seconds"] <= limit and figures["passing"] == turns,
            figures["load"],
        )
    ]


def operator_rows(figures: dict[str, Any]) -> list[Row]:
    rows = []
    for size, f in figures["sizes"].items():
        rows += [
            Row(
                f"operator CPU per step, {size} in flight",
                f"{f['cpu_ms_per_step']:.1f} ms (emulator {f['emulator_cpu_ms_per_step']:.1f} ms)",
                "<= 4 ms",
                f["cpu_ms_per_step"] <= 4,
                f["load"],
            ),
            Row(
                f"operator API writes per turn, {size} in flight",
                f"{f['writes_per_turn']:.1f}",
                "<= 6",
                f["writes_per_turn"] <= 6,
                f["load"],
            ),
            Row(
                f"step latency, {size} in flight (median / p99)",
                f"{f['latency_median_ms']:.0f} / {f['latency_p99_ms']:.0f} ms",
                "reported",
                None,
                f["load"],
            ),
        ]
        if "operator_latency_median_ms" in f:
            rows.append(
                Row(
                    f"step latency, operator on a core of its own, {size} in flight (median)",
                    f"{f['operator_latency_median_ms']:.0f} ms",
                    "<= 100 ms",
                    f["operator_latency_median_ms"] <= 100,
                    f["load"],
                )
            )
    many = figures["many"]
    rows.append(
        Row(
            f"{many['runs']} ScenarioRuns: operator peak RSS, steps missed / repeated",
            f"{many['rss_mib']:.0f} MiB, {many['missed']} / {many['repeated']}",
            "<= 300 MiB, 0 / 0",
            many["rss_mib"] <= 300 and many["missed"] == many["repeated"] == 0,
            many["load"],
        )
    )
    return rows


def table(rows: list[Row]) -> str:
    header = ("figure", "measured", "target", "met", "load")
    lines = [
        (r.figure, r.measured, r.target, "-" if r.met is None else "yes" if r.met else "NO",
         f"{r.load:.1f}")
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    out = []
    for i, line in enumerate([header, *lines]):
        out.append(" | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))
        if i == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, same figures")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="enduro-bench-all-") as tmp:
        out = Path(tmp)
        local = run_script(
            "bench_local.py",
            ["--overhead-turns", "50,100", "--repeats", str(sizes.overhead_repeats),
             "--scenarios", str(sizes.run_scenarios), "--turns", str(sizes.run_turns),
             "--parallelism", "2"],
            out,
        )  # fmt: skip
        rows += local_rows(local)
        generate = run_script(
            "bench_generate.py",
            ["--scenarios", str(sizes.generate_scenarios), "--turns", "100", "--no-breakdown"],
            out,
        )
        rows += generate_rows(generate)
        validate = run_script(
            "bench_validate.py", ["--seed", "11", "--turns", str(sizes.validate_turns)], out
        )
        rows += validate_rows(validate)
        operator = run_script(
            "bench_operator.py",
            ["--sizes", *map(str, sizes.operator_sizes), "--turns", str(sizes.operator_turns),
             "--many", str(sizes.many), "--own-core"],
            out,
        )  # fmt: skip
        rows += operator_rows(operator)
    print(table(rows))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
