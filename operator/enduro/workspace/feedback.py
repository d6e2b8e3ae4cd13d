"""FEEDBACK.md: what the agent learns about its previous attempt, at the chosen level.

* ``detailed``: every failing test with its assertion message, and the server log tail;
* ``medium``: the failing test names;
* ``minimal``: the counts only;
* ``none``: no file at all.

For an explicit scenario the previous attempt's result is its scoring contract's
(``render_contract_feedback``): the contract score, then per scoring function its name,
weight, score and state, with its trimmed output at ``detailed``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from enduro.api.settings import FeedbackLevel
from enduro.artifacts import Artifacts
from enduro.scoring.result import ContractResult, FunctionState
from enduro.steps.context import StepContext
from enduro.testrunner.result import TestResult
from enduro.untrusted import place_text, remove

FEEDBACK = "FEEDBACK.md"
# (the previous attempt's full result as written, level, turn, attempt) -> text or None
Render = Callable[[str, FeedbackLevel, int, int], str | None]

DETAIL_CHARS = 1500  # per failing test
MAX_LISTED = 100  # failing tests listed; the rest are counted
LOG_TAIL_CHARS = 3000


def render_feedback(
    result: TestResult, level: FeedbackLevel, turn: int, attempt: int
) -> str | None:
    """The FEEDBACK.md text for the next attempt, or None for ``none``."""
    if level is FeedbackLevel.NONE:
        return None
    lines = [
        f"# Feedback on turn {turn}, attempt {attempt}",
        "",
        f"{result.passed} of {result.total} tests passed "
        f"({result.failed} failed, {result.errors} errors).",
    ]
    if result.reason:
        lines += ["", f"Reason: {result.reason}"]
    if level is FeedbackLevel.MINIMAL:
        return "\n".join(lines) + "\n"
    failing = result.failing()
    if failing:
        lines += ["", "## Failing tests", ""]
    for case in failing[:MAX_LISTED]:
        if level is FeedbackLevel.MEDIUM:
            lines.append(f"* `{case.id}` ({case.outcome.value})")
            continue
        lines += [f"### `{case.id}` ({case.outcome.value})", ""]
        text = (case.detail or case.message).strip()
        if text:
            lines += ["```", text[-DETAIL_CHARS:], "```", ""]
    if len(failing) > MAX_LISTED:
        lines += ["", f"... and {len(failing) - MAX_LISTED} more failing tests."]
    if level is FeedbackLevel.DETAILED and result.server_log_tail.strip():
        lines += ["", "## Server log (tail)", "", "```", result.server_log_tail[-LOG_TAIL_CHARS:]]
        lines += ["```"]
    return "\n".join(lines).rstrip() + "\n"


def render_suite_feedback(
    result_json: str, level: FeedbackLevel, turn: int, attempt: int
) -> str | None:
    """FEEDBACK.md after a generated scenario's attempt (`result_json`: its full
    `TestResult`), or None for ``none``."""
    return render_feedback(TestResult.model_validate_json(result_json), level, turn, attempt)


def write_feedback(context: StepContext, workspace: Path, store: Artifacts, render: Render) -> None:
    """FEEDBACK.md from the previous attempt's full result, or none: removed on a first
    attempt, at level `none`, or when that result is missing (never stale feedback from
    an earlier attempt or turn)."""
    path = workspace / FEEDBACK
    text = None
    if context.attempt > 1:
        previous = store.test_result(context.turn, context.attempt - 1)
        if previous.is_file():
            text = render(
                previous.read_text(), context.feedback_level, context.turn, context.attempt - 1
            )
    if text is None:
        remove(path)
    else:
        place_text(path, text)


def render_contract_feedback(
    result_json: str, level: FeedbackLevel, turn: int, attempt: int
) -> str | None:
    """FEEDBACK.md after an explicit scenario's attempt (`result_json`: its full
    `ContractResult`), or None for ``none``."""
    if level is FeedbackLevel.NONE:
        return None
    result = ContractResult.model_validate_json(result_json)
    lines = [
        f"# Feedback on turn {turn}, attempt {attempt}",
        "",
        f"Score {result.contract_score:.4g} (the turn passes at {result.pass_score:g}): "
        f"{result.passed} of {result.total} scoring functions fully satisfied "
        f"({result.failed} short, {result.errors} errors).",
    ]
    if level is FeedbackLevel.MINIMAL:
        return "\n".join(lines) + "\n"
    lines += ["", "## Scoring functions", ""]
    for function in result.functions:
        lines.append(
            f"* `{function.name}` (weight {function.weight:.3g}): score {function.score:.4g}, "
            f"{function.state.value}"
        )
    if level is FeedbackLevel.DETAILED:
        for function in result.functions:
            if function.score >= 1.0 and function.state is FunctionState.COMPLETE:
                continue
            text = "\n".join(t for t in (function.reason, function.output) if t).strip()
            if text:
                lines += ["", f"### `{function.name}`", "", "```", text[-DETAIL_CHARS:], "```"]
    return "\n".join(lines).rstrip() + "\n"
