"""Prometheus metrics of the operator: one registry, low-cardinality labels, typed recorders.

Every metric is declared once in `METRIC_SPECS` (name, type, labels, buckets); the live
prometheus-client objects, the names the dashboard and alert tests may use
(`exported_series`) and the documentation all derive from that table, so they cannot drift.

Labels are limited to bounded vocabularies: the Kubernetes namespace, the Benchmark and
Agent names, and small enums (outcome, stage, reason, phase, kind). Run, scenario and pod
names never become label values: they grow without bound and would explode the series
count (the k6-operator and Katib lesson). Recorders validate every value and raise a
`ValueError` naming the label, so a misuse fails in tests rather than in Prometheus.

Handlers stay one-liners::

    telemetry.record_decision(labels, step=..., event=..., old=..., new=..., ...)  # operator
    metrics.record_step(ns, benchmark, agent, stage="test", seconds=pod_seconds)
    metrics.set_scenario_runs(Counter(ScenarioRunKey(ns, bm, agent, phase) for ...))
    with metrics.time_reconcile("ScenarioRun"):
        ...
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, cast
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from enduro.api.scenariorun import ScenarioPhase

MetricType = Literal["counter", "gauge", "histogram"]
TurnOutcome = Literal["passed", "failed"]
Stage = Literal["agent", "test", "environment"]
Kind = Literal["Benchmark", "Agent", "BenchmarkRun", "ScenarioRun"]

TURN_OUTCOMES: tuple[TurnOutcome, ...] = ("passed", "failed")
STAGES: tuple[Stage, ...] = ("agent", "test", "environment")  # the StepRole values (tested)
KINDS: tuple[Kind, ...] = ("Benchmark", "Agent", "BenchmarkRun", "ScenarioRun")
SCENARIO_PHASES: tuple[str, ...] = tuple(p.value for p in ScenarioPhase)

# Infrastructure failures are folded into a closed set of reasons: the kubelet and the
# scheduler use many spellings for the same cause, and a free-text reason would be an
# unbounded label. Anything not listed counts as "Other".
INFRA_REASONS = (
    "Evicted",
    "ImagePull",
    "NodeLost",
    "Preempted",
    "PodDeleted",
    "Unschedulable",
    "OOMKilled",
    "DeadlineExceeded",
    "Other",
)
_INFRA_REASON_ALIASES = {
    "evicted": "Evicted",
    "eviction": "Evicted",
    "errimagepull": "ImagePull",
    "imagepullbackoff": "ImagePull",
    "imagepull": "ImagePull",
    "invalidimagename": "ImagePull",
    "nodelost": "NodeLost",
    "nodeshutdown": "NodeLost",
    "terminated": "NodeLost",
    "preempted": "Preempted",
    "preempting": "Preempted",
    "poddeleted": "PodDeleted",
    "deleted": "PodDeleted",
    "unschedulable": "Unschedulable",
    "failedscheduling": "Unschedulable",
    "oomkilled": "OOMKilled",
    "deadlineexceeded": "DeadlineExceeded",
}
# Words that name a cause inside a longer message, most specific first.
_INFRA_REASON_WORDS = (
    ("evict", "Evicted"),
    ("imagepull", "ImagePull"),
    ("invalidimagename", "ImagePull"),
    ("unschedulable", "Unschedulable"),
    ("failedscheduling", "Unschedulable"),
    ("oomkilled", "OOMKilled"),
    ("outofmemory", "OOMKilled"),
    ("deadline", "DeadlineExceeded"),
    ("preempt", "Preempted"),
    ("nodelost", "NodeLost"),
    ("nodeshutdown", "NodeLost"),
    ("disappeared", "PodDeleted"),
    ("poddeleted", "PodDeleted"),
)

TURN_SCORE_BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0)
STAMINA_BUCKETS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100)
STEP_SECONDS_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
RECONCILE_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

_RUN = ("namespace", "benchmark", "agent")


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric. `name` is the family name without the `_total` suffix."""

    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()

    def series(self) -> dict[str, frozenset[str]]:
        """Sample names this metric exposes, each with the label names it carries."""
        labels = frozenset(self.labels)
        if self.type == "counter":
            return {f"{self.name}_total": labels}
        if self.type == "gauge":
            return {self.name: labels}
        return {
            f"{self.name}_bucket": labels | {"le"},
            f"{self.name}_sum": labels,
            f"{self.name}_count": labels,
        }


