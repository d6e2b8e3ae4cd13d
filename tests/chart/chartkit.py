"""Test helpers: render charts with the real helm binary, the way `helm install` would."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from cluster.schema import Cause, body_schema, validate_metadata, version_schema
from cluster.schema import validate as validate_custom
from enduro.devtools import kubebins

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "enduro"
# Kinds rendered only when the cluster serves the Prometheus Operator's API.
MONITORING_API = "monitoring.coreos.com/v1"


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kubebins.helm()), *args], capture_output=True, text=True, check=False
    )


def helm_template(
    *args: str, kube_version: str = "1.37.0", chart: Path = CHART, release: str = "enduro"
) -> list[dict[str, Any]]:
    proc = run_helm(
        "template", release, str(chart), "--namespace", "enduro-system",
        "--kube-version", kube_version, "--api-versions", MONITORING_API, *args,
    )  # fmt: skip
    assert proc.returncode == 0, f"helm template {' '.join(args)} failed:\n{proc.stderr}"
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def enduro_causes(doc: dict[str, Any]) -> list[Cause]:
    """What the apiserver would refuse in an Enduro object, by the chart's CRD of its kind
    (structural schema and CEL rules)."""
    for path in (CHART / "crds").glob("*.enduro.dev.yaml"):
        crd = yaml.safe_load(path.read_text())
        if crd["spec"]["names"]["kind"] == doc["kind"]:
            schema = version_schema(crd, doc["apiVersion"].split("/")[1])
            assert schema is not None, f"{doc['kind']}: no CRD version {doc['apiVersion']}"
            return validate_metadata(doc["metadata"]) + validate_custom(
                doc, body_schema(schema), ""
            )
    raise AssertionError(f"no CRD of kind {doc['kind']} in the chart")


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


# --- PromQL: which metrics and labels an expression really uses --------------------------

# Labels Prometheus attaches to every scraped series (the target's, not ours).
TARGET_LABELS = frozenset({"job", "instance"})
# `up` is synthesised by Prometheus per scrape target, with the target's labels.
SCRAPE_SERIES = {
    "up": frozenset({"job", "instance", "namespace", "service", "pod", "endpoint", "container"})
}
# Grafana's built-in range variables, replaced so the expression parses as PromQL.
GRAFANA_RANGES = ("$__rate_interval", "$__interval", "$__range")


def grafana_to_promql(expr: str) -> str:
    for var in GRAFANA_RANGES:
        expr = expr.replace(var, "5m")
    return expr


def promql_problems(
    expr: str,
    series: dict[str, frozenset[str]],
    enums: dict[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """Parse `expr` with a real PromQL parser; report every metric it selects that is not
    in `series`, every label it names that none of its metrics carries, and every
    `label="value"` whose value the label can never take (`enums`)."""
    import promql_parser

    known = {**series, **SCRAPE_SERIES}
    try:
        ast = promql_parser.parse(expr)
    except Exception as exc:  # the parser raises its own error types
        return [f"does not parse: {exc}"]
    selectors: list[Any] = []
    grouping: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            selectors.append(node)
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            grouping.extend(node.modifier.labels)
        elif isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
            if node.modifier.matching is not None:
                grouping.extend(node.modifier.matching.labels)
            grouping.extend(node.modifier.group_labels or [])

    promql_parser.walk(ast, visit)
    problems: list[str] = []
    if not selectors:
        problems.append("selects no metric at all")
    in_scope: set[str] = set(TARGET_LABELS)
    for sel in selectors:
        if sel.name not in known:
            problems.append(f"metric {sel.name!r} is not exported by enduro.operator.metrics")
            continue
        labels = known[sel.name] | TARGET_LABELS
        in_scope |= labels
        for matcher in sel.matchers.matchers:
            if matcher.name not in labels:
                problems.append(f"{sel.name} has no label {matcher.name!r}")
            allowed = (enums or {}).get(matcher.name)
            equal = matcher.op == promql_parser.MatchOp.Equal
            if allowed is not None and equal and matcher.value not in allowed:
                problems.append(f"{matcher.name}={matcher.value!r} is never exported")
    problems += [f"grouping label {g!r} is on none of its metrics" for g in grouping
                 if g not in in_scope]  # fmt: skip
    return problems
