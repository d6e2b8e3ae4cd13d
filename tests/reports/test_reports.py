"""report.json, the per-turn curves, report.md and the plots of one or several runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus, TurnSummary
from enduro.reports.curves import attempts_per_turn, survival, turn_scores
from enduro.reports.report import RunReport, build_report, read_report, write_report
from enduro.reports.summary import render_markdown
from enduro.sandbox.policy import Isolation


def _turn(turn: int, score: float, attempts: int = 1) -> TurnSummary:
    return TurnSummary(
        turn=turn,
        attempts=attempts,
        passed=int(score * 10),
        total=10,
        score=score,
        passed_turn=score == 1.0,
    )


def _status(*turns: TurnSummary) -> ScenarioRunStatus:
    ts = list(turns)
    stamina = 0
    for t in ts:
        if not t.passed_turn:
            break
        stamina += 1
    return ScenarioRunStatus(
        phase=ScenarioPhase.SUCCEEDED,
        turns=ts,
        score=round(sum(t.score for t in ts) / 3, 4),
        stamina=stamina,
        turns_passed=sum(t.passed_turn for t in ts),
    )


def _report(run: str = "run-a") -> RunReport:
    return build_report(
        agent="oracle",
        harness="oracle",
        benchmark="bench",
        benchmark_run=run,
        n_turns=3,
        isolation=Isolation.BWRAP,
        statuses={
            0: _status(_turn(1, 1.0), _turn(2, 1.0), _turn(3, 1.0)),
            1: _status(_turn(1, 1.0), _turn(2, 0.5, attempts=3), _turn(3, 1.0, attempts=2)),
        },
    )


def test_report_has_staminabench_fields(tmp_path: Path) -> None:
    path = write_report(tmp_path, _report())
    data = json.loads(path.read_text())
    for key in ("agent", "benchmark", "success_rate", "average_score", "num_tasks", "results"):
        assert key in data
    assert data["num_tasks"] == 2
    assert data["success_rate"] == 0.5
    assert data["average_score"] == round((1.0 + round(2.5 / 3, 4)) / 2, 4)
    assert [r["stamina"] for r in data["results"]] == [3, 1]
    assert data["results"][1]["turns"][1]["attempts"] == 3
    assert read_report(tmp_path) == _report()


def test_curves() -> None:
    report = _report()
    assert survival(report) == [1.0, 1.0, 0.5, 0.5]
    assert turn_scores(report) == [1.0, 0.75, 1.0]
    assert attempts_per_turn(report) == [1.0, 2.0, 1.5]


def test_markdown_has_the_summary_and_per_turn_tables() -> None:
    text = render_markdown([_report(), _report("run-b")], [Path("survival.png")])
    assert "| run-a | oracle | bench | 2 | 3 | 0.917 | 50% | 2.0 |" in text
    assert "## run-b" in text
    assert "| 2 | 0.750 | 0.50 | 2.0 |" in text
    assert "![Stamina survival" in text


def test_enduro_report_compares_runs(tmp_path: Path) -> None:
    a, b, out = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    write_report(a, _report("run-a"))
    write_report(b, _report("run-b"))
    proc = subprocess.run(
        ["enduro", "report", str(a), str(b), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "run-a" in proc.stdout and "run-b" in proc.stdout
    for name in ("report.md", "survival.png", "turn_scores.png", "attempts.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "survival.png").read_bytes()[:4] == b"\x89PNG"


def test_enduro_report_names_a_directory_without_report(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["enduro", "report", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "no readable report.json" in proc.stderr


def test_markdown_shows_failure_classes_usage_and_timing_per_turn(tmp_path: Path) -> None:
    from enduro.api.scenariorun import AttemptSeconds, ScenarioRunStatus, TurnSummary
    from enduro.reports.summary import render_markdown

    turn = TurnSummary(
        turn=1, attempts=2, passed=1, total=2, score=0.5, passed_turn=False,
        agent_failures=1, infra_retries=2, tokens_in=100, tokens_out=10, cost_usd=0.5,
        seconds=AttemptSeconds(agent=12.0, server_start=1.5, suite=3.0),
    )  # fmt: skip
    status = ScenarioRunStatus(phase="Succeeded", turns=[turn], score=0.5)
    report = build_report(
        agent="a", harness="oracle", benchmark="b", benchmark_run="r", n_turns=1,
        statuses={0: status}, isolation=Isolation.POD,
    )  # fmt: skip
    text = render_markdown([report], [])
    assert "| 1 | 0.500 | 0.00 | 2.0 | 1 | 2 | 100/10 | 0.5000 | 12.0/1.5/3.0 |" in text
