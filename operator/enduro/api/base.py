"""Base classes of every custom-resource model: camelCase JSON, strict specs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


def cel_rules(*rules: tuple[str, str]) -> dict[str, Any]:
    """`x-kubernetes-validations` for a model's schema: (CEL rule, message) pairs that the
    API server checks at admission, mirroring the model's own validators."""
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in rules]}


class SpecModel(BaseModel):
    """Part of a `spec`: written by users, so an unknown key is an error, not a silent no-op."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class StatusModel(BaseModel):
    """Part of a `status`: written by the operator; unknown keys (from a newer operator) are
    ignored so an older reader keeps working."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )

    def to_patch(self) -> dict[str, Any]:
        """camelCase JSON for a merge patch of `status`. Unset fields of objects are sent as
        null, so a value the engine cleared is removed instead of surviving from the previous
        patch; inside lists (replaced whole by a merge patch) they are left out to save space."""
        data: dict[str, Any] = _compact_lists(self.model_dump(mode="json", by_alias=True))
        return data


def _compact_lists(value: Any, in_list: bool = False) -> Any:
    # Called on every status patch (a step's): scalars, most of a status, are copied as
    # they are, not passed to a call of their own.
    if isinstance(value, list):
        return [_compact_lists(v, True) if isinstance(v, dict | list) else v for v in value]
    out: dict[str, Any] = {}
    for k, v in value.items():
        if isinstance(v, dict | list):
            out[k] = _compact_lists(v, in_list)
        elif v is not None or not in_list:
            out[k] = v
    return out
