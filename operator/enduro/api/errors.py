"""Validation errors as users read them: one formatter for `enduro run` and the operator.

Every line names the field as it is spelt in YAML (`spec.timeouts.agentSeconds`) and the
problem; a key that is not a field gets the closest field's name as a suggestion.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

EXPLAIN_MAX = 5  # lines in a condition message


def field_errors(error: ValidationError, prefix: str = "spec") -> list[str]:
    """One 'field: problem' line per error of `error`."""
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field" + _suggestion(item["loc"], error.title)
        elif item.get("input", "") is None and "'null'" in message:
            message += ' (YAML reads a bare null as "no value": write "null" in quotes)'
        lines.append(f"{loc}: {message}")
    return lines


def explain(error: ValidationError, prefix: str = "spec") -> str:
    """The first errors of `error` on one line, for a condition's message."""
    return "; ".join(field_errors(error, prefix)[:EXPLAIN_MAX])


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean `x`?)' for the closest of `known`, or ''."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower().replace("_", ""): k for k in known}
        key = word.lower().replace("_", "").replace("-", "")
        close = [lowered[key]] if key in lowered else []
    return f" (did you mean `{close[0]}`?)" if close else ""


def _models(root: type[BaseModel] = BaseModel) -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for sub in root.__subclasses__():
        found[sub.__name__] = sub
        found.update(_models(sub))
    return found


def _suggestion(loc: tuple[int | str, ...], title: str) -> str:
    model = _models().get(title)
    if model is None or not loc:
        return ""
    for part in loc[:-1]:
        model = _field_model(model, str(part))
        if model is None:
            return ""
    return did_you_mean(str(loc[-1]), _aliases(model))


def _aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or to_camel(name) for name, f in model.model_fields.items()]


def _field_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    for name, field in model.model_fields.items():
        if key in (field.alias, name, to_camel(name)):
            for candidate in (field.annotation, *typing.get_args(field.annotation)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    return candidate
    return None
