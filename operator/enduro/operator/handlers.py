"""kopf handlers of the Enduro operator. Importing this module registers them.

* startup/login: settings (state in annotations, so a restarted operator adopts it),
  the API client, wake-up signals;
* indexes instead of repeated LIST calls: ScenarioRuns by their BenchmarkRun,
  Benchmarks and Agents by (namespace, name) (a run may use a public Benchmark of
  another namespace), Scenarios and Scorers by namespace;
* step pods come from a light watch of the operator's own (`steppods`), not through
  kopf: they are most of the watch events;
* events only wake the daemon that cares (a pod -> its ScenarioRun, a ScenarioRun -> its
  BenchmarkRun, a Benchmark, Agent, Scenario or Scorer -> the runs of its namespace);
* one daemon per ScenarioRun and per BenchmarkRun does the work (see `scenarioruns`,
  `benchmarkruns`); a ScenarioRun's finalizer deletes its PVC.
"""

from __future__ import annotations

import collections
import datetime
import logging
import os
from collections.abc import Mapping
from typing import Any

import kopf
from pydantic import ValidationError

from enduro.api.resources import AGENT, BENCHMARK, BENCHMARK_RUN, SCENARIO, SCENARIO_RUN, SCORER
from enduro.api.scenariorun import ScenarioRunSpec, ScenarioRunStatus
from enduro.api.validation import parse_spec
from enduro.engine.runplan import Catalogue, Child
from enduro.operator import (
    benchmarkruns,
    benchmarks,
    externalruns,
    metrics,
    scenarioruns,
    telemetry,
)
from enduro.operator.children import BENCHMARK_RUN_LABEL, FINALIZER, SCENARIO_LABEL
from enduro.operator.config import OperatorConfig
from enduro.operator.essence import diff_base_storage, progress_storage
from enduro.operator.kubeapi import KubeApi
from enduro.operator.pods import SCENARIO_RUN_LABEL
from enduro.operator.steppods import StepPods
from enduro.operator.wakeups import Wakeups
from enduro.steps.names import workspace_claim_name

SR = (SCENARIO_RUN.group, SCENARIO_RUN.version, SCENARIO_RUN.plural)
BR = (BENCHMARK_RUN.group, BENCHMARK_RUN.version, BENCHMARK_RUN.plural)
STEP_PODS = {SCENARIO_RUN_LABEL: kopf.PRESENT}


def _ns(namespace: str | None) -> str:
    # Every Enduro resource is namespaced; kopf types the argument for cluster objects too.
    assert namespace is not None
    return namespace


def _one(index: kopf.Index[Any, Any], key: Any) -> Any:
    store = index.get(key)
    return next(iter(store), None) if store is not None else None


