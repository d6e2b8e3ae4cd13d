"""The summary table (terminal) and ``report.md`` of one or several runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from enduro.api.scenariorun import TurnSummary
from enduro.reports.attempts import AttemptRecord, failure_counts
from enduro.reports.curves import attempts_per_turn, survival, turn_scores
from enduro.reports.plots import PLOTS
from enduro.reports.report import RunReport

COLUMNS = (
    "run", "agent", "benchmark", "scenarios", "turns", "score", "success", "stamina", "isolation"
)  # fmt: skip
NOT_TAMPER_PROOF = "NOT tamper-proof"


def isolation_label(report: RunReport) -> str:
    """`bwrap`, `pod`, or a warning that the agent could have changed its score."""
    if report.tamper_proof:
        return report.isolation
    return f"{report.isolation or 'unknown'}: {NOT_TAMPER_PROOF}"


def summary_rows(reports: Sequence[RunReport]) -> list[tuple[str, ...]]:
    return [
        (
            r.label,
            r.agent,
            r.benchmark,
            str(r.num_tasks),
            str(r.n_turns),
            f"{r.average_score:.3f}",
            f"{r.success_rate:.0%}",
            f"{r.mean_stamina:.1f}",
            isolation_label(r),
        )
        for r in reports
    ]


def print_summary(reports: Sequence[RunReport]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Enduro runs")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column not in ("run", "agent") else "left")
    for row in summary_rows(reports):
        table.add_row(*row)
    Console().print(table)


def render_markdown(reports: Sequence[RunReport], plots: Sequence[Path]) -> str:
    lines = ["# Enduro report", "", "| " + " | ".join(COLUMNS) + " |"]
    lines.append("|" + "---|" * len(COLUMNS))
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(reports)]
    exposed = [r.label for r in reports if not r.tamper_proof]
    if exposed:
        lines += [
            "",
            f"**Warning:** the scores of {', '.join(exposed)} are {NOT_TAMPER_PROOF}: the "
            "agent ran without a sandbox and could have read the tests or changed its score.",
        ]
    for plot in plots:
        lines += ["", f"![{PLOTS.get(plot.name, plot.stem)}]({plot.name})"]
    for r in reports:
        lines += ["", f"## {r.label}", "", "| scenario | phase | score | stamina | turns passed |"]
        lines.append("|---|---|---|---|---|")
        lines += [
            f"| {s.scenario} | {s.phase} | {s.score:.3f} | {s.stamina} | {s.turns_passed} |"
            for s in r.results
        ]
        lines += [
            "",
            "| turn | mean score | survival | mean attempts | agent failures | "
            "infrastructure retries | tokens in/out | cost USD | "
            "seconds agent/server start/suite |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        alive, scores, attempts = survival(r), turn_scores(r), attempts_per_turn(r)
        for t in range(1, r.n_turns + 1):
            a = attempts[t - 1]
            played = [turn for s in r.results for turn in s.turns if turn.turn == t]
            failures = sum(turn.agent_failures or 0 for turn in played)
            retries = sum(turn.infra_retries or 0 for turn in played)
            tokens_in = sum(turn.tokens_in or 0 for turn in played)
            tokens_out = sum(turn.tokens_out or 0 for turn in played)
            cost = sum(turn.cost_usd or 0.0 for turn in played)
            lines.append(
                f"| {t} | {scores[t - 1]:.3f} | {alive[t]:.2f} | {'-' if a is None else a} "
                f"| {failures} | {retries} | {tokens_in}/{tokens_out} | {cost:.4f} "
                f"| {_seconds(played)} |"
            )
        lines += _attempt_lines([a for s in r.results for a in s.attempts])
    return "\n".join(lines) + "\n"


def _attempt_lines(attempts: Sequence[AttemptRecord]) -> list[str]:
    """Every attempt, per turn: how many, mean seconds by part, and its failure classes."""
    if not attempts:
        return []
    lines = [
        "",
        "Every attempt (from the artifacts), per turn:",
        "",
        "| turn | attempts | mean seconds agent/server start/suite | failure classes |",
        "|---|---|---|---|",
    ]
    counts = failure_counts(attempts)
    for turn in sorted({a.turn for a in attempts}):
        of_turn = [a for a in attempts if a.turn == turn]
        n = len(of_turn)
        seconds = "/".join(
            f"{sum(getattr(a, part) for a in of_turn) / n:.1f}"
            for part in ("agent_seconds", "server_start_seconds", "suite_seconds")
        )
        classes = ", ".join(f"{name} {count}" for name, count in counts[turn].items()) or "-"
        lines.append(f"| {turn} | {n} | {seconds} | {classes} |")
    return lines


def _seconds(turns: Sequence[TurnSummary]) -> str:
    """Mean seconds of the turns' last attempts: agent / server start / suite."""
    timed = [t.seconds for t in turns if t.seconds is not None]
    if not timed:
        return "-"
    n = len(timed)
    parts = (sum(x.agent for x in timed), sum(x.server_start for x in timed))
    return "/".join(f"{v / n:.1f}" for v in (*parts, sum(x.suite for x in timed)))


def write_markdown_report(reports: Sequence[RunReport], out: Path) -> Path:
    from enduro.reports.plots import write_plots

    plots = write_plots(reports, out)
    path = out / "report.md"
    path.write_text(render_markdown(reports, plots))
    return path
