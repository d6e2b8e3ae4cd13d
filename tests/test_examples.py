"""Every YAML in examples/ is accepted by the CRDs (and the models) users will apply it to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from enduro.api.crd import KINDS, as_json_schema, crds, openapi_schema
from enduro.api.resources import API_VERSION

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
SCHEMAS = {d["spec"]["names"]["kind"]: as_json_schema(openapi_schema(d)) for d in crds()}
SPECS: dict[str, type[BaseModel]] = {k.resource.kind: k.spec for k in KINDS}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def test_the_basic_examples_exist() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"benchmark.yaml", "agent-oracle.yaml", "benchmarkrun.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path: Path) -> None:
    docs = documents(path)
    assert docs, f"{path.name} is empty"
    for doc in docs:
        where = f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("apiVersion") == API_VERSION:
            try:
                jsonschema.validate(doc, SCHEMAS[doc["kind"]])
            except jsonschema.ValidationError as err:
                pytest.fail(f"{where}: {err.json_path}: {err.message}")
            try:
                SPECS[doc["kind"]].model_validate(doc["spec"])
            except ValidationError as err:
                pytest.fail(f"{where}: {err}")
        else:
            kubernetes_validate.validate(doc, "1.33.0", strict=True)


def test_the_run_example_refers_to_the_other_examples() -> None:
    # Quick starts and explicit benchmarks are run files of their own (Benchmark, Agent, run).
    separate = [
        p for p in EXAMPLES if "quickstart" not in p.name and not p.name.startswith("explicit-")
    ]
    by_kind = {d["kind"]: d for p in separate for d in documents(p)}
    run = by_kind["BenchmarkRun"]["spec"]
    assert run["benchmarkRef"]["name"] == by_kind["Benchmark"]["metadata"]["name"]
    assert run["agentRef"]["name"] == by_kind["Agent"]["metadata"]["name"]
