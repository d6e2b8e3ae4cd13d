"""The public catalogue the chart installs: rendered by the real helm, valid against the
chart's CRDs, in sync with the examples it copies, readable from every namespace."""

from __future__ import annotations

import subprocess
import sys

import yaml
from chartkit import REPO, by_kind, enduro_causes, helm_template

PUBLIC = {"enduro.dev/public": "true"}
BUILD = REPO / "charts" / "catalogue.py"


def test_the_catalogue_files_are_in_sync_with_the_examples() -> None:
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_default_install_contains_the_catalogue() -> None:
    docs = helm_template()
    benchmarks = {b["metadata"]["name"]: b for b in by_kind(docs, "Benchmark")}
    assert sorted(benchmarks) == [
        "rest-quick",
        "staminabench",
        "staminabench-no-feedback",
        "stockroom",
    ]
    for benchmark in benchmarks.values():
        assert benchmark["metadata"]["namespace"] == "enduro-catalogue"
        assert benchmark["metadata"]["labels"] == PUBLIC
    stamina = benchmarks["staminabench"]["spec"]["generator"]
    assert (stamina["scenarios"], stamina["turns"], stamina["changesPerTurn"]) == (20, 100, 5)
    no_feedback = benchmarks["staminabench-no-feedback"]
    assert no_feedback["metadata"]["annotations"] == {"enduro.dev/feedback-level": "none"}
    assert no_feedback["spec"]["generator"] == stamina
    assert [n["metadata"]["name"] for n in by_kind(docs, "Namespace")] == ["enduro-catalogue"]
    for doc in [*benchmarks.values(), *by_kind(docs, "Scenario")]:
        causes = enduro_causes(doc)
        assert not causes, f"{doc['kind']}/{doc['metadata']['name']}: {causes}"


def test_the_stockroom_scenarios_are_the_examples() -> None:
    rendered = [d for d in helm_template() if d["kind"] in ("Benchmark", "Scenario")]
    example = yaml.safe_load_all((REPO / "examples" / "explicit-benchmark.yaml").read_text())
    wanted = [d for d in example if d and d["kind"] in ("Benchmark", "Scenario")]
    got = {d["metadata"]["name"]: d for d in rendered}
    for doc in wanted:
        name = doc["metadata"]["name"]
        assert got[name]["spec"] == doc["spec"], f"{name} differs from the example"
        labels = doc["metadata"].get("labels") or {}
        if doc["kind"] == "Benchmark":
            labels = {**labels, **PUBLIC}
        assert got[name]["metadata"]["labels"] == labels


def test_every_user_may_read_the_catalogue_namespace() -> None:
    docs = helm_template("--set", "catalogue.namespace=benchmarks")
    [role] = [r for r in by_kind(docs, "Role") if r["metadata"]["namespace"] == "benchmarks"]
    assert role["rules"] == [
        {
            "apiGroups": ["enduro.dev"],
            "resources": ["benchmarks", "scenarios", "scorers"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    [binding] = by_kind(docs, "RoleBinding")
    assert binding["metadata"]["namespace"] == "benchmarks"
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}
    ]


def test_the_catalogue_can_be_left_out_or_put_in_an_existing_namespace() -> None:
    off = helm_template("--set", "catalogue.enabled=false")
    assert not by_kind(off, "Benchmark") and not by_kind(off, "Namespace")
    existing = helm_template("--set", "catalogue.createNamespace=false")
    assert by_kind(existing, "Benchmark") and not by_kind(existing, "Namespace")


def test_in_namespaced_scope_the_operator_also_reads_the_catalogue_namespace() -> None:
    """A run in a watched namespace resolves a public Benchmark from what the operator
    watches, so it watches the catalogue too; kopf lists each kind it handles in every
    namespace it serves, but there it only reads (and keeps Benchmark status)."""
    docs = helm_template(
        "--set", "operator.scope=namespaced", "--set", "operator.watchNamespaces={team-a}"
    )  # fmt: skip
    [deployment] = by_kind(docs, "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in args if a.startswith("--namespace")] == [
        "--namespace=team-a",
        "--namespace=enduro-catalogue",
    ]
    [role] = [r for r in by_kind(docs, "Role") if r["metadata"]["name"] == "enduro-catalogue"]
    assert role["metadata"]["namespace"] == "enduro-catalogue"
    verbs = {
        (group, resource): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    writes = {k: v - {"get", "list", "watch"} for k, v in verbs.items()}
    assert {k: v for k, v in writes.items() if v} == {
        ("enduro.dev", "benchmarks/status"): {"patch"},
        ("", "events"): {"create", "patch"},
        ("events.k8s.io", "events"): {"create", "patch"},
    }
    for kind in ("benchmarks", "scenarios", "scorers", "agents", "benchmarkruns", "scenarioruns"):
        assert verbs[("enduro.dev", kind)] == {"get", "list", "watch"}
    assert verbs[("", "pods")] == {"get", "list", "watch"}
    [binding] = [
        b for b in by_kind(docs, "RoleBinding") if b["metadata"]["name"] == "enduro-catalogue"
    ]
    assert binding["subjects"][0]["namespace"] == "enduro-system"
    assert binding["roleRef"]["name"] == "enduro-catalogue"


def _catalogue_watch(*args: str) -> tuple[int, int]:
    """How often the operator is told to serve the catalogue namespace, and how many
    read-only catalogue Roles it gets."""
    docs = helm_template(*args)
    [deployment] = by_kind(docs, "Deployment")
    served = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    roles = [r for r in by_kind(docs, "Role") if r["metadata"]["name"] == "enduro-catalogue"]
    return served.count("--namespace=enduro-catalogue"), len(roles)


def test_the_catalogue_is_watched_once_or_not_at_all() -> None:
    namespaced = ("--set", "operator.scope=namespaced")
    # Listed among the watched namespaces, it is served in full (its own Role) already.
    listed = "operator.watchNamespaces={team-a,enduro-catalogue}"
    assert _catalogue_watch(*namespaced, "--set", listed) == (1, 0)
    # No catalogue, nothing to read; cluster scope watches every namespace anyway.
    assert _catalogue_watch(*namespaced, "--set", "catalogue.enabled=false") == (0, 0)
    assert _catalogue_watch() == (0, 0)
