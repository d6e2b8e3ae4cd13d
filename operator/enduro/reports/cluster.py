"""`enduro report br/NAME`: the report of a run on a cluster, read through the API.

The scores of a cluster run live in its objects: the BenchmarkRun names the Benchmark
and the Agent; each ScenarioRun (labelled with the run and its scenario index) holds
the status the engine wrote, turn by turn. `report_from_objects` (pure) turns them into
the same `RunReport` a local run writes, so `report.json`, `report.md` and the plots come
out the same for both runtimes. Only `get` and `list` on the Enduro kinds are needed,
which the chart's RBAC grants to readers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from enduro.api.resources import BENCHMARK_RUN, SCENARIO_RUN
from enduro.api.scenariorun import ScenarioRunStatus
from enduro.reports.attempts import AttemptRecord
from enduro.reports.report import RunReport, build_report
from enduro.sandbox.policy import Isolation

RUN_LABEL = "enduro.dev/benchmark-run"  # as the operator labels its ScenarioRuns
SCENARIO_LABEL = "enduro.dev/scenario"
PREFIXES = ("br/", "benchmarkrun/", "benchmarkruns/")


class ClusterReportError(Exception):
    pass


def run_name(argument: str) -> str | None:
    """`NAME` of a `br/NAME` argument, or None for anything else (a local folder)."""
    for prefix in PREFIXES:
        if argument.startswith(prefix) and len(argument) > len(prefix):
            return argument[len(prefix) :]
    return None


def report_from_objects(
    run: Mapping[str, Any],
    scenario_runs: Sequence[Mapping[str, Any]],
    attempts: Mapping[str, list[AttemptRecord]] | None = None,
) -> RunReport:
    """The report of the BenchmarkRun `run` from its ScenarioRuns as read from the API
    (`attempts`: by ScenarioRun name, what its artifacts hold, where they were read)."""
    spec = run.get("spec") or {}
    statuses: dict[int, ScenarioRunStatus] = {}
    by_index: dict[int, list[AttemptRecord]] = {}
    harness = ""
    turns: dict[int, int] = {}
    for sr in scenario_runs:
        index = (sr["metadata"].get("labels") or {}).get(SCENARIO_LABEL, "")
        if not str(index).isdigit():
            continue
        statuses[int(index)] = ScenarioRunStatus.model_validate(sr.get("status") or {})
        by_index[int(index)] = (attempts or {}).get(sr["metadata"].get("name", ""), [])
        sr_spec = sr.get("spec") or {}
        harness = harness or str((sr_spec.get("agent") or {}).get("harness", ""))
        turns[int(index)] = _turns(sr_spec)
    return build_report(
        agent=str((spec.get("agentRef") or {}).get("name", "")),
        harness=harness,
        benchmark=str((spec.get("benchmarkRef") or {}).get("name", "")),
        benchmark_run=str(run["metadata"]["name"]),
        n_turns=max(turns.values(), default=0),
        statuses=statuses,
        isolation=Isolation.POD,
        scenario_turns=turns,
        attempts=by_index,
    )


def _turns(spec: Mapping[str, Any]) -> int:
    """Turns of a ScenarioRun's scenario, from its spec as read (generated or explicit)."""
    if "definition" in spec:
        scenario = spec["definition"].get("spec") or {}
        return len(scenario.get("turns") or [None])  # no `turns`: a one-turn scenario
    return int((spec.get("generator") or {}).get("turns", 0))


def fetch_report(
    name: str, namespace: str | None, *, reader_image: str | None = None
) -> tuple[RunReport, list[str]]:
    """Read the BenchmarkRun `name` and its ScenarioRuns with the current kubeconfig
    (or the pod's service account) and build its report; with `reader_image`, each
    ScenarioRun's attempts are read off its volume by a reader pod. Also returns a warning
    per ScenarioRun whose artifacts could not be read (its report keeps the statuses)."""
    import importlib

    # The kubernetes client is untyped: use it as Any, in this one function.
    client: Any = importlib.import_module("kubernetes.client")
    config: Any = importlib.import_module("kubernetes.config")
    api_exception: Any = importlib.import_module("kubernetes.client.rest").ApiException

    kubeconfig = os.environ.get("KUBECONFIG") or None  # read now, not at import time
    try:
        config.load_kube_config(config_file=kubeconfig)
        _, context = config.list_kube_config_contexts(config_file=kubeconfig)
        default_ns = (context or {}).get("context", {}).get("namespace") or "default"
    except config.ConfigException:
        config.load_incluster_config()
        default_ns = "default"
    namespace = namespace or default_ns
    api = client.CustomObjectsApi()
    group, version = BENCHMARK_RUN.group, BENCHMARK_RUN.version
    try:
        run: dict[str, Any] = api.get_namespaced_custom_object(
            group, version, namespace, BENCHMARK_RUN.plural, name
        )
        children: dict[str, Any] = api.list_namespaced_custom_object(
            group, version, namespace, SCENARIO_RUN.plural, label_selector=f"{RUN_LABEL}={name}"
        )
    except api_exception as exc:
        if exc.status == 404:
            raise ClusterReportError(
                f"no BenchmarkRun {name!r} in namespace {namespace!r}"
            ) from None
        raise ClusterReportError(f"the API server answered {exc.status}: {exc.reason}") from None
    items: list[dict[str, Any]] = children.get("items") or []
    attempts: dict[str, list[AttemptRecord]] = {}
    warnings: list[str] = []
    if reader_image is not None:
        from enduro.reports.reader import read_through_pod

        core = client.CoreV1Api()
        for sr in items:
            sr_name = sr["metadata"]["name"]
            try:
                attempts[sr_name] = read_through_pod(
                    core, namespace, sr_name, reader_image, api_exception
                )
            except (ValueError, api_exception) as exc:
                warnings.append(f"{sr_name}: attempts not read from its volume: {exc}")
    return report_from_objects(run, items, attempts), warnings
