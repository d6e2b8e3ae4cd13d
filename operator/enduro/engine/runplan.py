"""What a BenchmarkRun needs now: pure, from what the operator observed.

`plan_run` validates the run's spec and its references (a missing or invalid Benchmark,
Agent, Scenario or Scorer, a required variable the Agent lacks or a required Secret that
does not exist is a `Ready=False` condition whose message names it and the fix, never
an exception), decides which ScenarioRuns to create (at most `parallelism` unfinished,
none while suspended or canceled), which to cancel, and the run's new status (the
engine's aggregate over its ScenarioRuns). `plan_external_run` does the same for a run
whose agent is the user's own (`agent: {external: true}`): it creates nothing and lists
the scenarios still to start. Both read the run and its Benchmark the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from enduro.api.agent import AgentSpec
from enduro.api.benchmark import BenchmarkSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec, BenchmarkRunStatus, RunPhase
from enduro.api.conditions import set_ready_and_succeeded
from enduro.api.errors import explain
from enduro.api.scenario import ScenarioSpec, ScorerResourceSpec, custom_scorer_names
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunStatus
from enduro.api.validation import parse_spec
from enduro.engine.catalogue import (
    BENCHMARK_NOT_PUBLIC,
    REQUIREMENT_MISSING,
    SCENARIO_NOT_FOUND,
    UNSUPPORTED_AGENT,
    BenchmarkScenarios,
    CatalogueError,
    ScenarioDocument,
    missing_env,
    not_public,
    resolve_benchmark,
    unsupported_agent,
)
from enduro.engine.run import (
    RunAggregate,
    aggregate_run,
    run_conditions,
    run_phase,
    scenario_indices,
    scenarios_to_start,
)

TERMINAL_RUN = (RunPhase.SUCCEEDED, RunPhase.FAILED, RunPhase.CANCELED)


@dataclass(frozen=True)
class Child:
    """A ScenarioRun of the run as observed: its status, whether it was told to cancel,
    and the turns of the scenario it plays (from its own snapshot; None: not read)."""

    status: ScenarioRunStatus
    cancel: bool = False
    turns: int | None = None


@dataclass(frozen=True)
class RunPlan:
    status: BenchmarkRunStatus
    create: list[int] = field(default_factory=list)  # scenario indices to create
    cancel: list[int] = field(default_factory=list)  # scenario indices to cancel
    contents: BenchmarkScenarios | None = None
    agent: AgentSpec | None = None
    complete: list[int] = field(default_factory=list)  # external agents: indices to complete

    @property
    def finished(self) -> bool:
        return self.status.phase in TERMINAL_RUN


def _not_ready(
    status: BenchmarkRunStatus, reason: str, message: str, now: datetime, generation: int | None
) -> RunPlan:
    return RunPlan(status=_not_ready_status(status, reason, message, now, generation))


def _not_ready_status(
    status: BenchmarkRunStatus,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None,
    *,
    before: BenchmarkRunStatus | None = None,
) -> BenchmarkRunStatus:
    """`status` with `Ready=False` for `reason`; the conditions follow those of `before`
    (the status before this plan, when `status` is already new), so a condition that
    stays the same keeps its transition time."""
    conditions = set_ready_and_succeeded(
        (before or status).conditions,
        ready="False",
        succeeded="Unknown",
        reason=reason,
        message=message,
        now=now,
        generation=generation,
    )
    update = {
        "conditions": conditions,
        "message": message[:1024],
        "observed_generation": generation,
    }
    return status.model_copy(update=update)


@dataclass(frozen=True)
class Catalogue:
    """The explicit scenarios of the Benchmark's namespace as observed: each Scenario's labels
    and spec (as read), each Scorer's spec; and the required Secrets found missing."""

    scenarios: Mapping[str, tuple[Mapping[str, str], Mapping[str, Any]]] = field(
        default_factory=dict
    )
    scorers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    missing_secrets: Sequence[str] = ()


@dataclass(frozen=True)
class _Reading:
    """A BenchmarkRun and its Benchmark as parsed, before anything else is looked at."""

    status: BenchmarkRunStatus
    spec: BenchmarkRunSpec
    benchmark: BenchmarkSpec
    generation: int | None
    namespace: str
    home: str  # the namespace of the Benchmark and its Scenarios


