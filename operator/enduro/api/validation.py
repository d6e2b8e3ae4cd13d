"""Reading what users write: the same verdict for `enduro run` and the operator.

A spec is validated as its JSON (what `kubectl apply` sends) in strict mode and by its
YAML (camelCase) names only: `"1"` is not an integer, `"yes"` not a boolean and
`attempt_limit` not `attemptLimit`. Names must be DNS labels: they become Kubernetes
label values, pod names and local folder names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from enduro.api.errors import did_you_mean

NAME_MAX = 63
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
INT64_MAX = 2**63 - 1
TOP_LEVEL = ("apiVersion", "kind", "metadata", "spec")
METADATA = ("name", "namespace", "labels", "annotations")


def parse_spec[M: BaseModel](model: type[M], spec: Any) -> M:
    """`spec` as `model`, strictly (raises pydantic's ValidationError)."""
    return model.model_validate_json(json.dumps(spec), strict=True, by_name=False)


def name_problem(name: str) -> str:
    """Why `name` cannot name an Enduro object ("" when it can)."""
    if len(name) > NAME_MAX:
        return f"{name[:20]!r}... is {len(name)} characters; at most {NAME_MAX}"
    if not re.match(NAME_PATTERN, name):
        return (
            f"{name!r} is not a valid name: lowercase letters, digits and '-', starting and "
            f"ending with a letter or digit (it names pods, labels and folders)"
        )
    return ""


def document_problems(doc: Mapping[str, Any]) -> list[str]:
    """Problems of a whole object's shape: unknown top-level or metadata keys, a bad
    name, integers beyond 64 bits."""
    problems = [
        f"{key}: unknown field{did_you_mean(str(key), TOP_LEVEL)}"
        for key in doc
        if key not in (*TOP_LEVEL, "status")
    ]
    metadata = doc.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        problems.append("metadata: expected a mapping with a name")
    elif metadata:
        problems += [
            f"metadata.{key}: unknown field{did_you_mean(str(key), METADATA)}"
            for key in metadata
            if key not in (*METADATA, "uid", "resourceVersion", "generation")
        ]
        name = metadata.get("name")
        if isinstance(name, str) and name:
            problem = name_problem(name)
            if problem:
                problems.append(f"metadata.name: {problem}")
        elif name is not None:
            problems.append("metadata.name: expected a string")
    problems += [
        f"{path}: {value} does not fit a 64-bit integer"
        for path, value in _big_ints(doc.get("spec"), "spec")
    ]
    return problems


def _big_ints(value: Any, path: str) -> list[tuple[str, int]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [(path, value)] if abs(value) > INT64_MAX else []
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _big_ints(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _big_ints(v, f"{path}[{i}]")]
    return []


class DuplicateKeyError(yaml.YAMLError):
    pass


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (YAML says it is an
    error; PyYAML would keep the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise DuplicateKeyError(
                    f"line {mark.line + 1}: the key {key!r} appears twice in one mapping"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_documents(text: str) -> list[Any]:
    """Every non-empty YAML document of `text` (raises yaml.YAMLError)."""
    return [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]
