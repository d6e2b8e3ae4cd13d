"""Operator metrics, scraped over real HTTP the way Prometheus scrapes them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from enduro.operator import metrics
from enduro.operator.metrics import EnduroMetrics, ScenarioRunKey


@pytest.fixture
def fresh() -> EnduroMetrics:
    return EnduroMetrics()


def scrape(m: EnduroMetrics) -> list[Sample]:
    server = m.serve(0, "127.0.0.1")
    try:
        resp = requests.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    return [s for fam in text_string_to_metric_families(resp.text) for s in fam.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) == 1, f"expected one {name}{labels}, found {found}"
    return found[0]


RUN = {"namespace": "bench", "benchmark": "rest-50", "agent": "mock"}


def test_a_recorded_run_is_scraped_with_values_and_labels(fresh: EnduroMetrics) -> None:
    fresh.set_scenario_runs(
        Counter(
            [
                ScenarioRunKey("bench", "rest-50", "mock", "Pending"),
                ScenarioRunKey("bench", "rest-50", "mock", "Running"),
            ]
        )
    )
    for _ in range(3):
        fresh.record_attempt("bench", "rest-50", "mock")
    fresh.record_turn("bench", "rest-50", "mock", outcome="passed", score=1.0)
    fresh.record_turn("bench", "rest-50", "mock", outcome="failed", score=0.25)
    fresh.record_scenario_end("bench", "rest-50", "mock", stamina=1, score=0.625)
    fresh.record_step("bench", "rest-50", "mock", stage="agent", seconds=42.0)
    fresh.record_step("bench", "rest-50", "mock", stage="test", seconds=3.5)
    fresh.record_infra_retry("bench", stage="test", reason="ImagePullBackOff")
    fresh.record_infra_retry("bench", stage="test", reason="ErrImagePull")
    fresh.record_pod_created("bench", stage="agent")
    fresh.record_agent_usage(
        "bench", "rest-50", "mock", input_tokens=1200, output_tokens=300, cost_usd=0.02
    )
    fresh.record_agent_usage("bench", "rest-50", "mock", input_tokens=800)

    s = scrape(fresh)
    assert value(s, "enduro_scenario_runs", **RUN, phase="Pending") == 1
    assert value(s, "enduro_scenario_runs", **RUN, phase="Running") == 1
    assert value(s, "enduro_scenario_runs", **RUN, phase="Succeeded") == 0
    assert value(s, "enduro_attempts_total", **RUN) == 3
    assert value(s, "enduro_turns_completed_total", **RUN, outcome="passed") == 1
    assert value(s, "enduro_turns_completed_total", **RUN, outcome="failed") == 1
    assert value(s, "enduro_turn_score_count", **RUN) == 2
    assert value(s, "enduro_turn_score_sum", **RUN) == 1.25
    assert value(s, "enduro_turn_score_bucket", **RUN, le="0.3") == 1
    assert value(s, "enduro_turn_score_bucket", **RUN, le="0.99") == 1
    assert value(s, "enduro_turn_score_bucket", **RUN, le="1.0") == 2
    assert value(s, "enduro_scenario_stamina_turns_bucket", **RUN, le="0.0") == 0
    assert value(s, "enduro_scenario_stamina_turns_bucket", **RUN, le="1.0") == 1
    assert value(s, "enduro_scenario_score_sum", **RUN) == 0.625
    assert value(s, "enduro_step_duration_seconds_count", **RUN, stage="agent") == 1
    assert value(s, "enduro_step_duration_seconds_bucket", **RUN, stage="agent", le="30.0") == 0
    assert value(s, "enduro_step_duration_seconds_bucket", **RUN, stage="agent", le="60.0") == 1
    assert value(s, "enduro_step_duration_seconds_sum", **RUN, stage="test") == 3.5
    # Two spellings of one cause land in one low-cardinality series.
    assert value(s, "enduro_infrastructure_retries_total", stage="test", reason="ImagePull") == 2
    assert value(s, "enduro_pods_created_total", namespace="bench", stage="agent") == 1
    assert value(s, "enduro_agent_input_tokens_total", **RUN) == 2000
    assert value(s, "enduro_agent_output_tokens_total", **RUN) == 300
    assert value(s, "enduro_agent_cost_usd_total", **RUN) == 0.02


def test_reconcile_timing_counts_errors_by_exception_class(fresh: EnduroMetrics) -> None:
    with fresh.time_reconcile("ScenarioRun"):
        pass
    with pytest.raises(KeyError), fresh.time_reconcile("ScenarioRun"):
        raise KeyError("boom")
    s = scrape(fresh)
    assert value(s, "enduro_reconcile_duration_seconds_count", kind="ScenarioRun") == 2
    assert value(s, "enduro_reconcile_errors_total", kind="ScenarioRun", reason="KeyError") == 1


def test_every_declared_series_is_really_exposed_with_its_labels(fresh: EnduroMetrics) -> None:
    # Touch every metric once, then compare the scrape with the pure declaration the
    # dashboard and alert tests rely on.
    fresh.set_scenario_runs(Counter([ScenarioRunKey("ns", "b", "a", "Running")]))
    fresh.record_attempt("ns", "b", "a")
    fresh.record_turn("ns", "b", "a", outcome="passed", score=1.0)
    fresh.record_scenario_end("ns", "b", "a", stamina=3, score=1.0)
    fresh.record_step("ns", "b", "a", stage="agent", seconds=1.0)
    fresh.record_infra_retry("ns", stage="agent", reason="Evicted")
    fresh.record_pod_created("ns", stage="test")
    fresh.record_agent_usage("ns", "b", "a", input_tokens=1, output_tokens=1, cost_usd=0.1)
    fresh.record_reconcile("BenchmarkRun", 0.01, RuntimeError())
    scraped: dict[str, frozenset[str]] = {}
    for sample in scrape(fresh):
        if sample.name.endswith("_created"):  # prometheus-client's creation timestamps
            continue
        scraped[sample.name] = frozenset(sample.labels)
    assert scraped == metrics.exported_series()


def test_no_label_can_carry_a_run_or_pod_name() -> None:
    names = {label for labels in metrics.exported_series().values() for label in labels}
    assert names <= {"namespace", "benchmark", "agent", "outcome", "stage", "reason", "phase"} | {
        "kind",
        "le",
    }
    with pytest.raises(ValueError, match="phase='sr-t003-a1-agent' must be one of Pending"):
        EnduroMetrics().set_scenario_runs(
            Counter([ScenarioRunKey("ns", "b", "a", "sr-t003-a1-agent")])
        )


def test_phases_are_the_scenariorun_phases() -> None:
    from enduro.api.scenariorun import ScenarioPhase

    m = EnduroMetrics()
    m.set_scenario_runs(Counter([ScenarioRunKey("ns", "b", "a", ScenarioPhase.TIMED_OUT)]))
    labels = {"namespace": "ns", "benchmark": "b", "agent": "a"}
    assert m.registry.get_sample_value("enduro_scenario_runs", {**labels, "phase": "TimedOut"}) == 1
    assert m.registry.get_sample_value("enduro_scenario_runs", {**labels, "phase": "Pending"}) == 0


def test_recounting_replaces_the_gauge_and_drops_groups_without_runs() -> None:
    m = EnduroMetrics()
    m.set_scenario_runs(
        Counter(
            [ScenarioRunKey("ns", "old", "a", "Running"), ScenarioRunKey("ns", "b", "a", "Pending")]
        )
    )
    m.set_scenario_runs(Counter([ScenarioRunKey("ns", "b", "a", "Running")] * 3))

    def runs(benchmark: str, phase: str) -> float | None:
        labels = {"namespace": "ns", "benchmark": benchmark, "agent": "a", "phase": phase}
        return m.registry.get_sample_value("enduro_scenario_runs", labels)

    assert runs("b", "Running") == 3
    assert runs("b", "Pending") == 0
    assert runs("old", "Running") is None


def test_count_scenario_runs_is_pure() -> None:
    runs = [ScenarioRunKey("ns", "b", "a", p) for p in ("Running", "Running", "Failed")]
    counted = metrics.count_scenario_runs(Counter(runs))
    assert counted == {("ns", "b", "a"): {"Running": 2, "Failed": 1}}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.record_turn("ns", "b", "a", outcome="maybe", score=1.0), "outcome='maybe'"),
        (lambda m: m.record_turn("ns", "b", "a", outcome="passed", score=1.5), "within 0..1"),
        (lambda m: m.record_step("ns", "b", "a", stage="build", seconds=1), "stage='build'"),
        (lambda m: m.record_step("Bad NS", "b", "a", stage="agent", seconds=1), "namespace="),
        (lambda m: m.record_step("ns", "b", "a", stage="agent", seconds=-1), "seconds must be"),
        (lambda m: m.record_reconcile("Pod", 0.1, None), "kind='Pod'"),
    ],
)
def test_bad_values_name_the_label(call: Callable[[EnduroMetrics], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(EnduroMetrics())


@pytest.mark.parametrize(
    ("reason", "folded"),
    [
        ("ImagePullBackOff", "ImagePull"),
        ("ErrImagePull", "ImagePull"),
        ("Evicted", "Evicted"),
        ("OOMKilled", "OOMKilled"),
        ("NodeShutdown", "NodeLost"),
        ("FailedScheduling", "Unschedulable"),
        ("pod deleted", "PodDeleted"),
        ("something the kubelet invented", "Other"),
        ("prepare-workspace: ErrImagePull Back-off pulling image", "ImagePull"),
        ("unschedulable: 0/3 nodes are available", "Unschedulable"),
        ("the step's pod disappeared", "PodDeleted"),
        ("test runner exited 2", "Other"),
    ],
)
def test_infra_reasons_fold_into_a_closed_set(reason: str, folded: str) -> None:
    assert metrics.infra_reason(reason) == folded
    assert folded in metrics.INFRA_REASONS


def test_module_level_recorders_feed_the_default_registry() -> None:
    before = metrics.DEFAULT.registry.get_sample_value(
        "enduro_pods_created_total", {"namespace": "default-reg", "stage": "agent"}
    )
    metrics.record_pod_created("default-reg", stage="agent")
    after = metrics.DEFAULT.registry.get_sample_value(
        "enduro_pods_created_total", {"namespace": "default-reg", "stage": "agent"}
    )
    assert (before or 0) + 1 == after


@pytest.fixture
def served_default() -> Iterator[int]:
    server = metrics.serve(0, "127.0.0.1")
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_serve_exposes_the_default_registry(served_default: int) -> None:
    metrics.record_attempt("served", "b", "a")
    text = requests.get(f"http://127.0.0.1:{served_default}/metrics", timeout=10).text
    assert 'enduro_attempts_total{agent="a",benchmark="b",namespace="served"} 1.0' in text


def test_docs_list_every_metric_with_its_labels() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "observability.md").read_text()
    for spec in metrics.METRIC_SPECS:
        name = spec.name + ("_total" if spec.type == "counter" else "")
        labels = ", ".join(f"`{label}`" for label in spec.labels)
        assert f"| `{name}` | {spec.type} | {labels} |" in doc, f"docs/observability.md: {name}"


def test_stages_are_the_step_roles() -> None:
    from enduro.steps.spec import StepRole

    assert set(metrics.STAGES) == {role.value for role in StepRole}


def test_the_gauge_is_set_from_a_count_per_key_kept_across_phase_changes() -> None:
    """The operator keeps a count per key, moved at each phase change, rather than
    counting every ScenarioRun it has seen again."""
    from enduro.operator.telemetry import tally_phase

    pending, running = (ScenarioRunKey("ns", "b", "a", p) for p in ("Pending", "Running"))
    counts: Counter[ScenarioRunKey] = Counter()
    for _ in range(3):
        tally_phase(counts, None, pending)
    tally_phase(counts, pending, running)
    m = EnduroMetrics()
    m.set_scenario_runs(counts)
    labels = {"namespace": "ns", "benchmark": "b", "agent": "a"}
    assert m.registry.get_sample_value("enduro_scenario_runs", {**labels, "phase": "Pending"}) == 2
    assert m.registry.get_sample_value("enduro_scenario_runs", {**labels, "phase": "Running"}) == 1
    tally_phase(counts, running, None)
    tally_phase(counts, pending, None)
    tally_phase(counts, pending, None)
    assert counts == {}
    m.set_scenario_runs(counts)
    assert (
        m.registry.get_sample_value("enduro_scenario_runs", {**labels, "phase": "Pending"}) is None
    )
