"""docs/scenarios.md: the YAML a user copies from it is valid for the API, and every
client call its table names exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from enduro.api.benchmarkrun import BenchmarkRunSpec
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.client import aio

DOC = (Path(__file__).parents[1] / "docs" / "scenarios.md").read_text()
SPECS = {"BenchmarkRun": BenchmarkRunSpec, "ScenarioRun": ScenarioRunSpec}


def test_the_yaml_blocks_are_valid_runs() -> None:
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S)]
    assert sorted(b["kind"] for b in blocks) == ["BenchmarkRun", "ScenarioRun"]
    for block in blocks:
        spec = SPECS[block["kind"]].model_validate(block["spec"])
        assert spec.external


def test_the_client_calls_it_names_exist() -> None:
    groups = {
        "benchmarks": aio.Benchmarks,
        "scenarios": aio.Scenarios,
        "scenario_runs": aio.ScenarioRuns,
        "benchmark_runs": aio.BenchmarkRuns,
    }
    calls = set(re.findall(r"enduro\.(\w+)\.(\w+)\(", DOC))
    assert len(calls) > 10
    for group, method in sorted(calls):
        assert hasattr(groups[group], method), f"docs/scenarios.md names {group}.{method}"