def _read(
    run: Mapping[str, Any],
    benchmark: Mapping[str, Any] | None,
    benchmark_labels: Mapping[str, str] | None,
    now: datetime,
) -> _Reading | RunPlan:
    """The run's spec and its Benchmark parsed, or the `Ready=False` plan that names what
    is missing or invalid; the same checks for agent-driven and external runs."""
    generation = run["metadata"].get("generation")
    try:
        status = BenchmarkRunStatus.model_validate(run.get("status") or {})
    except ValidationError:
        status = BenchmarkRunStatus()
    try:
        spec = parse_spec(BenchmarkRunSpec, run.get("spec") or {})
    except ValidationError as error:
        return _not_ready(status, "InvalidSpec", explain(error, "spec"), now, generation)
    namespace = str(run["metadata"].get("namespace"))
    home = spec.benchmark_ref.namespace or namespace
    name = spec.benchmark_ref.name
    if benchmark is None:
        message = (
            f"Benchmark {name!r} not found in namespace {home!r}: "
            "create it, or fix spec.benchmarkRef.name"
        )
        return _not_ready(status, "BenchmarkNotFound", message, now, generation)
    if refused := not_public(namespace, spec.benchmark_ref, benchmark_labels or {}):
        return _not_ready(status, BENCHMARK_NOT_PUBLIC, refused, now, generation)
    try:
        benchmark_spec = parse_spec(BenchmarkSpec, benchmark)
    except ValidationError as error:
        message = f"Benchmark {name!r} is invalid: {explain(error, 'spec')}"
        return _not_ready(status, "InvalidBenchmark", message, now, generation)
    return _Reading(status, spec, benchmark_spec, generation, namespace, home)


def _aggregated(
    reading: _Reading,
    aggregate: RunAggregate,
    phase: RunPhase,
    message: str,
    now: datetime,
    **more: Any,
) -> BenchmarkRunStatus:
    """The run's new status: its phase and message, the aggregate over its ScenarioRuns."""
    status = reading.status
    return status.model_copy(
        update={
            "phase": phase,
            "observed_generation": reading.generation,
            "counts": aggregate.counts,
            "progress": aggregate.progress,
            "average_score": aggregate.average_score,
            "success_rate": aggregate.success_rate,
            "mean_stamina": aggregate.mean_stamina,
            "completed_at": (status.completed_at or now) if phase in TERMINAL_RUN else None,
            "message": message,
            "conditions": run_conditions(
                status.conditions, phase, message, now, reading.generation
            ),
            **more,
        }
    )


