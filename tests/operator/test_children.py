"""build_pvc and build_scenario_run: deterministic, owned children."""

from __future__ import annotations

from enduro.api.agent import AgentSpec
from enduro.api.generator import GeneratorSpec
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.api.settings import WorkspaceSpec
from enduro.engine.catalogue import BenchmarkScenarios
from enduro.operator.children import build_pvc, build_scenario_run

RUN = {
    "apiVersion": "enduro.dev/v1alpha1",
    "kind": "BenchmarkRun",
    "metadata": {"name": "nightly", "namespace": "bench", "uid": "br-uid"},
    "spec": {
        "benchmarkRef": {"name": "b"},
        "agentRef": {"name": "a"},
        "parallelism": 3,
        "attemptLimit": 5,
        "feedbackLevel": "minimal",
    },
}


def test_a_scenario_run_snapshots_the_generator_agent_and_run_settings() -> None:
    generator = GeneratorSpec(seed=4, scenarios=10, turns=7)
    agent = AgentSpec.model_validate({"harness": "null"})
    sr = build_scenario_run(RUN, BenchmarkScenarios(generator), agent, 7)

    assert sr["metadata"]["name"] == "nightly-s007"
    assert sr["metadata"]["namespace"] == "bench"
    assert sr["metadata"]["labels"]["enduro.dev/benchmark-run"] == "nightly"
    assert sr["metadata"]["labels"]["enduro.dev/scenario"] == "7"
    [owner] = sr["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("BenchmarkRun", "nightly", "br-uid")
    spec = ScenarioRunSpec.model_validate(sr["spec"])
    assert (spec.scenario, spec.generator.turns, spec.agent.harness.value) == (7, 7, "null")
    assert (spec.attempt_limit, spec.feedback_level.value) == (5, "minimal")
    assert spec.benchmark_run == "nightly"


def test_the_same_inputs_build_the_same_object() -> None:
    generator = GeneratorSpec(seed=4, scenarios=10, turns=7)
    agent = AgentSpec.model_validate({"harness": "oracle"})
    assert build_scenario_run(RUN, BenchmarkScenarios(generator), agent, 1) == build_scenario_run(
        RUN, BenchmarkScenarios(generator), agent, 1
    )


def test_the_workspace_claim() -> None:
    owner = {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "ScenarioRun",
        "metadata": {"name": "nightly-s007", "uid": "sr-uid"},
    }
    pvc = build_pvc(owner, WorkspaceSpec(size="5Gi", storage_class_name="fast"), namespace="bench")
    assert pvc["metadata"]["name"] == "nightly-s007-workspace"
    assert pvc["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "5Gi"}},
        "storageClassName": "fast",
    }
    assert pvc["metadata"]["ownerReferences"][0]["uid"] == "sr-uid"
