"""The Grafana dashboard only queries metrics and labels the operator really exports."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chartkit import CHART, by_kind, grafana_to_promql, helm_template, promql_problems

from enduro.operator import metrics

# Labels with a closed set of values: a matcher on any other value selects nothing, ever.
ENUMS = {
    "phase": metrics.SCENARIO_PHASES,
    "outcome": metrics.TURN_OUTCOMES,
    "stage": metrics.STAGES,
    "kind": metrics.KINDS,
    "reason": metrics.INFRA_REASONS,
}

DASHBOARD = CHART / "dashboards" / "enduro.json"


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panel_queries() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in load()["panels"]
        for target in panel.get("targets", [])
    ]


@pytest.mark.parametrize(("title", "expr"), panel_queries(), ids=lambda v: str(v)[:60])
def test_every_panel_query_uses_exported_metrics_and_labels(title: str, expr: str) -> None:
    problems = promql_problems(grafana_to_promql(expr), metrics.exported_series(), ENUMS)
    assert not problems, f"panel {title!r}: {expr}\n" + "\n".join(problems)


LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")


def test_template_variables_read_labels_the_selected_metric_has() -> None:
    series = metrics.exported_series()
    variables = [v for v in load()["templating"]["list"] if v["type"] == "query"]
    assert {v["name"] for v in variables} >= {"namespace", "benchmark", "agent", "job"}
    for var in variables:
        match = LABEL_VALUES.match(var["definition"])
        assert match, f"variable {var['name']}: unexpected query {var['definition']!r}"
        selector, label = match["selector"], match["label"]
        assert not promql_problems(selector, series), (var["name"], selector)
        assert not promql_problems(f"sum by ({label}) ({selector})", series), (var["name"], label)


def test_the_checker_catches_names_that_are_not_exported() -> None:
    # Guard against a checker that silently passes everything.
    series = metrics.exported_series()
    assert promql_problems("rate(enduro_turns_total[5m])", series)
    assert promql_problems('enduro_attempts_total{scenariorun="sr-1"}', series)
    assert promql_problems("sum by (pod) (enduro_attempts_total)", series)
    assert promql_problems("histogram_quantile(0.9, enduro_turn_score_bucket[5m]", series)
    assert promql_problems('enduro_scenario_runs{phase="Done"}', series, ENUMS)


def test_dashboard_covers_what_operators_ask_for() -> None:
    exprs = " ".join(expr for _, expr in panel_queries())
    used = set(re.findall(r"enduro_[a-z_]+", exprs)) | ({"up"} if "up{" in exprs else set())
    # Every exported family appears on the dashboard at least once.
    families = {spec.name for spec in metrics.METRIC_SPECS}
    missing = {f for f in families if not any(name.startswith(f) for name in used)}
    assert not missing, f"metrics no panel shows: {sorted(missing)}"
    assert "up" in used
    assert "histogram_quantile" in exprs
    titles = {title for title, _ in panel_queries()}
    assert any("Survival" in t for t in titles)


def test_panels_have_unique_ids_and_fit_the_grid() -> None:
    panels = load()["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for p in panels:
        pos = p["gridPos"]
        assert pos["x"] + pos["w"] <= 24, p["title"]


def test_configmap_carries_the_dashboard_for_the_grafana_sidecar() -> None:
    (cm,) = by_kind(helm_template(), "ConfigMap")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["enduro.json"]) == load()
    assert not by_kind(helm_template("--set", "grafana.dashboards.enabled=false"), "ConfigMap")
