"""Imported scenarios as Kubernetes documents: names, the benchmark label, YAML text.

Every Scenario of an import carries `enduro.dev/benchmark: <name>`, and one Benchmark
selects them by that label, as `examples/explicit-benchmark.yaml` does.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from enduro.api.resources import BENCHMARK, SCENARIO
from enduro.importers.outcome import ImportedScenario, ItemError

BENCHMARK_LABEL = "enduro.dev/benchmark"
SOURCE_LABEL = "enduro.dev/source"
NAME_MAX = 63  # a DNS label: Scenario names end up in pod and label values


def resource_name(text: str, field: str = "name") -> str:
    """`text` as a DNS-1123 label: lower case, runs of other characters as one '-'."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:NAME_MAX].rstrip("-")
    if not name:
        raise ItemError(field, f"{text!r} has no letter or digit to make a name from")
    return name


def benchmark_document(
    name: str, description: str, tags: list[str], namespace: str | None
) -> dict[str, Any]:
    return {
        "apiVersion": BENCHMARK.api_version,
        "kind": BENCHMARK.kind,
        "metadata": _metadata(name, namespace, {}, {}),
        "spec": {
            "description": description,
            "tags": tags,
            "scenarios": {"matchLabels": {BENCHMARK_LABEL: name}},
        },
    }


def scenario_document(
    scenario: ImportedScenario, benchmark: str, namespace: str | None
) -> dict[str, Any]:
    labels = {**scenario.labels, BENCHMARK_LABEL: benchmark}
    return {
        "apiVersion": SCENARIO.api_version,
        "kind": SCENARIO.kind,
        "metadata": _metadata(scenario.name, namespace, labels, scenario.annotations),
        "spec": scenario.spec.model_dump(mode="json", by_alias=True, exclude_defaults=True),
    }


def _metadata(
    name: str, namespace: str | None, labels: dict[str, str], annotations: dict[str, str]
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return metadata


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (patches, scripts, statements) as literal blocks, readable."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def yaml_text(documents: list[dict[str, Any]]) -> str:
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
