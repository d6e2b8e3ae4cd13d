"""The chart lints, renders valid Kubernetes objects in every supported combination, and
keeps the operator least-privileged and locked down."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from chartkit import CHART, REPO, by_kind, enduro_causes, helm_template, run_helm

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion: native sidecars) and
# the newest kubernetes-validate ships schemas for.
KUBE_VERSIONS = ("1.29.0", "1.37.0")

COMBINATIONS: dict[str, list[str]] = {
    "defaults": [],
    "namespaced": [
        "--set", "operator.scope=namespaced",
        "--set", "operator.watchNamespaces={team-a,team-b}",
    ],
    "monitoring": [
        "--set", "metrics.serviceMonitor.enabled=true",
        "--set", "metrics.serviceMonitor.labels.release=kube-prometheus-stack",
        "--set", "prometheusRule.enabled=true",
    ],
    "network-policies": [
        "--set", "networkPolicies.enabled=true",
        "--set-json", 'networkPolicies.modelEndpoints=[{"cidr":"10.20.0.0/16","ports":[443]},'
        '{"cidr":"192.168.1.10/32","ports":[8000,8001]}]',
    ],
    "namespaced-everything": [
        "--set", "operator.scope=namespaced",
        "--set", "operator.watchNamespaces={bench}",
        "--set", "networkPolicies.enabled=true",
        "--set", "metrics.serviceMonitor.enabled=true",
        "--set", "prometheusRule.enabled=true",
        "--set", "operator.verbose=true",
    ],
    "custom-image-resources": [
        "--set", "image.repository=registry.example.com/enduro/operator",
        "--set", "image.digest=sha256:" + "a" * 64,
        "--set", "resources.requests.cpu=250m",
        "--set", "resources.limits.memory=1Gi",
        "--set", "metrics.enabled=false",
        "--set", "grafana.dashboards.enabled=false",
        "--set", "serviceAccount.name=enduro-bot",
    ],
    "peering": [
        "--set", "operator.peering.enabled=true",
        "--set", "replicaCount=2",
    ],
    "peering-namespaced": [
        "--set", "operator.peering.enabled=true",
        "--set", "operator.peering.name=bench-operators",
        "--set", "replicaCount=3",
        "--set", "operator.scope=namespaced",
        "--set", "operator.watchNamespaces={team-a,team-b}",
    ],
}  # fmt: skip

# kubernetes-validate knows only built-in kinds; the Prometheus Operator's kinds are
# checked against the structure the Prometheus Operator's CRDs require of them.
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_META = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string", "minLength": 1}, "labels": _LABELS},
}
CUSTOM_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "ServiceMonitor": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "ServiceMonitor"},
            "metadata": _META,
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "additionalProperties": False,
                "properties": {
                    "jobLabel": {"type": "string"},
                    "selector": {
                        "type": "object",
                        "required": ["matchLabels"],
                        "properties": {"matchLabels": _LABELS},
                    },
                    "namespaceSelector": {
                        "type": "object",
                        "properties": {
                            "matchNames": {"type": "array", "items": {"type": "string"}}
                        },
                    },
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["port"],
                            "additionalProperties": False,
                            "properties": {
                                "port": {"type": "string"},
                                "path": {"type": "string", "pattern": "^/"},
                                "honorLabels": {"type": "boolean"},
                                "interval": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                                "scrapeTimeout": {
                                    "type": "string",
                                    "pattern": "^([0-9]+(ms|s|m|h))+$",
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "PrometheusRule"},
            "metadata": _META,
            "spec": {
                "type": "object",
                "required": ["groups"],
                "additionalProperties": False,
                "properties": {
                    "groups": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "rules"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string"},
                                "rules": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["alert", "expr"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "alert": {"type": "string", "pattern": "^[A-Za-z]+$"},
                                            "expr": {"type": "string", "minLength": 1},
                                            "for": {"type": "string"},
                                            "labels": _LABELS,
                                            "annotations": _LABELS,
                                        },
                                    },
                                },
                            },
                        },
                    }
                },
            },
        },
    },
}


def _peering_schema(crd: dict[str, Any]) -> dict[str, Any]:
    """What an object of one of the chart's kopf peering CRDs must look like."""
    namespaced = crd["spec"]["scope"] == "Namespaced"
    meta = _META if namespaced else {**_META, "required": ["name"]}
    body = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "kopf.dev/v1"},
            "kind": {"const": crd["spec"]["names"]["kind"]},
            "metadata": meta,
            "status": body["properties"]["status"],
        },
    }


