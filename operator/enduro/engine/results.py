"""What the steps report back: the agent step's outcome and the test step's summary.

Both travel as small camelCase JSON documents (the agent's last stdout line, the test
runner's termination message) so they are pydantic models the runtimes parse.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

SUMMARY_MAX_BYTES = 4096  # Kubernetes keeps at most 4 KiB of a termination message
FAILING_MAX = 20  # test ids listed in a summary; the full list is in the artifacts


class _Result(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
    )


class FailureClass(StrEnum):
    """Who is to blame when a step did not finish cleanly."""

    NONE = "none"  # it ran; whatever it did is scored
    AGENT = "agent"  # the agent crashed or ran out of time/budget: scored, attempt spent
    INFRASTRUCTURE = "infrastructure"  # not the agent's fault: re-run, no attempt spent


class AgentOutcome(_Result):
    """How one agent step ended."""

    exit_code: int = Field(default=0, description="Exit code of the harness CLI.")
    reason: str = Field(default="", description="Why it ended, when not cleanly.")
    failure: FailureClass = Field(default=FailureClass.NONE, description="Who is to blame.")
    steps: int = Field(default=0, ge=0, description="Agent steps (LLM calls).")
    tokens_in: int = Field(default=0, ge=0, description="Input tokens.")
    tokens_out: int = Field(default=0, ge=0, description="Output tokens.")
    cost_usd: float = Field(default=0.0, ge=0, description="Model spend, US dollars.")
    seconds: float = Field(default=0.0, ge=0, description="Wall-clock seconds.")


class TestSummary(_Result):
    """Compact result of one test step (the full result is in the artifact store)."""

    __test__ = False  # not a pytest test class despite its name

    passed: int = Field(ge=0, description="Tests passed.")
    failed: int = Field(default=0, ge=0, description="Tests failed on an assertion.")
    errors: int = Field(default=0, ge=0, description="Tests that errored (server down...).")
    total: int = Field(ge=0, description="Tests in the suite.")
    failing: list[str] = Field(
        default_factory=list, description=f"Ids of failing tests (at most {FAILING_MAX})."
    )
    reason: str = Field(default="", description="Why it fell short, e.g. server never started.")
    digest: str = Field(default="", description="Digest of the full result in the artifacts.")
    checkpoint: str = Field(
        default="",
        pattern=r"^([0-9a-f]{64})?$",
        description="SHA-256 of the workspace checkpoint the step wrote "
        "(`checkpoints/turn_<ttt>.tar.gz`); the turn's last attempt names the turn's.",
    )
    server_start_seconds: float = Field(
        default=0.0, ge=0, description="Until the server answered /health."
    )
    suite_seconds: float = Field(default=0.0, ge=0, description="Running the suite.")
    contract_score: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="An explicit scenario's weighted contract score (then passed/total count "
        "its scoring functions, and `failing` names those short of 1.0).",
    )
    pass_score: float = Field(
        default=1.0, ge=0, le=1, description="The contract score at which the turn passes."
    )
    function_scores: dict[str, float] = Field(
        default_factory=dict,
        description="An explicit scenario's scoring functions: score by name (an error "
        "scores 0; `reason` says why). Dropped from the end when the summary must shrink.",
    )

    @model_validator(mode="after")
    def _counts_add_up(self) -> TestSummary:
        if self.passed + self.failed + self.errors > self.total:
            raise ValueError(
                f"passed + failed + errors ({self.passed}+{self.failed}+{self.errors}) "
                f"exceeds total ({self.total})"
            )
        return self

    @property
    def score(self) -> float:
        """The contract score when there is one, else passed/total (0 for an empty suite),
        rounded to 4 places."""
        if self.contract_score is not None:
            return round(self.contract_score, 4)
        return round(self.passed / self.total, 4) if self.total else 0.0

    @property
    def all_passed(self) -> bool:
        """The turn passes: the contract score reached `pass_score`; without a contract, a
        non-empty suite with every test passed."""
        if self.contract_score is not None:
            return self.total > 0 and self.contract_score >= self.pass_score
        return self.total > 0 and self.passed == self.total

    def to_message(self) -> str:
        """JSON of at most SUMMARY_MAX_BYTES: failing ids, reason, then function scores
        are cut to fit."""
        failing = self.failing[:FAILING_MAX]
        reason = self.reason
        scores = dict(self.function_scores)
        while True:
            update = {"failing": failing, "reason": reason, "function_scores": scores}
            text = self.model_copy(update=update).model_dump_json()
            if len(text.encode()) <= SUMMARY_MAX_BYTES:
                return text
            if failing:
                failing = failing[:-1]
            elif reason:
                reason = reason[: len(reason) // 2]
            else:
                scores = dict(list(scores.items())[:-1])


def summary_problem(summary: TestSummary, full_result: bytes) -> str:
    """Why a test step's summary cannot be trusted ("" when it can): its digest must be
    the full result's, and its counts the full result's counts. A summary changed after
    the runner wrote it, or one beside a result it does not describe, is rejected."""
    actual = "sha256:" + hashlib.sha256(full_result).hexdigest()
    if summary.digest != actual:
        found = summary.digest or "(none)"
        return f"the test summary's digest {found} is not the full result's {actual}"
    try:
        counts = json.loads(full_result)
        expected = {key: int(counts[key]) for key in ("passed", "failed", "errors", "total")}
    except (ValueError, KeyError, TypeError):
        return "the full test result is not a result document"
    claimed = {key: getattr(summary, key) for key in expected}
    if claimed != expected:
        return f"the test summary's counts {claimed} are not the full result's {expected}"
    full_score = counts.get("contractScore")
    if summary.contract_score != full_score:
        return (
            f"the summary's contract score {summary.contract_score} is not the full "
            f"result's {full_score}"
        )
    full_functions = {f.get("name"): f.get("score") for f in counts.get("functions") or []}
    changed = [n for n, v in summary.function_scores.items() if full_functions.get(n) != v]
    if changed:
        return f"the summary's scores of {', '.join(changed)} are not the full result's"
    return ""
