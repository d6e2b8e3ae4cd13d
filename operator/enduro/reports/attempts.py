"""Every attempt of a scenario, read back from its artifacts: timing and failure classes.

A ScenarioRun's status keeps one summary per turn (its last attempt); the artifact store
keeps every attempt: the agent step's trajectory (`trajectory/turn_TTT_attempt_A.json`,
whose final metrics carry the outcome: seconds, failure class, reason, usage) and the
test step's full result (`test_results/...json`: counts, server start and suite seconds,
the runner's reason). `read_attempts` joins them; `classify_agent_step` and `classify_suite`
name what went wrong, the way StaminaBench's analysis groups failures.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

_TAG = re.compile(r"^turn_(\d{3})_attempt_(\d+)\.json$")


class AgentFailure(StrEnum):
    NONE = "none"
    CRASH = "agent-crash"  # exited non-zero, or out of budget or memory
    TIMEOUT = "agent-timeout"
    INFRASTRUCTURE = "agent-infrastructure"  # not the agent's fault (could not start...)


class SuiteFailure(StrEnum):
    """What kept a test step (or an explicit scenario's scoring step) short of a pass."""

    NONE = "none"
    SERVER_START = "server-start"  # no run.sh, or /health never answered in time
    SERVER_CRASH = "server-crash"  # stopped answering during the suite
    SUITE_TIMEOUT = "suite-timeout"
    COLLECTION = "suite-collection"
    TESTS_FAILED = "tests-failed"  # ran, some tests (or scoring functions) fell short
    NOT_RUN = "not-run"  # no result was written (a step that never finished)


class AttemptRecord(BaseModel):
    """One attempt of one turn, as its artifacts tell it."""

    model_config = ConfigDict(extra="ignore")

    turn: int
    attempt: int
    agent_seconds: float = 0.0
    server_start_seconds: float = 0.0
    suite_seconds: float = 0.0
    passed: int = 0
    total: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    agent_failure: AgentFailure = AgentFailure.NONE
    suite_failure: SuiteFailure = SuiteFailure.NOT_RUN
    reason: str = ""


def classify_agent_step(failure: str, reason: str) -> AgentFailure:
    """The agent step's failure class (`AgentOutcome.failure`) made specific."""
    if failure == "infrastructure":
        return AgentFailure.INFRASTRUCTURE
    if failure == "agent":
        return AgentFailure.TIMEOUT if "timed out" in reason else AgentFailure.CRASH
    return AgentFailure.NONE


def classify_suite(result: Mapping[str, Any]) -> SuiteFailure:
    """What kept a test step (or scoring step) short of a full pass, from its result."""
    reason = str(result.get("reason") or "")
    passed, total = int(result.get("passed") or 0), int(result.get("total") or 0)
    if reason.startswith("suite timeout"):
        return SuiteFailure.SUITE_TIMEOUT
    if reason.startswith("suite collection failed"):
        return SuiteFailure.COLLECTION
    if reason.startswith("the server stopped answering"):
        return SuiteFailure.SERVER_CRASH
    if reason and not result.get("suite_seconds") and passed == 0 and "contractScore" not in result:
        return SuiteFailure.SERVER_START
    if "contractScore" in result:
        score = result.get("contractScore")
        done = score is not None and float(score) >= float(result.get("passScore", 1.0))
        return SuiteFailure.NONE if done else SuiteFailure.TESTS_FAILED
    return SuiteFailure.NONE if total and passed == total else SuiteFailure.TESTS_FAILED


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _tags(folder: Path) -> set[tuple[int, int]]:
    if not folder.is_dir():
        return set()
    return {
        (int(m.group(1)), int(m.group(2)))
        for p in folder.iterdir()
        if (m := _TAG.match(p.name)) is not None
    }


def read_attempts(artifacts: Path) -> list[AttemptRecord]:
    """Every attempt with a trajectory or a test result under `artifacts`, in order."""
    trajectories, results = artifacts / "trajectory", artifacts / "test_results"
    records = []
    for turn, attempt in sorted(_tags(trajectories) | _tags(results)):
        name = f"turn_{turn:03d}_attempt_{attempt}.json"
        records.append(
            attempt_record(turn, attempt, _load(trajectories / name), _load(results / name))
        )
    return records


def attempt_record(
    turn: int,
    attempt: int,
    trajectory: Mapping[str, Any] | None,
    result: Mapping[str, Any] | None,
) -> AttemptRecord:
    """One attempt from its (parsed) trajectory and test result, either may be missing."""
    metrics = (trajectory or {}).get("final_metrics") or {}
    outcome = metrics.get("extra") or {}
    agent_reason = str(outcome.get("reason") or "")
    failure = classify_agent_step(str(outcome.get("failure") or ""), agent_reason)
    record = AttemptRecord(
        turn=turn,
        attempt=attempt,
        agent_seconds=float(outcome.get("seconds") or 0.0),
        tokens_in=int(metrics.get("total_prompt_tokens") or 0),
        tokens_out=int(metrics.get("total_completion_tokens") or 0),
        cost_usd=float(metrics.get("total_cost_usd") or 0.0),
        agent_failure=failure,
        reason=agent_reason if failure is not AgentFailure.NONE else "",
    )
    if result is None:
        return record
    return record.model_copy(
        update={
            "server_start_seconds": float(result.get("server_start_seconds") or 0.0),
            "suite_seconds": float(result.get("suite_seconds") or 0.0),
            "passed": int(result.get("passed") or 0),
            "total": int(result.get("total") or 0),
            "suite_failure": classify_suite(result),
            "reason": str(result.get("reason") or "") or record.reason,
        }
    )


def failure_counts(records: Sequence[AttemptRecord]) -> dict[int, dict[str, int]]:
    """Per turn, how many attempts ended with each failure class (classes with none left out)."""
    by_turn: dict[int, Counter[str]] = {}
    for r in records:
        counts = by_turn.setdefault(r.turn, Counter())
        if r.agent_failure is not AgentFailure.NONE:
            counts[r.agent_failure.value] += 1
        if r.suite_failure is not SuiteFailure.NONE:
            counts[r.suite_failure.value] += 1
    return {turn: dict(sorted(c.items())) for turn, c in sorted(by_turn.items())}
