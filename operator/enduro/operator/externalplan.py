"""What a BenchmarkRun of an external agent (`agent: {external: true}`) needs now: pure,
like `runplan.plan_run`, from what the operator observed.

The operator creates no ScenarioRun here: the user's client starts one per scenario
(`scenarios.start_run(name, benchmark_run=...)`). The run lists the scenarios not
started yet (`pendingScenarios`), aggregates the ones that are, and ends
* Succeeded once every scenario was started and Completed (Failed if one ended badly);
* early with `spec.complete: true`: running scenarios are asked to complete, then the
  run is Succeeded, scenarios never started staying unscored;
* Canceled with `spec.cancel: true`, its running scenarios canceled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from enduro.api.benchmark import BenchmarkSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec, BenchmarkRunStatus, RunPhase
from enduro.api.errors import explain
from enduro.api.validation import parse_spec
from enduro.engine.catalogue import BENCHMARK_NOT_PUBLIC, CatalogueError, not_public
from enduro.engine.run import aggregate_run, run_conditions, scenario_indices
from enduro.engine.runplan import TERMINAL_RUN, Catalogue, Child, RunPlan, _not_ready, _resolve


def plan_external_run(
    run: Mapping[str, Any],
    benchmark: Mapping[str, Any] | None,
    catalogue: Catalogue,
    children: Mapping[int, Child],
    now: datetime,
    *,
    benchmark_labels: Mapping[str, str] | None = None,
) -> RunPlan:
    """The next actions and status of the external agent's BenchmarkRun `run`."""
    generation = run["metadata"].get("generation")
    try:
        status = BenchmarkRunStatus.model_validate(run.get("status") or {})
    except ValidationError:
        status = BenchmarkRunStatus()
    try:
        spec = parse_spec(BenchmarkRunSpec, run.get("spec") or {})
    except ValidationError as error:
        return _not_ready(status, "InvalidSpec", explain(error, "spec"), now, generation)
    name = spec.benchmark_ref.name
    if benchmark is None:
        message = f"Benchmark {name!r} not found: create it, or fix spec.benchmarkRef.name"
        return _not_ready(status, "BenchmarkNotFound", message, now, generation)
    namespace = str(run["metadata"].get("namespace"))
    if refused := not_public(namespace, spec.benchmark_ref, benchmark_labels or {}):
        return _not_ready(status, BENCHMARK_NOT_PUBLIC, refused, now, generation)
    try:
        benchmark_spec = parse_spec(BenchmarkSpec, benchmark)
    except ValidationError as error:
        message = f"Benchmark {name!r} is invalid: {explain(error, 'spec')}"
        return _not_ready(status, "InvalidBenchmark", message, now, generation)
    if benchmark_spec.scenarios is None:
        message = (
            f"Benchmark {name!r} is generated: an external agent plays explicit scenarios "
            "only (Benchmark.spec.scenarios); run generated benchmarks with an agentRef"
        )
        return _not_ready(status, "GeneratedBenchmark", message, now, generation)

    home = spec.benchmark_ref.namespace or namespace
    try:
        contents = _resolve(benchmark_spec, catalogue, f"in namespace {home!r}")
        indices = scenario_indices(spec, contents.count)
    except CatalogueError as error:
        message = f"Benchmark {name!r}: {error}"
        return _not_ready(status, error.reason, message, now, generation)
    except ValueError as error:
        return _not_ready(status, "InvalidSpec", str(error), now, generation)
    observed = {i: children[i] for i in indices if i in children}
    running = sorted(i for i, c in observed.items() if not c.status.phase.terminal)
    cancel = [i for i in running if not observed[i].cancel] if spec.cancel else []
    complete = running if spec.complete and not spec.cancel else []
    statuses = [c.status for c in observed.values()]
    aggregate = aggregate_run(statuses, len(indices), [contents.turns(i) for i in observed])
    pending = [contents.definitions[i].name for i in indices if i not in observed]

    message = ""
    if spec.cancel:
        phase = RunPhase.CANCELED
    elif spec.complete or (indices and not pending and not running):
        if running:
            phase, message = RunPhase.RUNNING, "completing: waiting for running scenarios"
        elif aggregate.counts.failed and not spec.complete:
            phase = RunPhase.FAILED
        else:
            phase = RunPhase.SUCCEEDED
            if pending:
                message = f"completed early: {len(pending)} scenarios never started"
    else:
        phase = RunPhase.RUNNING
    new = status.model_copy(
        update={
            "phase": phase,
            "observed_generation": generation,
            "counts": aggregate.counts,
            "progress": aggregate.progress,
            "average_score": aggregate.average_score,
            "success_rate": aggregate.success_rate,
            "mean_stamina": aggregate.mean_stamina,
            "started_at": status.started_at or now,
            "completed_at": (status.completed_at or now) if phase in TERMINAL_RUN else None,
            "message": message,
            "conditions": run_conditions(status.conditions, phase, message, now, generation),
            "pending_scenarios": pending,
        }
    )
    return RunPlan(new, cancel=cancel, complete=complete, contents=contents)