METRIC_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "enduro_scenario_runs", "gauge",
        "ScenarioRuns currently in each phase.", (*_RUN, "phase"),
    ),
    MetricSpec(
        "enduro_turns_completed", "counter",
        "Turns finished, by outcome (passed: every test of the final attempt passed).",
        (*_RUN, "outcome"),
    ),
    MetricSpec("enduro_attempts", "counter", "Agent attempts started (one per turn try).", _RUN),
    MetricSpec(
        "enduro_turn_score", "histogram",
        "Score of each finished turn: passed/total on its final attempt.", _RUN,
        TURN_SCORE_BUCKETS,
    ),
    MetricSpec(
        "enduro_scenario_stamina_turns", "histogram",
        "Stamina at scenario end: consecutive turns passed from turn 1.", _RUN,
        STAMINA_BUCKETS,
    ),
    MetricSpec(
        "enduro_scenario_score", "histogram",
        "Score of each finished scenario: mean turn score.", _RUN, TURN_SCORE_BUCKETS,
    ),
    MetricSpec(
        "enduro_step_duration_seconds", "histogram",
        "Wall time of one step (agent or test pod), from creation to termination.",
        (*_RUN, "stage"), STEP_SECONDS_BUCKETS,
    ),
    MetricSpec(
        "enduro_infrastructure_retries", "counter",
        "Steps retried after an infrastructure failure (no agent attempt spent).",
        ("namespace", "stage", "reason"),
    ),
    MetricSpec(
        "enduro_reconcile_duration_seconds", "histogram",
        "Time spent in one operator handler call.", ("kind",), RECONCILE_SECONDS_BUCKETS,
    ),
    MetricSpec(
        "enduro_reconcile_errors", "counter",
        "Operator handler calls that raised, by exception class.", ("kind", "reason"),
    ),
    MetricSpec("enduro_pods_created", "counter", "Step pods created.", ("namespace", "stage")),
    MetricSpec(
        "enduro_agent_input_tokens", "counter",
        "Prompt tokens the agent harness reported.", _RUN,
    ),
    MetricSpec(
        "enduro_agent_output_tokens", "counter",
        "Completion tokens the agent harness reported.", _RUN,
    ),
    MetricSpec(
        "enduro_agent_cost_usd", "counter", "Model cost the agent harness reported, in USD.", _RUN
    ),
)  # fmt: skip


def exported_series() -> dict[str, frozenset[str]]:
    """Every sample name the operator exposes (with `_total`/`_bucket`/... suffixes) and
    the label names it carries. Pure: the dashboard and alert tests check against it."""
    series: dict[str, frozenset[str]] = {}
    for spec in METRIC_SPECS:
        series.update(spec.series())
    return series


_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def _k8s_name(field: str, value: str) -> str:
    if not _K8S_NAME.match(value):
        raise ValueError(
            f"metric label {field}={value!r} is not a Kubernetes object name "
            "(lowercase letters, digits, '-' and '.'): pass the object's metadata.name"
        )
    return value


def _one_of(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"metric label {field}={value!r} must be one of {', '.join(allowed)}")
    return value


def _phase(value: str) -> str:
    """A `ScenarioPhase` value (the enum or its string)."""
    return _one_of("phase", str(value), SCENARIO_PHASES)


def _non_negative(field: str, value: float) -> float:
    if value < 0:
        raise ValueError(f"{field} must be >= 0, got {value}")
    return value


@dataclass(frozen=True)
class ScenarioRunKey:
    """What the phase gauge needs of one ScenarioRun (never its name)."""

    namespace: str
    benchmark: str
    agent: str
    phase: str