@kopf.on.startup()
def configure(*, settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    config = OperatorConfig.from_env(dict(os.environ))
    memo.config = config
    memo.wakeups = Wakeups()
    memo.step_pods = StepPods(api=lambda: memo.api, wakeups=memo.wakeups)
    memo.lost_claims = {}
    memo.phases = {}  # (namespace, ScenarioRun) -> its key in the phase gauge
    memo.phase_counts = collections.Counter()  # key -> ScenarioRuns with it
    memo.run_turns = {}  # (namespace, ScenarioRun) -> ((uid, generation), its turns)
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = progress_storage()
    settings.persistence.diffbase_storage = diff_base_storage()
    # Object logs become Kubernetes Events only from WARNING up: the Normal events are the
    # ones the drivers post on purpose (one per step decision), to keep API writes low.
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    # With replicas (`enduro operator --peering NAME`): how long a silent leader is trusted.
    settings.peering.lifetime = int(os.environ.get("ENDURO_PEERING_SECONDS", "60"))
    settings.execution.max_workers = 8


@kopf.on.login()
def login(*, memo: kopf.Memo, **kwargs: Any) -> kopf.ConnectionInfo | None:
    info = kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
    if info is not None:
        memo.api = KubeApi(info)
    return info


@kopf.on.cleanup()
async def close(*, memo: kopf.Memo, **_: Any) -> None:
    if "step_pods" in memo:
        await memo.step_pods.close()
    if "api" in memo:
        await memo.api.close()


# -- indexes ------------------------------------------------------------------------------


@kopf.index(*SR)
async def run_children(
    *, namespace: str | None, name: str, body: kopf.Body, memo: kopf.Memo, **_: Any
) -> dict[Any, Any]:
    # kopf calls the index function for every ScenarioRun event but a deletion, before
    # any handler: what a watching handler did for each event is done here (a handler
    # per event cost a second call with its arguments built, and a log line). kopf's
    # views (meta, labels, status) resolve their path from the body's root at every key
    # read: the plain dicts under the body are read once instead.
    meta: Mapping[str, Any] = body["metadata"]
    labels: Mapping[str, str] = meta.get("labels") or {}
    status: Mapping[str, Any] = body.get("status") or {}
    spec: Mapping[str, Any] = body.get("spec") or {}
    phase = telemetry.scenario_run_key({"metadata": meta, "status": status})
    scenario_run_seen(memo, _ns(namespace), name, phase, labels)
    index = labels.get(SCENARIO_LABEL, "")
    if BENCHMARK_RUN_LABEL not in labels or not index.isdigit():
        return {}
    key = (namespace, labels[BENCHMARK_RUN_LABEL])
    # Every status write of a ScenarioRun comes back here; its spec (and so its turns)
    # changes only with its generation: parse it once per generation.
    seen = (meta.get("uid"), meta.get("generation"))
    known = memo.run_turns.get((namespace, name))
    if known is None or known[0] != seen:
        known = (seen, _turns(spec))
        memo.run_turns[(namespace, name)] = known
    return {key: (int(index), dict(status), spec.get("cancel"), known[1])}


def scenario_run_seen(
    memo: kopf.Memo,
    namespace: str,
    name: str,
    phase: metrics.ScenarioRunKey | None,
    labels: Mapping[str, str],
) -> None:
    """A ScenarioRun changed (`phase` None: it is gone): wake its driver and its
    BenchmarkRun's, and move it in the phase gauge if its phase changed."""
    memo.wakeups.wake(scenarioruns.KIND, namespace, name)
    key = (namespace, name)
    if memo.phases.get(key) != phase:  # set the phase gauge only when a phase changed
        telemetry.tally_phase(memo.phase_counts, memo.phases.get(key), phase)
        if phase is None:
            memo.phases.pop(key, None)
        else:
            memo.phases[key] = phase
        metrics.set_scenario_runs(memo.phase_counts)
    if BENCHMARK_RUN_LABEL in labels:
        memo.wakeups.wake(benchmarkruns.KIND, namespace, labels[BENCHMARK_RUN_LABEL])


def _turns(spec: Mapping[str, Any]) -> int | None:
    """Turns of the scenario a ScenarioRun plays, from its own snapshot: its Scenario may
    be gone since (None: the spec does not parse; the run's Benchmark says it then)."""
    try:
        return parse_spec(ScenarioRunSpec, dict(spec)).n_turns
    except ValidationError:
        return None


@kopf.index(BENCHMARK.group, BENCHMARK.version, BENCHMARK.plural)
async def benchmark_specs(
    *, namespace: str | None, name: str, labels: kopf.Labels, spec: kopf.Spec, **_: Any
) -> dict[Any, Any]:
    # By (namespace, name): a run may reference a public Benchmark of another namespace.
    return {(namespace, name): (dict(labels), dict(spec))}


@kopf.index(AGENT.group, AGENT.version, AGENT.plural)
async def agent_specs(
    *, namespace: str | None, name: str, spec: kopf.Spec, **_: Any
) -> dict[Any, Any]:
    return {(namespace, name): dict(spec)}


@kopf.index(SCENARIO.group, SCENARIO.version, SCENARIO.plural)
async def scenario_specs(
    *, namespace: str | None, name: str, labels: kopf.Labels, spec: kopf.Spec, **_: Any
) -> dict[Any, Any]:
    # By namespace: a Benchmark selects its Scenarios by name or by label.
    return {namespace: (name, dict(labels), dict(spec))}


@kopf.index(SCORER.group, SCORER.version, SCORER.plural)
async def scorer_specs(
    *, namespace: str | None, name: str, spec: kopf.Spec, **_: Any
) -> dict[Any, Any]:
    return {namespace: (name, dict(spec))}


def _catalogue(
    scenarios: kopf.Index[Any, Any], scorers: kopf.Index[Any, Any], namespace: str | None
) -> Catalogue:
    return Catalogue(
        scenarios={name: (labels, spec) for name, labels, spec in scenarios.get(namespace, [])},
        scorers=dict(scorers.get(namespace, [])),
    )


# -- wake-ups -----------------------------------------------------------------------------


def _deleted(*, type: str, **_: Any) -> bool:
    return type == "DELETED"


def _going(*, type: str, meta: kopf.Meta, **_: Any) -> bool:
    return type == "DELETED" or bool(meta.get("deletionTimestamp"))


# Only a claim deleted or being deleted matters: its other events (created, bound) run
# no handler at all (kopf logs every handler's success).
@kopf.on.event("v1", "persistentvolumeclaims", labels=STEP_PODS, when=_going)
async def workspace_claim_going(
    *,
    namespace: str | None,
    name: str,
    meta: kopf.Meta,
    labels: kopf.Labels,
    memo: kopf.Memo,
    **_: Any,
) -> None:
    """A workspace PVC deleted (or being deleted) while its scenario runs is a lost volume:
    its driver tells the engine (`WorkspaceLost`)."""
    memo.lost_claims[(namespace, name)] = meta.get("uid", "")
    memo.wakeups.wake(scenarioruns.KIND, _ns(namespace), labels[SCENARIO_RUN_LABEL])


@kopf.on.event(*SR, when=_deleted)
async def scenario_run_gone(
    *, namespace: str | None, name: str, labels: kopf.Labels, memo: kopf.Memo, **_: Any
) -> None:
    # Every other event of a ScenarioRun goes through its index function (`run_children`).
    scenario_run_seen(memo, _ns(namespace), name, None, labels)


@kopf.on.event(*BR)
async def benchmark_run_changed(
    *, namespace: str | None, name: str, memo: kopf.Memo, **_: Any
) -> None:
    memo.wakeups.wake(benchmarkruns.KIND, _ns(namespace), name)


@kopf.on.event(BENCHMARK.group, BENCHMARK.version, BENCHMARK.plural)
@kopf.on.event(AGENT.group, AGENT.version, AGENT.plural)
@kopf.on.event(SCENARIO.group, SCENARIO.version, SCENARIO.plural)
@kopf.on.event(SCORER.group, SCORER.version, SCORER.plural)
async def reference_changed(*, namespace: str | None, memo: kopf.Memo, **_: Any) -> None:
    memo.wakeups.wake_all(benchmarkruns.KIND, _ns(namespace))


@kopf.on.event(BENCHMARK.group, BENCHMARK.version, BENCHMARK.plural)
async def benchmark_changed(
    *,
    event: kopf.RawEvent,
    body: kopf.Body,
    namespace: str | None,
    name: str,
    memo: kopf.Memo,
    **indexes: Any,
) -> None:
    """Keep the Benchmark's status (phase, scenarioCount, Ready) in step with its spec."""
    if event.get("type") == "DELETED":
        return
    await _refresh_benchmark(body, _ns(namespace), name, memo, indexes["scenario_specs"])


@kopf.index(
    BENCHMARK.group,
    BENCHMARK.version,
    BENCHMARK.plural,
    when=lambda spec, **_: "scenarios" in spec,
)
async def explicit_benchmarks(*, namespace: str | None, name: str, **_: Any) -> dict[Any, Any]:
    return {namespace: name}


@kopf.on.event(SCENARIO.group, SCENARIO.version, SCENARIO.plural)
async def scenario_changed(
    *, event: kopf.RawEvent, namespace: str | None, memo: kopf.Memo, **indexes: Any
) -> None:
    """A Scenario that comes or goes changes the count of the benchmarks of explicit
    scenarios in its namespace (one GET each: they are few, Scenario events rare). The
    initial listing (no event type) is skipped: every Benchmark is counted then anyway,
    with the index already full."""
    if event.get("type") is None:
        return
    for name in set(indexes["explicit_benchmarks"].get(namespace, [])):
        body = await memo.api.get(BENCHMARK.api_version, BENCHMARK.plural, _ns(namespace), name)
        if body is not None:
            await _refresh_benchmark(body, _ns(namespace), name, memo, indexes["scenario_specs"])


async def _refresh_benchmark(
    body: Mapping[str, Any],
    namespace: str,
    name: str,
    memo: kopf.Memo,
    scenario_index: kopf.Index[Any, Any],
) -> None:
    old = dict(body.get("status") or {})
    new = benchmarks.benchmark_status(
        dict(body.get("spec") or {}),
        old,
        body["metadata"].get("generation"),
        datetime.datetime.now(tz=datetime.UTC),
        {n: labels for n, labels, _spec in scenario_index.get(namespace, [])},
    )
    if not benchmarks.same_status(new, old):
        await memo.api.patch(
            BENCHMARK.api_version,
            BENCHMARK.plural,
            namespace,
            name,
            {"status": new.model_dump(mode="json", by_alias=True)},
            status=True,
        )


# -- daemons and finalizers ---------------------------------------------------------------


@kopf.daemon(*SR, cancellation_timeout=10)
async def drive_scenario_run(
    *,
    body: kopf.Body,
    namespace: str | None,
    stopped: kopf.DaemonStopped,
    memo: kopf.Memo,
    logger: kopf.Logger,
    **_: Any,
) -> None:
    step_pods: StepPods = memo.step_pods
    home = _ns(namespace)
    await step_pods.ready(home)  # every existing pod known: a restart adopts them
    common: dict[str, Any] = {
        "body": body,
        "api": memo.api,
        "config": memo.config,
        "wakeups": memo.wakeups,
        "pods": lambda name: step_pods.pods.get((home, name)),
        "gone": step_pods.gone,
        "logger": logger,
    }
    if externalruns.is_external(body):
        await externalruns.ExternalRunDriver(**common).run(stopped)
    else:
        await scenarioruns.ScenarioRunDriver(**common, lost_claims=memo.lost_claims).run(stopped)


@kopf.on.delete(*SR)
async def scenario_run_deleted(
    *, namespace: str | None, name: str, memo: kopf.Memo, **_: Any
) -> None:
    await scenarioruns.delete_workspace(memo.api, _ns(namespace), name)
    memo.wakeups.forget(scenarioruns.KIND, _ns(namespace), name)
    forget_scenario_run(memo, _ns(namespace), name)


def forget_scenario_run(memo: kopf.Memo, namespace: str, scenario_run: str) -> None:
    """Drop what the memo holds about a deleted ScenarioRun and its pods (it would grow
    forever)."""
    memo.step_pods.forget(namespace, scenario_run)
    memo.lost_claims.pop((namespace, workspace_claim_name(scenario_run)), None)
    memo.run_turns.pop((namespace, scenario_run), None)


@kopf.daemon(*BR, cancellation_timeout=10)
async def drive_benchmark_run(
    *,
    body: kopf.Body,
    namespace: str | None,
    name: str,
    stopped: kopf.DaemonStopped,
    memo: kopf.Memo,
    logger: kopf.Logger,
    **indexes: Any,
) -> None:
    run_children: kopf.Index[Any, Any] = indexes["run_children"]
    benchmark_specs: kopf.Index[Any, Any] = indexes["benchmark_specs"]
    agent_specs: kopf.Index[Any, Any] = indexes["agent_specs"]
    scenario_index: kopf.Index[Any, Any] = indexes["scenario_specs"]
    scorer_index: kopf.Index[Any, Any] = indexes["scorer_specs"]

    def children() -> dict[int, Child]:
        found: Any = run_children.get((namespace, name)) or []
        return {
            index: Child(ScenarioRunStatus.model_validate(status), bool(cancel), turns)
            for index, status, cancel, turns in found
        }

    driver = benchmarkruns.BenchmarkRunDriver(
        body=body,
        api=memo.api,
        config=memo.config,
        wakeups=memo.wakeups,
        benchmarks=lambda home, ref: _one(benchmark_specs, (home, ref)),
        agents=lambda ref: _one(agent_specs, (namespace, ref)),
        catalogue=lambda home: _catalogue(scenario_index, scorer_index, home),
        children=children,
        logger=logger,
    )
    await driver.run(stopped)
