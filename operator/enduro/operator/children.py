"""Pure builders of the children the operator creates besides pods: a ScenarioRun's PVC and
a BenchmarkRun's ScenarioRuns. Names are deterministic, so a restarted operator finds
what it created; ownerReferences make Kubernetes delete the children with their owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enduro.api.agent import AgentSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec
from enduro.api.resources import SCENARIO_RUN
from enduro.api.settings import WorkspaceSpec
from enduro.engine.catalogue import BenchmarkScenarios
from enduro.engine.run import build_scenario_run_spec
from enduro.operator.pods import MANAGED_BY, owner_reference
from enduro.steps.names import scenario_run_name, workspace_claim_name

BENCHMARK_RUN_LABEL = "enduro.dev/benchmark-run"
BENCHMARK_LABEL = "enduro.dev/benchmark"  # names for the metrics' labels
AGENT_LABEL = "enduro.dev/agent"
SCENARIO_LABEL = "enduro.dev/scenario"
FINALIZER = "enduro.dev/finalizer"  # kopf's, on every object with a deletion handler

Manifest = dict[str, Any]


def build_pvc(
    scenario_run: Mapping[str, Any], workspace: WorkspaceSpec, *, namespace: str
) -> Manifest:
    """`<sr>-workspace`: the volume holding the workspace and artifacts of all turns."""
    name = scenario_run["metadata"]["name"]
    spec: Manifest = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": workspace.size}},
    }
    if workspace.storage_class_name:
        spec["storageClassName"] = workspace.storage_class_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": workspace_claim_name(name),
            "namespace": namespace,
            "labels": {**MANAGED_BY, "enduro.dev/scenario-run": name},
            "ownerReferences": [owner_reference(scenario_run)],
        },
        "spec": spec,
    }


def build_scenario_run(
    benchmark_run: Mapping[str, Any],
    scenarios: BenchmarkScenarios,
    agent: AgentSpec,
    index: int,
) -> Manifest:
    """`<br>-s007`: scenario 7 of the BenchmarkRun, with snapshots of the Benchmark's
    generator (or of its explicit Scenario 7, with the Scorers it uses) and the Agent's
    spec, and the run settings the BenchmarkRun chose."""
    run_spec = BenchmarkRunSpec.model_validate(benchmark_run["spec"])
    meta = benchmark_run["metadata"]
    spec = build_scenario_run_spec(meta["name"], run_spec, scenarios, agent, index)
    return {
        "apiVersion": SCENARIO_RUN.api_version,
        "kind": SCENARIO_RUN.kind,
        "metadata": {
            "name": scenario_run_name(meta["name"], index),
            "namespace": meta["namespace"],
            "labels": {
                **MANAGED_BY,
                BENCHMARK_RUN_LABEL: meta["name"],
                SCENARIO_LABEL: str(index),
                BENCHMARK_LABEL: run_spec.benchmark_ref.name,
                AGENT_LABEL: run_spec.require_agent_ref().name,
            },
            "ownerReferences": [owner_reference(benchmark_run)],
            # kopf's own, for the finalizer handler that deletes the PVC: set at creation,
            # so kopf does not patch it on separately (one write per ScenarioRun less).
            "finalizers": [FINALIZER],
        },
        "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