def plan_run(
    run: Mapping[str, Any],
    benchmark: Mapping[str, Any] | None,
    agent: Mapping[str, Any] | None,
    children: Mapping[int, Child],
    now: datetime,
    *,
    missing_queue: str | None = None,
    catalogue: Catalogue | None = None,
    benchmark_labels: Mapping[str, str] | None = None,
) -> RunPlan:
    """The next actions and status of the BenchmarkRun `run` (a Kubernetes object);
    `benchmark` is the spec of the Benchmark it references, `benchmark_labels` its labels."""
    reading = _read(run, benchmark, benchmark_labels, now)
    if isinstance(reading, RunPlan):
        return reading
    status, spec, generation, namespace = (
        reading.status,
        reading.spec,
        reading.generation,
        reading.namespace,
    )
    if agent is None:
        message = (
            f"Agent {spec.require_agent_ref().name!r} not found in namespace {namespace!r}: "
            "create it, or fix spec.agentRef.name"
        )
        return _not_ready(status, "AgentNotFound", message, now, generation)
    if missing_queue is not None:
        message = queue_not_found(missing_queue, namespace)
        return _not_ready(status, "QueueNotFound", message, now, generation)
    try:
        agent_spec = parse_spec(AgentSpec, agent)
    except ValidationError as error:
        message = f"Agent {spec.require_agent_ref().name!r} is invalid: {explain(error, 'spec')}"
        return _not_ready(status, "InvalidAgent", message, now, generation)
    catalogue = catalogue or Catalogue()
    try:
        contents = _resolve(reading, catalogue)
    except CatalogueError as error:
        message = f"Benchmark {spec.benchmark_ref.name!r}: {error}"
        return _not_ready(status, error.reason, message, now, generation)
    if unsupported := unsupported_agent(contents, agent_spec):
        message = f"Agent {spec.require_agent_ref().name!r}: {unsupported}"
        return _not_ready(status, UNSUPPORTED_AGENT, message, now, generation)
    lacking = missing_env(contents, agent_spec)
    if lacking:
        message = f"Agent {spec.require_agent_ref().name!r}: " + "; ".join(lacking)
        return _not_ready(status, REQUIREMENT_MISSING, message, now, generation)
    if catalogue.missing_secrets:
        message = (
            f"Secret {', '.join(map(repr, catalogue.missing_secrets))} required by the "
            f"Benchmark's scenarios not found in namespace {namespace!r}: create it"
        )
        return _not_ready(status, REQUIREMENT_MISSING, message, now, generation)
    try:
        indices = scenario_indices(spec, contents.count)
    except ValueError as error:
        return _not_ready(status, "InvalidSpec", str(error), now, generation)

    phases = {index: child.status.phase for index, child in children.items() if index in indices}
    # A pinned Scenario deleted before its ScenarioRun was created cannot start; the others go on.
    gone = {i: n for i, n in contents.gone.items() if i in indices and i not in children}
    create = scenarios_to_start(spec, [i for i in indices if i not in gone], phases)
    cancel = (
        sorted(i for i, c in children.items() if c.cancel is False and not c.status.phase.terminal)
        if spec.cancel
        else []
    )
    observed = [children[i].status for i in indices if i in children]
    observed += [ScenarioRunStatus(phase=ScenarioPhase.PENDING) for _ in create]
    turns = [child_turns(contents, i, children) for i in indices if i in children]
    turns += [contents.turns(i) for i in create]
    aggregate = aggregate_run(observed, len(indices), turns)
    phase = run_phase(spec, aggregate.counts)
    if phase is RunPhase.CANCELED and any(not s.phase.terminal for s in observed):
        message = "canceling: waiting for running scenarios to stop"
    elif phase is RunPhase.SUSPENDED:
        message = "suspended: no new scenarios start until spec.suspend is false"
    else:
        message = ""
    artifacts = spec.artifacts.s3.run_url(run["metadata"]["name"]) if spec.artifacts.s3 else None
    new = _aggregated(
        reading,
        aggregate,
        phase,
        message,
        now,
        started_at=status.started_at or (now if observed else None),
        artifacts_ref=artifacts,
        scenarios=_pinned(status, contents, bool(create or children)),
    )
    if gone and not spec.cancel:
        new = _scenario_gone(new, status, gone, now, generation)
    return RunPlan(new, create, cancel, contents, agent_spec)


def plan_external_run(
    run: Mapping[str, Any],
    benchmark: Mapping[str, Any] | None,
    catalogue: Catalogue,
    children: Mapping[int, Child],
    now: datetime,
    *,
    benchmark_labels: Mapping[str, str] | None = None,
) -> RunPlan:
    """The next actions and status of an external agent's BenchmarkRun
    (`agent: {external: true}`).

    No ScenarioRun is created here: the user's client starts one per scenario. The run
    lists the scenarios not started yet (`pendingScenarios`), aggregates the ones that
    are, and ends Succeeded once every scenario was started and Completed (Failed if one
    ended badly); early with `spec.complete` (running scenarios are asked to complete,
    those never started stay unscored); Canceled with `spec.cancel`, its running
    scenarios canceled.
    """
    reading = _read(run, benchmark, benchmark_labels, now)
    if isinstance(reading, RunPlan):
        return reading
    status, spec, generation = reading.status, reading.spec, reading.generation
    name = spec.benchmark_ref.name
    if reading.benchmark.scenarios is None:
        message = (
            f"Benchmark {name!r} is generated: an external agent plays explicit scenarios "
            "only (Benchmark.spec.scenarios); run generated benchmarks with an agentRef"
        )
        return _not_ready(status, "GeneratedBenchmark", message, now, generation)
    try:
        contents = _resolve(reading, catalogue)
        indices = scenario_indices(spec, contents.count)
    except CatalogueError as error:
        return _not_ready(status, error.reason, f"Benchmark {name!r}: {error}", now, generation)
    except ValueError as error:
        return _not_ready(status, "InvalidSpec", str(error), now, generation)
    observed = {i: children[i] for i in indices if i in children}
    running = sorted(i for i, c in observed.items() if not c.status.phase.terminal)
    cancel = [i for i in running if not observed[i].cancel] if spec.cancel else []
    complete = running if spec.complete and not spec.cancel else []
    statuses = [c.status for c in observed.values()]
    turns = [child_turns(contents, i, children) for i in observed]
    aggregate = aggregate_run(statuses, len(indices), turns)
    pending = [contents.names[i] for i in indices if i not in observed]
    gone = {i: n for i, n in contents.gone.items() if i in indices and i not in observed}

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
    new = _aggregated(
        reading,
        aggregate,
        phase,
        message,
        now,
        started_at=status.started_at or now,
        pending_scenarios=pending,
        scenarios=_pinned(status, contents, bool(children)),
    )
    if gone and not spec.cancel and not spec.complete:
        new = _scenario_gone(new, status, gone, now, generation)
    return RunPlan(new, cancel=cancel, complete=complete, contents=contents)


