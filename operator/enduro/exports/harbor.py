"""A finished run as a Harbor job folder (`enduro export harbor RUN_DIR OUT_DIR`).

Harbor (the Terminal-Bench harness) keeps a job as a folder with a job-level
`result.json` and one folder per trial, a trial being one agent run on one task and its
verification: `result.json`, `agent/trajectory.json` (ATIF) and `verifier/` (`reward.txt`,
`ctrf.json`). `harbor view` and other tools read that layout. An Enduro turn is the
closest thing to a trial (one agent run, one verification, one reward, one trajectory),
so each (scenario, turn) becomes a trial, named `scenario-SSS-turn-TTT`, with the turn's
last attempt: the one its score comes from. The trial's reward is the turn's score
(passed/total, or the contract's weighted score); a step that failed for a reason other
than failing tests (an agent crash or timeout, a server that never started, a suite that
timed out) is the trial's `exception_info`, its type the failure class.

Times: the verifier's from the CTRF report the test step wrote; the agent's end is taken
as the verifier's start (the test step follows the agent step) and its start as that less
the agent seconds the trajectory records. A run written before CTRF reports has no times.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from enduro.agents import atif
from enduro.artifacts import Artifacts, write_text_atomic
from enduro.reports.attempts import AgentFailure, AttemptRecord, SuiteFailure
from enduro.reports.report import RunReport, ScenarioResult, read_report
from enduro.runtime.local import scenario_dir

_NOT_A_FAILURE = (SuiteFailure.NONE, SuiteFailure.TESTS_FAILED)


@dataclass(frozen=True)
class Trial:
    reward: float
    failed: bool
    model: str | None
    started_at: str | None
    finished_at: str | None


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _timing(started: datetime | None, finished: datetime | None) -> dict[str, str] | None:
    if started is None or finished is None:
        return None
    return {"started_at": _iso(started), "finished_at": _iso(finished)}


def _exception(record: AttemptRecord | None, scored: bool, reason: str) -> dict[str, str] | None:
    """The step failure of the attempt (`record`: its failure classes, when the report has
    them; `scored`: whether a result was written), or None when only tests fell short."""
    if record is None:
        not_run = {"exception_type": SuiteFailure.NOT_RUN.value, "exception_message": reason}
        return None if scored else not_run
    if record.agent_failure is not AgentFailure.NONE:
        kind = record.agent_failure.value
    elif record.suite_failure not in _NOT_A_FAILURE:
        kind = record.suite_failure.value
    else:
        return None
    return {"exception_type": kind, "exception_message": record.reason or reason}


def _trial(
    report: RunReport, scenario: ScenarioResult, turn: int, store: Artifacts, out: Path
) -> Trial:
    summary = next(t for t in scenario.turns if t.turn == turn)
    attempt = summary.attempts
    record = next((a for a in scenario.attempts if (a.turn, a.attempt) == (turn, attempt)), None)
    name = f"scenario-{scenario.scenario:03d}-turn-{turn:03d}"
    trial_dir = out / name
    agent_info: dict[str, Any] = {"name": report.harness or report.agent, "version": "unknown"}
    agent_result: dict[str, Any] = {}
    trajectory_file = store.trajectory(turn, attempt)
    if trajectory_file.is_file():
        trajectory = atif.read(trajectory_file)
        write_text_atomic(trial_dir / "agent" / "trajectory.json", atif.to_json(trajectory))
        agent_info.update(name=trajectory.agent.name, version=trajectory.agent.version)
        if trajectory.agent.model_name:
            agent_info["model_info"] = {"name": trajectory.agent.model_name}
        metrics = trajectory.final_metrics or atif.FinalMetrics()
        agent_result = {
            "n_input_tokens": metrics.total_prompt_tokens,
            "n_cache_tokens": metrics.total_cached_tokens,
            "n_output_tokens": metrics.total_completion_tokens,
            "cost_usd": metrics.total_cost_usd,
        }
    agent_result["metadata"] = {
        "enduro_agent": report.agent,
        "scenario": scenario.scenario,
        "turn": turn,
        "attempts": attempt,
        "passed": summary.passed,
        "total": summary.total,
        "passed_turn": summary.passed_turn,
    }
    verifier_started = verifier_finished = None
    verifier_dir = trial_dir / "verifier"
    verifier_dir.mkdir(parents=True, exist_ok=True)
    (verifier_dir / "reward.txt").write_text(f"{summary.score}\n")
    ctrf_file = store.test_result_ctrf(turn, attempt)
    if ctrf_file.is_file():
        shutil.copyfile(ctrf_file, verifier_dir / "ctrf.json")
        times = json.loads(ctrf_file.read_text())["results"]["summary"]
        verifier_started, verifier_finished = _from_ms(times["start"]), _from_ms(times["stop"])
    native = store.test_result(turn, attempt)
    if native.is_file():
        shutil.copyfile(native, verifier_dir / "enduro-result.json")
    agent_seconds = record.agent_seconds if record else 0.0
    agent_started = (
        verifier_started - timedelta(seconds=agent_seconds) if verifier_started else None
    )
    started_at = _iso(agent_started) if agent_started else None
    finished_at = _iso(verifier_finished) if verifier_finished else None
    exception = _exception(record, native.is_file(), summary.reason or "")
    result = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"enduro:{report.label}/{name}")),
        "task_name": name,
        "trial_name": name,
        "trial_uri": trial_dir.resolve().as_uri(),
        "source": report.benchmark,
        "agent_info": agent_info,
        "agent_result": agent_result,
        "verifier_result": {"rewards": {"reward": summary.score}},
        "exception_info": exception,
        "started_at": started_at,
        "finished_at": finished_at,
        "agent_execution": _timing(agent_started, verifier_started),
        "verifier": _timing(verifier_started, verifier_finished),
    }
    write_text_atomic(trial_dir / "result.json", json.dumps(result, indent=2) + "\n")
    return Trial(
        reward=summary.score,
        failed=exception is not None,
        model=agent_info.get("model_info", {}).get("name"),
        started_at=started_at,
        finished_at=finished_at,
    )


def export_job(run_dir: Path, out: Path) -> list[Trial]:
    """Write the Harbor job folder of the local run in `run_dir` (its `report.json` and
    `scenario_N/` artifacts) to `out`; the trials, in order."""
    report = read_report(run_dir)
    trials = [
        _trial(
            report, scenario, turn.turn, Artifacts(scenario_dir(run_dir, scenario.scenario)), out
        )
        for scenario in report.results
        for turn in scenario.turns
    ]
    errors = sum(t.failed for t in trials)
    started = [t.started_at for t in trials if t.started_at]
    finished = [t.finished_at for t in trials if t.finished_at]
    model = next((t.model for t in trials if t.model), None)
    evals_key = f"{report.harness or report.agent}__{model or 'none'}__{report.benchmark}"
    mean = sum(t.reward for t in trials) / len(trials) if trials else 0.0
    job = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"enduro:{report.label}")),
        "started_at": min(started) if started else None,
        "finished_at": max(finished) if finished else None,
        "n_total_trials": len(trials),
        "stats": {
            "n_trials": len(trials),
            "n_errors": errors,
            "evals": {
                evals_key: {
                    "n_trials": len(trials),
                    "n_errors": errors,
                    "metrics": [{"mean": round(mean, 4)}],
                }
            },
        },
    }
    write_text_atomic(out / "result.json", json.dumps(job, indent=2) + "\n")
    return trials
