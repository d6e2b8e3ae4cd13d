"""The YAML a user applies to a cluster, read for the local runtime.

One file, several documents: Benchmark, Agent and BenchmarkRun objects, and the Scenario
and Scorer objects of a benchmark of explicit scenarios (``apiVersion:
enduro.dev/v1alpha1``), and the ConfigMap of a Benchmark's stored set
(``source.configMap``, as ``enduro generate --out-configmap`` writes it). Everything is
validated with the ``enduro.api`` models before any work starts; every problem names the
document, the field path and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from enduro.api.agent import AgentSpec
from enduro.api.benchmark import BenchmarkSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec
from enduro.api.errors import field_errors
from enduro.api.scenario import ScenarioSpec, ScorerResourceSpec
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.api.validation import document_problems, load_documents, parse_spec
from enduro.engine.catalogue import (
    BenchmarkScenarios,
    CatalogueError,
    ScenarioDocument,
    missing_env,
    required_secrets,
    resolve_benchmark,
    unsupported_agent,
)
from enduro.engine.run import build_scenario_run_spec, scenario_indices

API_VERSION = "enduro.dev/v1alpha1"
KINDS: dict[str, type[BaseModel]] = {
    "Benchmark": BenchmarkSpec,
    "Agent": AgentSpec,
    "BenchmarkRun": BenchmarkRunSpec,
    "Scenario": ScenarioSpec,
    "Scorer": ScorerResourceSpec,
}


class ManifestError(Exception):
    """The file cannot be run; ``problems`` lists every reason, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RunPlan:
    """A validated BenchmarkRun with the Benchmark (resolved to its scenarios) and Agent
    it refers to."""

    name: str
    spec: BenchmarkRunSpec
    benchmark_name: str
    benchmark: BenchmarkSpec
    agent_name: str
    agent: AgentSpec
    contents: BenchmarkScenarios
    config_maps: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # name -> object

    def scenarios(self) -> list[int]:
        return scenario_indices(self.spec, self.contents.count)

    def scenario_spec(self, scenario: int) -> ScenarioRunSpec:
        return build_scenario_run_spec(self.name, self.spec, self.contents, self.agent, scenario)