for _crd in yaml.safe_load_all((CHART / "crds" / "kopf-peering.yaml").read_text()):
    CUSTOM_KIND_SCHEMAS[_crd["spec"]["names"]["kind"]] = _peering_schema(_crd)


def validate(doc: dict[str, Any], kube_version: str) -> None:
    if doc["apiVersion"].startswith("enduro.dev/"):  # the catalogue: against the chart's CRDs
        causes = enduro_causes(doc)
        assert not causes, "; ".join(f"{c.field}: {c.message}" for c in causes)
    elif doc["kind"] in CUSTOM_KIND_SCHEMAS:
        jsonschema.validate(doc, CUSTOM_KIND_SCHEMAS[doc["kind"]])
    else:
        # Raises SchemaNotFoundError for a kind it does not know: never skipped silently.
        kubernetes_validate.validate(doc, kube_version, strict=True)


def test_the_validated_versions_ship_with_kubernetes_validate() -> None:
    shipped = {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    assert {v.rsplit(".", 1)[0] for v in KUBE_VERSIONS} <= shipped


def test_helm_lint_strict_passes() -> None:
    proc = run_helm("lint", "--strict", str(CHART))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for args in COMBINATIONS.values():
        proc = run_helm("lint", "--strict", str(CHART), *args)
        assert proc.returncode == 0, f"{args}\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("combination", sorted(COMBINATIONS))
def test_every_rendered_object_validates(combination: str, kube_version: str) -> None:
    docs = helm_template(*COMBINATIONS[combination], kube_version=kube_version)
    assert by_kind(docs, "Deployment")
    for doc in docs:
        try:
            validate(doc, kube_version)
        except Exception as exc:
            pytest.fail(f"{combination}: {doc['kind']}/{doc['metadata']['name']}: {exc}")


def test_an_unknown_kind_is_not_skipped() -> None:
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {}}, "1.37.0")
    bad_monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x", "namespace": "y"},
        "spec": {"endpoints": []},
    }
    with pytest.raises(jsonschema.ValidationError):
        validate(bad_monitor, "1.37.0")


def test_kube_versions_older_than_native_sidecars_are_refused() -> None:
    proc = run_helm("template", "enduro", str(CHART), "--kube-version", "1.28.0")
    assert proc.returncode != 0
    assert "kubeVersion" in proc.stderr or "incompatible" in proc.stderr, proc.stderr


# --- the operator Deployment --------------------------------------------------------------


