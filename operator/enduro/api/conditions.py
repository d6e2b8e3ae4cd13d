"""Standard Kubernetes conditions (`Ready`, `Succeeded`) and the pure helper that sets them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from enduro.api.base import StatusModel

ConditionStatus = Literal["True", "False", "Unknown"]


class Condition(StatusModel):
    """One observation of the object's state, as `kubectl wait --for=condition=X` reads it."""

    type: str = Field(
        min_length=1, max_length=316, description="Condition type, e.g. `Ready` or `Succeeded`."
    )
    status: ConditionStatus = Field(description="`True`, `False` or `Unknown`.")
    reason: str = Field(
        default="",
        max_length=1024,
        description="CamelCase reason for the last transition, e.g. `Running`, `Failed`.",
    )
    message: str = Field(
        default="", max_length=32768, description="Human-readable details of the transition."
    )
    last_transition_time: datetime | None = Field(
        default=None, description="When `status` last changed (not when it was last checked)."
    )
    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this condition was set for."
    )


def set_condition(
    conditions: Sequence[Condition], new: Condition, now: datetime
) -> list[Condition]:
    """Return a copy of `conditions` with `new` in place of the condition of the same type.

    `lastTransitionTime` is kept when the status did not change (so it tells when the
    state was entered) and set to `now` when it did or when the condition is new.
    """
    old = next((c for c in conditions if c.type == new.type), None)
    if old is not None and old.status == new.status and old.last_transition_time is not None:
        since = old.last_transition_time
    else:
        since = now
    updated = new.model_copy(update={"last_transition_time": since})
    result = [updated if c.type == new.type else c for c in conditions]
    if old is None:
        result.append(updated)
    return result


def set_ready_and_succeeded(
    conditions: Sequence[Condition],
    *,
    ready: ConditionStatus,
    succeeded: ConditionStatus,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None = None,
) -> list[Condition]:
    """`Ready` and `Succeeded` as every Enduro kind reports them (`kubectl wait` and
    Argo CD read these two): one helper for ScenarioRuns, BenchmarkRuns and Benchmarks."""
    result = list(conditions)
    for type_, status in (("Ready", ready), ("Succeeded", succeeded)):
        new = Condition(
            type=type_,
            status=status,
            reason=reason,
            message=message,
            observed_generation=generation,
        )
        result = set_condition(result, new, now)
    return result


def get_condition(conditions: Sequence[Condition], type_: str) -> Condition | None:
    """The condition of type `type_`, or None."""
    return next((c for c in conditions if c.type == type_), None)


# A list keyed by `type` (server-side apply merges conditions by type, not by index).
ConditionList = Annotated[
    list[Condition],
    Field(
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        }
    ),
]