def load_plan(path: Path) -> RunPlan:
    """Read and validate ``path``; raise ``ManifestError`` naming every problem."""
    try:
        docs = load_documents(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError([f"{path}: cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ManifestError([f"{path}: not a text file (expected UTF-8 YAML)"]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([f"{path}: not valid YAML: {exc}"]) from None
    problems: list[str] = []
    objects: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    labels: dict[str, dict[str, str]] = {}  # Scenario name -> its metadata.labels
    config_maps: dict[str, dict[str, Any]] = {}
    for index, doc in enumerate(docs, start=1):
        where = f"{path} document {index}"
        if not isinstance(doc, dict):
            problems.append(f"{where}: expected a mapping with apiVersion, kind, metadata, spec")
            continue
        kind = doc.get("kind")
        metadata = doc.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if kind == "ConfigMap" and doc.get("apiVersion") == "v1" and isinstance(name, str):
            config_maps[name] = doc  # a stored set (source.configMap); checked when used
            continue
        if kind not in KINDS:
            problems.append(
                f"{where}: kind: {kind!r} is not one of {', '.join(KINDS)} "
                "(ScenarioRuns are created by the runtime)"
            )
            continue
        where = f"{where} ({kind} {name or '?'})"
        if doc.get("apiVersion") != API_VERSION:
            problems.append(f"{where}: apiVersion: expected {API_VERSION!r}")
        shape = document_problems(doc)
        if shape:
            problems.extend(f"{where}: {line}" for line in shape)
            continue
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: metadata.name: required")
            continue
        if name in objects[kind]:
            problems.append(f"{where}: metadata.name: a second {kind} named {name!r}")
            continue
        try:
            objects[kind][name] = parse_spec(KINDS[kind], doc.get("spec") or {})
        except ValidationError as exc:
            problems.extend(f"{where}: {line}" for line in field_errors(exc))
        labels[name] = {str(k): str(v) for k, v in (metadata or {}).get("labels", {}).items()}
    runs = objects["BenchmarkRun"]
    if not problems and len(runs) != 1:
        problems.append(
            f"{path}: expected exactly one BenchmarkRun, found {len(runs)}"
            + (f" ({', '.join(runs)}); put each in its own file" if runs else "")
        )
    if problems:
        raise ManifestError(problems)
    [(run_name, run)] = runs.items()
    assert isinstance(run, BenchmarkRunSpec)
    if run.cancel:
        raise ManifestError(
            [
                f"{path} (BenchmarkRun {run_name}): spec.cancel: true would cancel the run "
                "before it starts (every scenario scores 0); remove it (stop a local run "
                "with Ctrl-C)"
            ]
        )
    if run.benchmark_ref.namespace is not None:
        raise ManifestError(
            [
                f"{path} (BenchmarkRun {run_name}): spec.benchmarkRef.namespace: `enduro run` "
                "reads one file, without namespaces; remove it and put the Benchmark in the "
                "file (a catalogue one: kubectl get bm -n NAMESPACE NAME -o yaml)"
            ]
        )
    if run.agent_ref is None:
        raise ManifestError(
            [
                f"{path} (BenchmarkRun {run_name}): spec.agent: an external agent is yours to "
                "run: start each scenario with `enduro scenario start FILE SCENARIO`"
            ]
        )
    benchmark = objects["Benchmark"].get(run.benchmark_ref.name)
    agent = objects["Agent"].get(run.agent_ref.name)
    where = f"{path} (BenchmarkRun {run_name})"
    if benchmark is None:
        problems.append(
            f"{where}: spec.benchmarkRef.name: no Benchmark named {run.benchmark_ref.name!r} "
            f"in this file (found: {', '.join(objects['Benchmark']) or 'none'})"
        )
    if agent is None:
        problems.append(
            f"{where}: spec.agentRef.name: no Agent named {run.agent_ref.name!r} "
            f"in this file (found: {', '.join(objects['Agent']) or 'none'})"
        )
    if problems:
        raise ManifestError(problems)
    assert isinstance(benchmark, BenchmarkSpec) and isinstance(agent, AgentSpec)
    scenarios = {
        name: ScenarioDocument(labels[name], spec) for name, spec in objects["Scenario"].items()
    }
    try:
        contents = resolve_benchmark(benchmark, scenarios, objects["Scorer"], where="in this file")
    except CatalogueError as exc:
        raise ManifestError([f"{path} (Benchmark {run.benchmark_ref.name}): {exc}"]) from None
    plan = RunPlan(
        run_name,
        run,
        run.benchmark_ref.name,
        benchmark,
        run.agent_ref.name,
        agent,
        contents,
        config_maps,
    )
    try:
        plan.scenarios()
    except ValueError as exc:
        raise ManifestError([f"{where}: {exc}"]) from None
    problems = [f"{path} (Agent {plan.agent_name}): {p}" for p in missing_env(contents, agent)]
    if unsupported := unsupported_agent(contents, agent):
        problems.append(f"{path} (Agent {plan.agent_name}): spec.harness: {unsupported}")
    problems += _missing_secrets(plan, f"{path} (Agent {plan.agent_name})")
    if problems:
        raise ManifestError(problems)
    return plan


def _missing_secrets(plan: RunPlan, where: str) -> list[str]:
    """There is no Secret store on one machine: a Secret a scenario requires reaches a
    local run through the Agent's `secretEnv` (each variable read from our environment,
    see `enduro.runtime.process`), so one of its variables must refer to it."""
    referring = {e.secret_key_ref.name for e in plan.agent.secret_env}
    return [
        f"{where}: a scenario requires Secret {name!r}: add a secretEnv entry whose "
        f"secretKeyRef.name is {name!r} to the Agent, and export that variable"
        for name in required_secrets(plan.contents)
        if name not in referring
    ]
