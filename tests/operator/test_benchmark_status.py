"""Benchmark status: the operator says whether a Benchmark can be run and how many
scenarios it provides, or why not."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from operator_manifests import benchmark

from cluster.enduro_cluster import BENCHMARKS, EnduroCluster
from cluster.kubelet import Canned
from enduro.operator.benchmarks import benchmark_status, same_status

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
Start = Callable[..., EnduroCluster]


def test_a_valid_benchmark_is_ready_with_its_scenario_count() -> None:
    status = benchmark_status({"generator": {"seed": 1, "scenarios": 4, "turns": 2}}, None, 2, NOW)
    assert (status.phase, status.scenario_count, status.observed_generation) == ("Ready", 4, 2)
    [ready] = status.conditions
    assert (ready.status, ready.reason) == ("True", "Ready")
    again = benchmark_status(
        {"generator": {"seed": 1, "scenarios": 4, "turns": 2}},
        status.model_dump(mode="json", by_alias=True),
        2,
        NOW + datetime.timedelta(hours=1),
    )
    assert same_status(again, status.model_dump(mode="json", by_alias=True))  # no rewrite


def test_an_invalid_generator_is_invalid_with_the_reason() -> None:
    status = benchmark_status({"generator": {"seed": 1, "scenarios": 0}}, None, 1, NOW)
    assert status.phase == "Invalid" and status.scenario_count is None
    [ready] = status.conditions
    assert (ready.status, ready.reason) == ("False", "Invalid")
    assert "spec.generator.scenarios" in ready.message


@pytest.mark.e2e
def test_the_operator_writes_benchmark_status(start_cluster: Start) -> None:
    cluster = start_cluster(canned=Canned(lambda pod: {}))
    cluster.apply(benchmark("good", scenarios=3, turns=2))
    bad = benchmark("bad")
    bad["spec"]["generator"]["turns"] = 0
    cluster.apply_unvalidated(bad)  # as if made under a laxer CRD: the operator still says why

    def status_of(name: str, phase: str) -> Callable[[], dict[str, Any] | None]:
        def check() -> dict[str, Any] | None:
            found: dict[str, Any] = cluster.kube.get(BENCHMARKS, name).get("status") or {}
            return found if found.get("phase") == phase else None

        return check

    good = cluster.kube.wait_for("good to be Ready", status_of("good", "Ready"), 30)
    assert good["scenarioCount"] == 3
    invalid = cluster.kube.wait_for("bad to be Invalid", status_of("bad", "Invalid"), 30)
    [ready] = invalid["conditions"]
    assert ready["reason"] == "Invalid" and "spec.generator.turns" in ready["message"]
