"""The alerts render, select only exported metrics and labels, and follow the values."""

from __future__ import annotations

from typing import Any

import pytest
from chartkit import by_kind, helm_template, promql_problems

from enduro.operator import metrics

# Labels with a closed set of values: a matcher on any other value selects nothing, ever.
ENUMS = {
    "phase": metrics.SCENARIO_PHASES,
    "outcome": metrics.TURN_OUTCOMES,
    "stage": metrics.STAGES,
    "kind": metrics.KINDS,
    "reason": metrics.INFRA_REASONS,
}


def rules(render_with: list[str]) -> dict[str, dict[str, Any]]:
    (rule,) = by_kind(helm_template("--set", "prometheusRule.enabled=true", *render_with),
                      "PrometheusRule")  # fmt: skip
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


def test_off_by_default() -> None:
    assert not by_kind(helm_template(), "PrometheusRule")


def test_the_four_alerts_exist() -> None:
    assert set(rules([])) == {
        "EnduroOperatorDown",
        "EnduroReconcileErrorsRising",
        "EnduroScenarioRunsStuckPending",
        "EnduroInfrastructureRetriesSpiking",
    }


@pytest.mark.parametrize("alert", sorted(rules([])))
def test_alert_expression_uses_exported_metrics_and_labels(alert: str) -> None:
    rule = rules([])[alert]
    problems = promql_problems(rule["expr"], metrics.exported_series(), ENUMS)
    assert not problems, f"{alert}: {rule['expr']}\n" + "\n".join(problems)
    assert rule["labels"]["severity"] in {"critical", "warning"}
    assert rule["annotations"]["summary"]


def test_thresholds_and_windows_come_from_values() -> None:
    custom = rules(
        [
            "--set", "prometheusRule.pendingFor=1h",
            "--set", "prometheusRule.infraRetriesPerMinute=7",
            "--set", "prometheusRule.reconcileErrorsPerMinute=3",
        ]
    )  # fmt: skip
    stuck = custom["EnduroScenarioRunsStuckPending"]
    assert stuck["for"] == "1h"
    assert "increase(enduro_attempts_total[1h])" in stuck["expr"]
    assert custom["EnduroInfrastructureRetriesSpiking"]["expr"].endswith("> 7")
    assert custom["EnduroReconcileErrorsRising"]["expr"].endswith("> 3")


def test_alerts_select_the_job_the_servicemonitor_creates() -> None:
    docs = helm_template(
        "--set", "prometheusRule.enabled=true", "--set", "metrics.serviceMonitor.enabled=true"
    )  # fmt: skip
    (monitor,) = by_kind(docs, "ServiceMonitor")
    (service,) = by_kind(docs, "Service")
    job = service["metadata"]["labels"][monitor["spec"]["jobLabel"]]
    expr = rules(["--set", "metrics.serviceMonitor.enabled=true"])["EnduroOperatorDown"]["expr"]
    assert f'job="{job}"' in expr