def _pinned(
    status: BenchmarkRunStatus, contents: BenchmarkScenarios, started: bool
) -> list[str] | None:
    """`status.scenarios`: the explicit Scenarios the run plays, fixed once it started
    (its first ScenarioRun created or observed) and never rewritten; None before that
    and for generated benchmarks."""
    if status.scenarios is not None or contents.generator is not None or not started:
        return status.scenarios
    return list(contents.names)


def child_turns(contents: BenchmarkScenarios, index: int, children: Mapping[int, Child]) -> int:
    """Turns of scenario `index`: its ScenarioRun's own snapshot says it when observed (its
    Scenario may since be gone), else the Benchmark's."""
    child = children.get(index)
    if child is not None and child.turns is not None:
        return child.turns
    if child is not None and index in contents.gone:  # not read: the turns it summarized
        return len(child.status.turns)
    return contents.turns(index)


def _scenario_gone(
    status: BenchmarkRunStatus,
    before: BenchmarkRunStatus,
    gone: Mapping[int, str],
    now: datetime,
    generation: int | None,
) -> BenchmarkRunStatus:
    """The run's new `status` with `Ready=False`: a Scenario it pinned was deleted before
    its ScenarioRun started; running ones go on, the run cannot end until it is back. The
    conditions follow the status `before` this plan, so the transition time holds."""
    names = ", ".join(f"{n!r} (index {i})" for i, n in sorted(gone.items()))
    message = (
        f"Scenario {names} of this run no longer exists: restore it, or start a new run "
        "(a run plays the Scenarios it started with; the others go on)"
    )
    return _not_ready_status(status, SCENARIO_NOT_FOUND, message, now, generation, before=before)


def _resolve(reading: _Reading, catalogue: Catalogue) -> BenchmarkScenarios:
    """The Benchmark's scenarios: the run's pinned ones (`status.scenarios`) once it
    started, else those its selection selects now; only those are parsed (a namespace may
    hold a large catalogue). An invalid one (a laxer CRD let it in) is named."""
    benchmark, pinned = reading.benchmark, reading.status.scenarios
    kept = set(pinned or ())
    documents = {}
    for name, (labels, raw) in catalogue.scenarios.items():
        if benchmark.scenarios is None:
            continue
        if pinned is not None:
            if name not in kept:
                continue
        elif not benchmark.scenarios.selects(name, dict(labels)):
            continue
        try:
            documents[name] = ScenarioDocument(labels, parse_spec(ScenarioSpec, raw))
        except ValidationError as error:
            raise CatalogueError(
                "InvalidScenario", f"Scenario {name!r} is invalid: {explain(error, 'spec')}"
            ) from None
    used = {s for doc in documents.values() for s in custom_scorer_names(doc.spec)}
    scorers = {}
    for name in sorted(used & set(catalogue.scorers)):
        try:
            scorers[name] = parse_spec(ScorerResourceSpec, catalogue.scorers[name])
        except ValidationError as error:
            raise CatalogueError(
                "InvalidScorer", f"Scorer {name!r} is invalid: {explain(error, 'spec')}"
            ) from None
    where = f"in namespace {reading.home!r}"
    return resolve_benchmark(benchmark, documents, scorers, where=where, pinned=pinned)


def queue_not_found(queue: str, namespace: str) -> str:
    """The message of the `QueueNotFound` condition."""
    return (
        f"LocalQueue {queue!r} not found in namespace {namespace!r}: create it (see "
        "docs/operator.md, Kueue), or fix spec.queueName; no scenario starts until it exists"
    )
