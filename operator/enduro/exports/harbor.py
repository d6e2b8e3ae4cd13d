"""A finished run as a Harbor job folder (`enduro export harbor RUN_DIR OUT_DIR`).

Harbor (the Terminal-Bench harness) keeps a job as a folder with the job's `config.json`
and `result.json` and one folder per trial, a trial being one agent run on one task and
its verification: `config.json`, `result.json`, `agent/trajectory.json` (ATIF) and
`verifier/` (`reward.txt`, `ctrf.json`). `harbor view` and other tools read that layout.
An Enduro attempt is exactly that (one agent step, one test or scoring step, one reward,
one trajectory), so every attempt of every turn becomes a trial, named
`scenario-SSS-turn-TTT-attempt-A`, of the task `BENCHMARK/scenario-SSS-turn-TTT`: a turn
retried after failing tests is a task with several trials, as a Harbor job with retries
or several attempts per task has. The trial's reward is the attempt's score (passed/total,
or the contract's weighted score; the last attempt's is the turn's score); a step that
failed for a reason other than failing tests (an agent crash or timeout, a server that
never started, a suite that timed out) is the trial's `exception_info`, its type the
failure class.

Times: the verifier's from the CTRF report the test step wrote; the agent's end is taken
as the verifier's start (the test step follows the agent step) and its start as that less
the agent seconds the trajectory records. A run written before CTRF reports has no times.
"""

from __future__ import annotations

import hashlib
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
from enduro.reports.report import REPORT_FILE, RunReport, ScenarioResult, read_report
from enduro.runtime.local import scenario_dir

_NOT_A_FAILURE = (SuiteFailure.NONE, SuiteFailure.TESTS_FAILED)
REWARD = "reward"


@dataclass(frozen=True)
class Trial:
    name: str
    task: str
    reward: float | None
    exception_type: str | None
    agent: str
    model: str | None
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def failed(self) -> bool:
        return self.exception_type is not None


@dataclass(frozen=True)
class _Job:
    report: RunReport
    out: Path
    id: str
    ended: datetime  # when the run's report was written: the time of last resort


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _timing(started: datetime | None, finished: datetime | None) -> dict[str, str] | None:
    if started is None or finished is None:
        return None
    return {"started_at": started.isoformat(), "finished_at": finished.isoformat()}


def _write_json(path: Path, document: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(document, indent=2) + "\n")


def _load(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _attempt_score(result: dict[str, Any]) -> float:
    """An attempt's score from its native result, as the turn's summary computes it."""
    if result.get("contractScore") is not None:
        return float(result["contractScore"])
    total = int(result.get("total") or 0)
    return round(int(result.get("passed") or 0) / total, 4) if total else 0.0


def _exception_type(record: AttemptRecord | None, scored: bool) -> str | None:
    """The step failure of the attempt (`record`: its failure classes, when the report has
    them; `scored`: whether a result was written), or None when only tests fell short."""
    if record is None:
        return None if scored else SuiteFailure.NOT_RUN.value
    if record.agent_failure is not AgentFailure.NONE:
        return record.agent_failure.value
    if record.suite_failure not in _NOT_A_FAILURE:
        return record.suite_failure.value
    return None


def _task(job: _Job, scenario: int, turn: int) -> str:
    return f"{job.report.benchmark}/scenario-{scenario:03d}-turn-{turn:03d}"


def _task_config(job: _Job, task: str) -> dict[str, Any]:
    """Harbor's TaskConfig of a turn: a task by name (`ORG/NAME`), the benchmark its
    dataset (an Enduro turn is no Harbor task directory that could be given by path)."""
    return {"name": task, "source": job.report.benchmark}


def _agent_config(agent: str, model: str | None) -> dict[str, Any]:
    return {"name": agent} | ({"model_name": model} if model else {})


def _checksum(store: Artifacts, turn: int, task: str) -> str:
    """What the agent was asked to do: the turn's CHANGES.md, or the task's name when the
    run kept none (an explicit scenario's turn)."""
    changes = store.changes(turn)
    content = changes.read_bytes() if changes.is_file() else task.encode()
    return hashlib.sha256(content).hexdigest()


def _trial(job: _Job, scenario: ScenarioResult, turn: int, attempt: int, store: Artifacts) -> Trial:
    report = job.report
    summary = next(t for t in scenario.turns if t.turn == turn)
    record = next((a for a in scenario.attempts if (a.turn, a.attempt) == (turn, attempt)), None)
    task = _task(job, scenario.scenario, turn)
    name = f"scenario-{scenario.scenario:03d}-turn-{turn:03d}-attempt-{attempt}"
    trial_dir = job.out / name
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
    last = attempt == summary.attempts
    agent_result["metadata"] = {
        "enduro_agent": report.agent,
        "scenario": scenario.scenario,
        "turn": turn,
        "attempt": attempt,
        "last_attempt": last,
        "passed": record.passed if record else (summary.passed if last else None),
        "total": record.total if record else (summary.total if last else None),
        "passed_turn": summary.passed_turn if last else False,
    }
    verifier_dir = trial_dir / "verifier"
    verifier_dir.mkdir(parents=True, exist_ok=True)
    verifier_started = verifier_finished = None
    ctrf_file = store.test_result_ctrf(turn, attempt)
    if ctrf_file.is_file():
        shutil.copyfile(ctrf_file, verifier_dir / "ctrf.json")
        times = json.loads(ctrf_file.read_text())["results"]["summary"]
        verifier_started, verifier_finished = _from_ms(times["start"]), _from_ms(times["stop"])
    native_file = store.test_result(turn, attempt)
    native = _load(native_file)
    if native is not None:
        shutil.copyfile(native_file, verifier_dir / "enduro-result.json")
    # The last attempt's reward is the turn's score, whatever the files say; an earlier
    # attempt's comes from its result, and an attempt never verified has none.
    reward = summary.score if last else (_attempt_score(native) if native is not None else None)
    if reward is not None:
        (verifier_dir / "reward.txt").write_text(f"{reward}\n")
    agent_seconds = record.agent_seconds if record else 0.0
    agent_started = (
        verifier_started - timedelta(seconds=agent_seconds) if verifier_started else None
    )
    exception_type = _exception_type(record, native is not None)
    exception = None
    if exception_type is not None:
        reason = (record.reason if record else "") or (summary.reason if last else "") or ""
        exception = {
            "exception_type": exception_type,
            "exception_message": reason,
            "exception_traceback": "",
            "occurred_at": (verifier_finished or job.ended).isoformat(),
        }
    config = {
        "task": _task_config(job, task),
        "trial_name": name,
        "trials_dir": str(job.out),
        "agent": _agent_config(agent_info["name"], agent_info.get("model_info", {}).get("name")),
        "job_id": job.id,
    }
    _write_json(trial_dir / "config.json", config)
    org, task_name = task.split("/", 1)
    result = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"enduro:{report.label}/{name}")),
        "task_name": task,
        "trial_name": name,
        "trial_uri": trial_dir.resolve().as_uri(),
        "task_id": {"org": org, "name": task_name},
        "source": report.benchmark,
        "task_checksum": _checksum(store, turn, task),
        "config": config,
        "agent_info": agent_info,
        "agent_result": agent_result,
        "verifier_result": {"rewards": {REWARD: reward}} if reward is not None else None,
        "exception_info": exception,
        "started_at": agent_started.isoformat() if agent_started else None,
        "finished_at": verifier_finished.isoformat() if verifier_finished else None,
        "agent_execution": _timing(agent_started, verifier_started),
        "verifier": _timing(verifier_started, verifier_finished),
    }
    _write_json(trial_dir / "result.json", result)
    return Trial(
        name=name,
        task=task,
        reward=reward,
        exception_type=exception_type,
        agent=agent_info["name"],
        model=agent_info.get("model_info", {}).get("name"),
        started_at=agent_started,
        finished_at=verifier_finished,
    )


