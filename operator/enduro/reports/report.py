"""``report.json``: one run's scores, in the layout of StaminaBench's ``output_dir``.

Top level: ``agent``, ``benchmark``, ``success_rate``, ``average_score``, ``num_tasks``,
``results`` (one entry per scenario: ``scenario``, ``score``, ``stamina``, ``turns``...),
plus Enduro's extras (``benchmark_run``, ``harness``, ``mean_stamina``, ``turns``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from enduro.api.scenariorun import ScenarioRunStatus, TurnSummary, Usage
from enduro.artifacts import write_text_atomic
from enduro.engine.run import aggregate_run
from enduro.sandbox.policy import Isolation

REPORT_FILE = "report.json"


class ScenarioResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scenario: int
    phase: str
    score: float
    stamina: int
    turns_passed: int
    turns: list[TurnSummary] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    message: str = ""


class RunReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agent: str
    harness: str = ""
    benchmark: str
    benchmark_run: str = ""
    n_turns: int
    success_rate: float
    average_score: float
    mean_stamina: float
    num_tasks: int
    results: list[ScenarioResult]
    isolation: str = ""
    """How the agent and its server were confined: `bwrap`, `pod`, or `none`."""
    tamper_proof: bool = False
    """False when the agent could have changed its own score (no sandbox)."""

    @property
    def label(self) -> str:
        return self.benchmark_run or f"{self.agent} on {self.benchmark}"


def build_report(
    *,
    agent: str,
    harness: str,
    benchmark: str,
    benchmark_run: str,
    n_turns: int,
    statuses: Mapping[int, ScenarioRunStatus],
    isolation: Isolation,
    scenario_turns: Mapping[int, int] | None = None,
) -> RunReport:
    """Scores over every scenario; one that has not ended counts with its score so far.
    `n_turns` is the longest scenario's turns; `scenario_turns` gives each scenario's
    when they differ (explicit scenarios)."""
    ordered = [statuses[i] for i in sorted(statuses)]
    turns = [(scenario_turns or {}).get(i, n_turns) for i in sorted(statuses)]
    aggregate = aggregate_run(ordered, total=len(ordered), turns=turns)
    results = [
        ScenarioResult(
            scenario=i,
            phase=s.phase.value,
            score=s.score or 0.0,
            stamina=s.stamina,
            turns_passed=s.turns_passed,
            turns=s.turns,
            usage=s.usage,
            message=s.message,
        )
        for i, s in sorted(statuses.items())
    ]
    return RunReport(
        agent=agent,
        harness=harness,
        benchmark=benchmark,
        benchmark_run=benchmark_run,
        n_turns=n_turns,
        success_rate=aggregate.success_rate or 0.0,
        average_score=aggregate.average_score or 0.0,
        mean_stamina=aggregate.mean_stamina or 0.0,
        num_tasks=len(results),
        results=results,
        isolation=isolation.value,
        tamper_proof=isolation.tamper_proof,
    )


def write_report(out: Path, report: RunReport) -> Path:
    path = out / REPORT_FILE
    data: dict[str, Any] = report.model_dump(mode="json", by_alias=False)
    write_text_atomic(path, json.dumps(data, indent=1))
    return path


def read_report(path: Path) -> RunReport:
    """A run's report from its directory (or the ``report.json`` itself)."""
    file = path / REPORT_FILE if path.is_dir() else path
    return RunReport.model_validate_json(file.read_text())