def operator_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = by_kind(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_operator_runs_locked_down() -> None:
    docs = helm_template()
    (deployment,) = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = operator_container(docs)["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    mounts = {m["mountPath"]: m["name"] for m in operator_container(docs)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_probes_hit_the_kopf_liveness_endpoint_the_operator_serves() -> None:
    container = operator_container(helm_template("--set", "operator.healthPort=8181"))
    assert "--liveness=http://0.0.0.0:8181/healthz" in container["args"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz"
        assert ports[get["port"]] == 8181


def test_cluster_scope_watches_all_namespaces() -> None:
    args = operator_container(helm_template())["args"]
    assert args[0] == "operator"
    assert "--all-namespaces" in args
    assert "--verbose" not in args
    assert not [a for a in args if a.startswith("--namespace")]


def test_namespaced_scope_watches_only_the_listed_namespaces() -> None:
    docs = helm_template(*COMBINATIONS["namespaced"])
    args = operator_container(docs)["args"]
    assert "--all-namespaces" not in args
    assert [a for a in args if a.startswith("--namespace")] == [
        "--namespace=team-a",
        "--namespace=team-b",
        "--namespace=enduro-catalogue",  # read only: runs may use its public Benchmarks
    ]


def test_namespaced_scope_defaults_to_the_release_namespace() -> None:
    docs = helm_template("--set", "operator.scope=namespaced")
    assert "--namespace=enduro-system" in operator_container(docs)["args"]
    assert [r["metadata"]["namespace"] for r in operator_rbac(docs, "Role")] == ["enduro-system"]
    assert [r["metadata"]["namespace"] for r in catalogue_rbac(docs, "Role")] == [
        "enduro-catalogue"
    ]


def test_image_tag_defaults_to_app_version_and_digest_wins() -> None:
    assert operator_container(helm_template())["image"].endswith(":0.1.0")
    image = operator_container(helm_template(*COMBINATIONS["custom-image-resources"]))["image"]
    assert image == "registry.example.com/enduro/operator@sha256:" + "a" * 64


def test_custom_resources_and_disabled_metrics() -> None:
    docs = helm_template(*COMBINATIONS["custom-image-resources"])
    container = operator_container(docs)
    assert container["resources"]["requests"]["cpu"] == "250m"
    assert container["resources"]["limits"]["memory"] == "1Gi"
    assert "ENDURO_METRICS_PORT" not in {e["name"] for e in container["env"]}
    assert not by_kind(docs, "Service")
    (sa,) = by_kind(docs, "ServiceAccount")
    assert sa["metadata"]["name"] == "enduro-bot"


def test_step_images_reach_the_operator() -> None:
    env = {
        e["name"]: e.get("value")
        for e in operator_container(
            helm_template(
                "--set", "stepImages.enduro=reg.example/tr:9",
                "--set", "stepImages.agentTemplate=reg.example/agent-{harness}:9",
            )
        )["env"]
    }  # fmt: skip
    assert env["ENDURO_ENDURO_IMAGE"] == "reg.example/tr:9"
    assert env["ENDURO_AGENT_IMAGE_TEMPLATE"] == "reg.example/agent-{harness}:9"
    assert env["ENDURO_METRICS_PORT"] == "9090"


# --- RBAC -------------------------------------------------------------------------------


def rules_of(doc: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(apiGroup, resource) -> verbs, flattened."""
    out: dict[tuple[str, str], set[str]] = {}
    for rule in doc["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def operator_rbac(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The operator's Roles or RoleBindings in the namespaces it runs benchmarks in (not
    the catalogue's, for its readers and for the operator's reads there)."""
    return [d for d in by_kind(docs, kind) if "-catalogue" not in d["metadata"]["name"]]


def catalogue_rbac(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The operator's Roles or RoleBindings in the catalogue namespace (namespaced scope)."""
    return [d for d in by_kind(docs, kind) if d["metadata"]["name"].endswith("-catalogue")]


def test_rbac_is_least_privilege_in_cluster_scope() -> None:
    docs = helm_template()
    (role,) = by_kind(docs, "ClusterRole")
    rules = rules_of(role)
    assert not operator_rbac(docs, "Role")
    for (group, resource), verbs in rules.items():
        assert "*" not in verbs and resource != "*" and group != "*", (group, resource)
    assert ("", "secrets") not in rules
    assert rules[("", "pods/log")] == {"get"}
    assert rules[("", "namespaces")] == {"list", "watch"}
    assert rules[("apiextensions.k8s.io", "customresourcedefinitions")] == {"get", "list", "watch"}
    for kind in ("benchmarkruns", "scenarioruns"):
        assert {"get", "list", "watch", "create", "patch"} <= rules[("enduro.dev", kind)]
        assert "patch" in rules[("enduro.dev", f"{kind}/status")]
    assert {"create", "delete"} <= rules[("", "pods")]
    assert {"create", "delete"} <= rules[("", "persistentvolumeclaims")]
    assert "create" in rules[("", "configmaps")]
    assert "create" in rules[("", "events")]
    assert not any(group == "kopf.dev" for group, _ in rules)
    (binding,) = by_kind(docs, "ClusterRoleBinding")
    assert binding["subjects"][0]["name"] == by_kind(docs, "ServiceAccount")[0]["metadata"]["name"]


def test_reading_secrets_to_check_required_ones_is_opt_in() -> None:
    (role,) = by_kind(helm_template("--set", "rbac.checkRequiredSecrets=true"), "ClusterRole")
    assert rules_of(role)[("", "secrets")] == {"get"}


def test_rbac_in_namespaced_scope_grants_namespaced_rules_only_per_namespace() -> None:
    docs = helm_template(*COMBINATIONS["namespaced"])
    (cluster_role,) = by_kind(docs, "ClusterRole")
    assert set(rules_of(cluster_role)) == {("apiextensions.k8s.io", "customresourcedefinitions")}
    roles = operator_rbac(docs, "Role")
    bindings = operator_rbac(docs, "RoleBinding")
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    for role in roles:
        assert ("", "pods") in rules_of(role)
        assert ("", "namespaces") not in rules_of(role)
    for binding in bindings:
        assert binding["subjects"][0]["namespace"] == "enduro-system"


def test_one_standalone_operator_at_a_time() -> None:
    (deployment,) = by_kind(helm_template(), "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    for docs in (helm_template(), helm_template(*COMBINATIONS["namespaced-everything"])):
        for role in by_kind(docs, "ClusterRole") + by_kind(docs, "Role"):
            assert not any(group == "kopf.dev" for group, _ in rules_of(role))


def test_peering_lets_replicas_share_the_work_one_acting_at_a_time() -> None:
    docs = helm_template(*COMBINATIONS["peering"])
    (deployment,) = by_kind(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    assert "--peering=enduro" in operator_container(docs)["args"]
    (peering,) = by_kind(docs, "ClusterKopfPeering")
    assert peering["metadata"]["name"] == "enduro"
    (role,) = by_kind(docs, "ClusterRole")
    assert rules_of(role)[("kopf.dev", "clusterkopfpeerings")] == {"get", "list", "watch", "patch"}


def test_peering_in_namespaced_scope_has_one_peering_object_per_watched_namespace() -> None:
    docs = helm_template(*COMBINATIONS["peering-namespaced"])
    assert "--peering=bench-operators" in operator_container(docs)["args"]
    peerings = by_kind(docs, "KopfPeering")
    assert sorted((p["metadata"]["namespace"], p["metadata"]["name"]) for p in peerings) == [
        ("enduro-catalogue", "bench-operators"),
        ("team-a", "bench-operators"),
        ("team-b", "bench-operators"),
    ]
    for role in operator_rbac(docs, "Role") + catalogue_rbac(docs, "Role"):
        assert rules_of(role)[("kopf.dev", "kopfpeerings")] == {"get", "list", "watch", "patch"}
    assert not by_kind(docs, "ClusterKopfPeering")


# --- metrics, ServiceMonitor, NetworkPolicies --------------------------------------------


def test_servicemonitor_scrapes_the_metrics_service() -> None:
    docs = helm_template(*COMBINATIONS["monitoring"])
    (monitor,) = by_kind(docs, "ServiceMonitor")
    (service,) = by_kind(docs, "Service")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    port_names = {p["name"] for p in service["spec"]["ports"]}
    assert monitor["spec"]["endpoints"][0]["port"] in port_names
    assert monitor["spec"]["endpoints"][0]["honorLabels"] is True
    container = operator_container(docs)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ENDURO_METRICS_PORT"] == str(service["spec"]["ports"][0]["port"])
    assert not by_kind(helm_template(), "ServiceMonitor")


def test_servicemonitor_needs_the_monitoring_api() -> None:
    # Without --api-versions monitoring.coreos.com/v1 a cluster lacks the CRD: say so.
    proc = run_helm(
        "template", "enduro", str(CHART), "--set", "metrics.serviceMonitor.enabled=true"
    )  # fmt: skip
    assert proc.returncode != 0
    assert "monitoring.coreos.com/v1" in proc.stderr


def test_network_policies_default_deny_agents_and_tests() -> None:
    docs = helm_template(*COMBINATIONS["network-policies"])
    policies = {p["spec"]["podSelector"]["matchLabels"]["enduro.dev/role"]: p
                for p in by_kind(docs, "NetworkPolicy")}  # fmt: skip
    assert set(policies) == {"agent", "environment", "test"}
    assert policies["environment"]["spec"]["egress"] == policies["agent"]["spec"]["egress"]
    agent, test = policies["agent"]["spec"], policies["test"]["spec"]
    assert set(agent["policyTypes"]) == set(test["policyTypes"]) == {"Ingress", "Egress"}
    assert agent["ingress"] == [] and test["ingress"] == [] and test["egress"] == []
    cidrs = {
        peer["ipBlock"]["cidr"]: sorted(p["port"] for p in rule["ports"])
        for rule in agent["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
    }
    assert cidrs == {"10.20.0.0/16": [443], "192.168.1.10/32": [8000, 8001]}
    dns = [rule for rule in agent["egress"] if any("namespaceSelector" in p for p in rule["to"])]
    assert {(p["protocol"], p["port"]) for p in dns[0]["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert not by_kind(helm_template(), "NetworkPolicy")


def test_step_pods_runtime_class_reaches_the_operator() -> None:
    def env(*args: str) -> dict[str, str]:
        (deployment,) = by_kind(helm_template(*args), "Deployment")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        return {e["name"]: e.get("value", "") for e in container["env"]}

    assert "ENDURO_RUNTIME_CLASS_NAME" not in env()
    assert env("--set", "stepPods.runtimeClassName=gvisor")["ENDURO_RUNTIME_CLASS_NAME"] == "gvisor"
    bad = run_helm("template", "enduro", str(CHART), "--set", "stepPods.runtimeClassName=G V")
    assert bad.returncode != 0 and "runtimeClassName" in bad.stderr


def test_network_policies_select_exactly_the_step_pods() -> None:
    """Each policy selects its role's step pods as the operator builds them, and nothing
    else: not the other role, not the operator, not a user's pod that shares a label."""
    from enduro.api.scenariorun import ScenarioRunSpec
    from enduro.operator.pods import build_pod
    from enduro.steps.build import build_agent_step, build_test_step
    from enduro.steps.environment import build_environment_step

    docs = helm_template(*COMBINATIONS["network-policies"])
    spec = ScenarioRunSpec.model_validate(
        {"generator": {"seed": 1, "scenarios": 1, "turns": 1}, "scenario": 0,
         "agent": {"harness": "oracle"}}
    )  # fmt: skip
    owner = {"apiVersion": "enduro.dev/v1alpha1", "kind": "ScenarioRun",
             "metadata": {"name": "r", "uid": "u"}}  # fmt: skip
    contract = {
        "functions": [{"name": "t", "weight": 1, "scorer": {"command": {"command": "true"}}}]
    }
    external = ScenarioRunSpec.model_validate(
        {"externalAgent": {"external": True},
         "definition": {"name": "s", "spec": {"inputContext": {"problemStatement": "p"},
                                              "scoringContract": contract}}}
    )  # fmt: skip
    environment = build_environment_step("r", external, 1)
    pods = {
        "agent": build_pod(build_agent_step("r", spec, 1, 1), owner, claim="c", namespace="n"),
        "test": build_pod(build_test_step("r", spec, 1, 1), owner, claim="c", namespace="n"),
        "environment": build_pod(environment, owner, claim="c", namespace="n"),
    }
    others = [d["spec"]["template"]["metadata"]["labels"] for d in by_kind(docs, "Deployment")] + [
        {"enduro.dev/role": "agent"}
    ]  # a user's pod with the same role label

    def selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
        wanted = policy["spec"]["podSelector"]["matchLabels"]
        return all(labels.get(key) == value for key, value in wanted.items())

    for policy in by_kind(docs, "NetworkPolicy"):
        role = policy["spec"]["podSelector"]["matchLabels"]["enduro.dev/role"]
        selected = [
            name for name, pod in pods.items() if selects(policy, pod["metadata"]["labels"])
        ]
        assert selected == [role]
        assert not any(selects(policy, labels) for labels in others)


def test_network_policies_go_to_every_watched_namespace() -> None:
    docs = helm_template(
        *COMBINATIONS["namespaced"], "--set", "networkPolicies.enabled=true"
    )  # fmt: skip
    namespaces = sorted({p["metadata"]["namespace"] for p in by_kind(docs, "NetworkPolicy")})
    assert namespaces == ["team-a", "team-b"]


# --- values.schema.json -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "operator.scope=galaxy"], "at '/operator/scope': value must be one of"),
        (["--set", "metrics.port=abc"], "at '/metrics/port': got string, want integer"),
        (["--set", "metrics.prot=9090"], "additional properties 'prot' not allowed"),
        (["--set", "replicaCount=2"], "at '/replicaCount': maximum: got 2, want 1"),
        (["--set", "image.digest=latest"], "at '/image/digest'"),
        (
            ["--set-json", 'networkPolicies.modelEndpoints=[{"cidr":"a.example","ports":[443]}]'],
            "at '/networkPolicies/modelEndpoints/0/cidr'",
        ),
        (["--set", "prometheusRule.pendingFor=soon"], "at '/prometheusRule/pendingFor'"),
    ],
)
def test_bad_values_are_rejected_by_the_schema_naming_the_value(
    args: list[str], message: str
) -> None:
    proc = run_helm("template", "enduro", str(CHART), *args)
    assert proc.returncode != 0, f"helm accepted {args}"
    assert "values don't meet the specifications of the schema" in proc.stderr
    assert message in proc.stderr, proc.stderr


def test_notes_tell_the_first_commands() -> None:
    proc = run_helm("install", "enduro", str(CHART), "--dry-run=client", "-n", "enduro-system")
    assert proc.returncode == 0, proc.stderr
    notes = proc.stdout.split("NOTES:", 1)[1]
    assert "kubectl get enduro" in notes
    assert "examples/quickstart.yaml" in notes
    assert "kubectl wait --for=condition=Succeeded" in notes


# --- the operator command line the Deployment runs ---------------------------------------


def operator_options() -> set[str] | None:
    import typer

    from enduro.cli import app

    command = getattr(typer.main.get_command(app), "commands", {}).get("operator")
    if command is None:
        return None
    return {opt for param in command.params for opt in param.opts}


@pytest.mark.parametrize("combination", ["defaults", "namespaced-everything"])
def test_deployment_passes_only_options_enduro_operator_accepts(combination: str) -> None:
    options = operator_options()
    assert options is not None, "the CLI has no `operator` command"
    args = operator_container(helm_template(*COMBINATIONS[combination]))["args"]
    assert args[0] == "operator"
    unknown = [a for a in args[1:] if a.startswith("-") and a.split("=", 1)[0] not in options]
    assert not unknown, f"`enduro operator` does not accept {unknown} (it has {sorted(options)})"


# --- CRDs -------------------------------------------------------------------------------


# Written by hand for operator.peering, not generated from Enduro's models.
KOPF_PEERING_CRDS = "kopf-peering.yaml"


def test_chart_crds_are_byte_identical_to_the_generated_ones() -> None:
    generated = {p.name: p.read_bytes() for p in (REPO / "crds").glob("*.yaml")}
    shipped = {
        p.name: p.read_bytes()
        for p in (CHART / "crds").glob("*.yaml")
        if p.name != KOPF_PEERING_CRDS
    }
    assert generated, "crds/ is empty: run `enduro crds`"
    assert set(shipped) == set(generated), "copy crds/*.yaml to charts/enduro/crds/"
    stale = sorted(name for name in generated if shipped[name] != generated[name])
    assert not stale, f"charts/enduro/crds/ is stale for {stale}: run `uv run enduro crds`"


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_crds_install_with_the_chart_and_validate(kube_version: str) -> None:
    docs = helm_template("--include-crds", kube_version=kube_version)
    crds = by_kind(docs, "CustomResourceDefinition")
    assert {c["spec"]["names"]["kind"] for c in crds} == {
        "Benchmark",
        "Agent",
        "BenchmarkRun",
        "ScenarioRun",
        "Scenario",
        "Scorer",
        "KopfPeering",
        "ClusterKopfPeering",
    }
    for crd in crds:
        kubernetes_validate.validate(crd, kube_version, strict=True)
        if crd["spec"]["group"] == "enduro.dev":
            # NOTES.txt tells users `kubectl get enduro`: every kind must be in that category.
            assert "enduro" in crd["spec"]["names"]["categories"]


def operator_config_fields() -> set[str] | None:
    try:
        from enduro.operator.config import OperatorConfig
    except ImportError:
        return None
    return {f"ENDURO_{name.upper()}" for name in OperatorConfig.model_fields}


def test_every_operator_setting_the_chart_sets_is_read_by_the_operator() -> None:
    fields = operator_config_fields()
    assert fields is not None, "enduro.operator.config.OperatorConfig is missing"
    env = {e["name"] for e in operator_container(helm_template())["env"]}
    settings = {name for name in env if name.startswith("ENDURO_")} - {"ENDURO_METRICS_PORT"}
    assert settings <= fields, f"the operator ignores {sorted(settings - fields)}"


def test_the_operator_serves_metrics_on_the_port_the_chart_sets() -> None:
    # The Service, ServiceMonitor and dashboard rely on the operator calling
    # enduro.operator.metrics.serve(<ENDURO_METRICS_PORT>): OperatorConfig must read that variable.
    fields = operator_config_fields()
    assert fields is not None and "ENDURO_METRICS_PORT" in fields, (
        "OperatorConfig has no metrics_port: nothing serves /metrics in the operator pod"
    )


def test_chart_versions_follow_the_package() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] == version, "bump charts/enduro/Chart.yaml appVersion"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for image in values["stepImages"].values():
        assert image.endswith(f":{version}"), f"stepImages default {image} is not {version}"


def test_values_yaml_is_documented_and_valid_against_its_schema() -> None:
    text = (CHART / "values.yaml").read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith("#"):
            block = lines[max(0, i - 6) : i]
            assert any(b.startswith("#") for b in block), f"values.yaml: `{line}` has no comment"
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(text), schema)