def count_scenario_runs(
    runs: Mapping[ScenarioRunKey, int],
) -> dict[tuple[str, str, str], dict[str, int]]:
    """ScenarioRuns per (namespace, benchmark, agent) and phase, from the number of
    ScenarioRuns of each key; validates every value."""
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for run, n in runs.items():
        key = (
            _k8s_name("namespace", run.namespace),
            _k8s_name("benchmark", run.benchmark),
            _k8s_name("agent", run.agent),
        )
        phase = _phase(run.phase)
        counts.setdefault(key, {})
        counts[key][phase] = counts[key].get(phase, 0) + n
    return counts


def infra_reason(reason: str) -> str:
    """Fold a kubelet/scheduler reason ('ImagePullBackOff', 'Evicted', ...) or a free-text
    failure message naming one into `INFRA_REASONS`; anything else becomes 'Other'."""
    key = re.sub(r"[^a-z]", "", reason.lower())
    if key in _INFRA_REASON_ALIASES:
        return _INFRA_REASON_ALIASES[key]
    exact = next((r for r in INFRA_REASONS if r.lower() == key), None)
    if exact is not None:
        return exact
    return next((folded for word, folded in _INFRA_REASON_WORDS if word in key), "Other")


class EnduroMetrics:
    """The operator's metrics in a dedicated registry (never the process-global one, so
    tests and embedded runs can create as many independent sets as they like)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, Counter | Gauge | Histogram] = {}
        self._phase_series: set[tuple[str, str, str, str]] = set()
        for spec in METRIC_SPECS:
            self._metrics[spec.name] = _build(spec, self.registry)

    def _counter(self, name: str) -> Counter:
        return cast(Counter, self._metrics[name])

    def _gauge(self, name: str) -> Gauge:
        return cast(Gauge, self._metrics[name])

    def _histogram(self, name: str) -> Histogram:
        return cast(Histogram, self._metrics[name])

    @staticmethod
    def _run(namespace: str, benchmark: str, agent: str) -> tuple[str, str, str]:
        return (
            _k8s_name("namespace", namespace),
            _k8s_name("benchmark", benchmark),
            _k8s_name("agent", agent),
        )

    def set_scenario_runs(self, runs: Mapping[ScenarioRunKey, int]) -> None:
        """Replace the phase gauge with `runs`, the number of ScenarioRuns of each key (as
        the operator keeps it from the ScenarioRuns it sees). Setting every series, rather
        than inc/dec on transitions, keeps the gauge right across operator restarts and
        missed events. Series of (namespace, benchmark, agent) groups that have no runs any
        more are removed."""
        counts = count_scenario_runs(runs)
        gauge = self._gauge("enduro_scenario_runs")
        fresh = {(*run, phase) for run in counts for phase in SCENARIO_PHASES}
        for labels in fresh:
            gauge.labels(*labels).set(counts[labels[:3]].get(labels[3], 0))
        for labels in self._phase_series - fresh:
            gauge.remove(*labels)
        self._phase_series = fresh

    def record_attempt(self, namespace: str, benchmark: str, agent: str) -> None:
        self._counter("enduro_attempts").labels(*self._run(namespace, benchmark, agent)).inc()

    def record_turn(
        self, namespace: str, benchmark: str, agent: str, *, outcome: TurnOutcome, score: float
    ) -> None:
        """A turn finished: count it by outcome and observe its score (0..1)."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"turn score must be within 0..1 (passed/total), got {score}")
        run = self._run(namespace, benchmark, agent)
        outcome = cast(TurnOutcome, _one_of("outcome", outcome, TURN_OUTCOMES))
        self._counter("enduro_turns_completed").labels(*run, outcome).inc()
        self._histogram("enduro_turn_score").labels(*run).observe(score)

    def record_scenario_end(
        self, namespace: str, benchmark: str, agent: str, *, stamina: int, score: float
    ) -> None:
        """A scenario finished: observe its stamina (turns) and its mean score."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"scenario score must be within 0..1, got {score}")
        run = self._run(namespace, benchmark, agent)
        self._histogram("enduro_scenario_stamina_turns").labels(*run).observe(
            _non_negative("stamina", stamina)
        )
        self._histogram("enduro_scenario_score").labels(*run).observe(score)

    def record_step(
        self, namespace: str, benchmark: str, agent: str, *, stage: Stage, seconds: float
    ) -> None:
        run = self._run(namespace, benchmark, agent)
        self._histogram("enduro_step_duration_seconds").labels(
            *run, _one_of("stage", stage, STAGES)
        ).observe(_non_negative("seconds", seconds))

    def record_infra_retry(self, namespace: str, *, stage: Stage, reason: str) -> None:
        """An infrastructure failure made a step retry; `reason` is folded by `infra_reason`."""
        self._counter("enduro_infrastructure_retries").labels(
            _k8s_name("namespace", namespace), _one_of("stage", stage, STAGES), infra_reason(reason)
        ).inc()

    def record_pod_created(self, namespace: str, *, stage: Stage) -> None:
        self._counter("enduro_pods_created").labels(
            _k8s_name("namespace", namespace), _one_of("stage", stage, STAGES)
        ).inc()

    def record_agent_usage(
        self,
        namespace: str,
        benchmark: str,
        agent: str,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Add what the harness reported; None means "not reported" and records nothing."""
        run = self._run(namespace, benchmark, agent)
        for name, value in (
            ("enduro_agent_input_tokens", input_tokens),
            ("enduro_agent_output_tokens", output_tokens),
            ("enduro_agent_cost_usd", cost_usd),
        ):
            if value is not None:
                self._counter(name).labels(*run).inc(_non_negative(name, value))

    def record_reconcile(self, kind: Kind, seconds: float, error: BaseException | None) -> None:
        _one_of("kind", kind, KINDS)
        self._histogram("enduro_reconcile_duration_seconds").labels(kind).observe(
            _non_negative("seconds", seconds)
        )
        if error is not None:
            self._counter("enduro_reconcile_errors").labels(kind, type(error).__name__).inc()

    @contextmanager
    def time_reconcile(self, kind: Kind) -> Iterator[None]:
        """Time a handler call; an exception is counted by class name and re-raised."""
        _one_of("kind", kind, KINDS)
        start = time.perf_counter()
        try:
            yield
        except BaseException as exc:
            self.record_reconcile(kind, time.perf_counter() - start, exc)
            raise
        self.record_reconcile(kind, time.perf_counter() - start, None)

    def serve(self, port: int, addr: str = "0.0.0.0") -> WSGIServer:
        """Expose `/metrics` over HTTP in a daemon thread; returns the server (call
        `.shutdown()` to stop it). Port 0 picks a free port: read `server.server_port`."""
        server, _thread = start_http_server(port, addr, registry=self.registry)
        return server


def _build(spec: MetricSpec, registry: CollectorRegistry) -> Counter | Gauge | Histogram:
    if spec.type == "counter":
        return Counter(spec.name, spec.help, spec.labels, registry=registry)
    if spec.type == "gauge":
        return Gauge(spec.name, spec.help, spec.labels, registry=registry)
    return Histogram(spec.name, spec.help, spec.labels, registry=registry, buckets=spec.buckets)


# The operator process's metrics; handlers call these module-level recorders.
DEFAULT = EnduroMetrics()
set_scenario_runs = DEFAULT.set_scenario_runs
record_attempt = DEFAULT.record_attempt
record_turn = DEFAULT.record_turn
record_scenario_end = DEFAULT.record_scenario_end
record_step = DEFAULT.record_step
record_infra_retry = DEFAULT.record_infra_retry
record_pod_created = DEFAULT.record_pod_created
record_agent_usage = DEFAULT.record_agent_usage
record_reconcile = DEFAULT.record_reconcile
time_reconcile = DEFAULT.time_reconcile


def serve(port: int, addr: str = "0.0.0.0") -> WSGIServer:
    """Serve the operator's default metrics on `addr:port` at `/metrics`."""
    return DEFAULT.serve(port, addr)