def evals_key(agent: str, model: str | None, dataset: str) -> str:
    """Harbor's key of one (agent, model, dataset) in a job's `stats.evals`."""
    return f"{agent}__{model}__{dataset}" if model else f"{agent}__{dataset}"


def _stats(trials: list[Trial], dataset: str) -> dict[str, Any]:
    """The job's `stats`, counted the way Harbor counts its trials' results."""
    evals: dict[str, dict[str, Any]] = {}
    for trial in trials:
        stats = evals.setdefault(
            evals_key(trial.agent, trial.model, dataset),
            {"n_trials": 0, "n_errors": 0, "rewards": [], "reward_stats": {REWARD: {}},
             "exception_stats": {}},
        )  # fmt: skip
        if trial.reward is not None:
            stats["n_trials"] += 1
            stats["rewards"].append(trial.reward)
            stats["reward_stats"][REWARD].setdefault(str(trial.reward), []).append(trial.name)
        if trial.exception_type is not None:
            stats["n_errors"] += 1
            stats["exception_stats"].setdefault(trial.exception_type, []).append(trial.name)
    for stats in evals.values():
        rewards = stats.pop("rewards")
        stats["metrics"] = [{"mean": round(sum(rewards) / len(rewards), 4) if rewards else 0.0}]
    return {
        "n_completed_trials": len(trials),
        "n_errored_trials": sum(t.failed for t in trials),
        "evals": evals,
    }


def export_job(run_dir: Path, out: Path) -> list[Trial]:
    """Write the Harbor job folder of the local run in `run_dir` (its `report.json` and
    `scenario_N/` artifacts) to `out`; the trials, in order."""
    report = read_report(run_dir)
    ended = datetime.fromtimestamp((run_dir / REPORT_FILE).stat().st_mtime, tz=UTC)
    job = _Job(report, out, str(uuid.uuid5(uuid.NAMESPACE_URL, f"enduro:{report.label}")), ended)
    trials = [
        _trial(job, scenario, turn.turn, attempt, store)
        for scenario in report.results
        for store in [Artifacts(scenario_dir(run_dir, scenario.scenario))]
        for turn in scenario.turns
        for attempt in range(1, turn.attempts + 1)
    ]
    started = [t.started_at for t in trials if t.started_at]
    finished = [t.finished_at for t in trials if t.finished_at]
    agents = {(t.agent, t.model) for t in trials} or {(report.harness or report.agent, None)}
    tasks = dict.fromkeys(t.task for t in trials)
    _write_json(
        out / "config.json",
        {
            "job_name": report.label,
            "jobs_dir": str(out.parent),
            "agents": [_agent_config(agent, model) for agent, model in sorted(agents, key=str)],
            "tasks": [_task_config(job, task) for task in tasks],
        },
    )
    _write_json(
        out / "result.json",
        {
            "id": job.id,
            "started_at": min(started, default=ended).isoformat(),
            "finished_at": max(finished, default=ended).isoformat(),
            "n_total_trials": len(trials),
            "stats": _stats(trials, report.benchmark),
        },
    )
    return trials
