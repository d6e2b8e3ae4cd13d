"""The CEL rules our CRDs ship compile and decide as the apiserver would, with the CEL
implementation the emulator uses (`common-expression-language`), and Enduro's own custom
resources are validated on the emulated cluster."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import cel
import pytest

from cluster.cluster import ApiError, EmulatedCluster, KubeClient, our_crds
from cluster.schema import _context, run_rules

AGENTS = "enduro.dev/v1alpha1/agents"
RUNS = "enduro.dev/v1alpha1/benchmarkruns"


def rules(node: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    if isinstance(node, dict):
        for rule in node.get("x-kubernetes-validations", []):
            yield node, rule
        for value in node.values():
            yield from rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from rules(value)


def test_every_shipped_rule_compiles() -> None:
    shipped = [rule["rule"] for crd in our_crds() for _, rule in rules(crd)]
    assert shipped, "the CRDs ship CEL rules"
    for rule in shipped:
        cel.compile(rule)


def rule_node(fragment: str) -> dict[str, Any]:
    return next(node for crd in our_crds() for node, rule in rules(crd) if fragment in rule["rule"])


@pytest.mark.parametrize(
    ("model", "valid"),
    [
        ({"provider": "openai-compatible"}, False),
        ({"provider": "openai-compatible", "baseUrl": "http://m:8000/v1"}, True),
        ({"provider": "anthropic"}, True),
        ({}, True),
    ],
)
def test_an_openai_compatible_model_needs_a_base_url(model: dict[str, Any], valid: bool) -> None:
    assert (run_rules(model, rule_node("openai-compatible"), "spec.model") == []) is valid


@pytest.mark.parametrize(
    ("env", "valid"),
    [
        ({"name": "OPENAI_API_KEY", "value": "sk-123"}, False),
        ({"name": "my_token", "value": "t"}, False),
        (
            {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            True,
        ),
        ({"name": "LOG_LEVEL", "value": "debug"}, True),
        ({"name": "API_KEY", "value": ""}, True),
    ],
)
def test_secrets_may_not_be_inlined_in_env(env: dict[str, Any], valid: bool) -> None:
    assert (run_rules(env, rule_node("PASSWORD"), "spec.env[0]") == []) is valid


@pytest.fixture
def enduro(tmp_path: pathlib.Path) -> Iterator[KubeClient]:
    with EmulatedCluster(tmp_path) as emulated:
        yield emulated.client("kubectl")


def test_the_cluster_rejects_an_inlined_api_key(enduro: KubeClient) -> None:
    agent = {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "Agent",
        "metadata": {"name": "leaky"},
        "spec": {"harness": "oracle", "env": [{"name": "OPENAI_API_KEY", "value": "sk-1"}]},
    }
    with pytest.raises(ApiError) as rejected:
        enduro.create(AGENTS, agent)
    assert rejected.value.status == 422
    assert rejected.value.body["message"].startswith(
        'Agent.enduro.dev "leaky" is invalid: spec.env[0]'
    )


def test_the_cluster_defaults_a_benchmark_run(enduro: KubeClient) -> None:
    run = enduro.create(
        RUNS,
        {
            "apiVersion": "enduro.dev/v1alpha1",
            "kind": "BenchmarkRun",
            "metadata": {"name": "r"},
            "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}},
        },
    )
    assert run["spec"]["parallelism"] >= 1
    assert run["spec"]["feedbackLevel"] == "detailed"


@pytest.mark.parametrize(
    ("spec", "valid"),
    [
        ({"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}}, True),
        ({"benchmarkRef": {"name": "b"}, "agent": {"external": True}}, True),
        ({"benchmarkRef": {"name": "b"}}, False),
        ({"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, "complete": True}, False),
        (
            {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, "agent": {"external": True}},
            False,
        ),
    ],
)
def test_a_benchmark_run_has_an_agent_ref_or_an_external_agent(
    spec: dict[str, Any], valid: bool
) -> None:
    rules = [rule_node("has(self.agentRef) != has(self.agent)"), rule_node("has(self.agent) ||")]
    assert all(run_rules(spec, node, "spec") == [] for node in rules) is valid


@pytest.mark.parametrize(
    ("spec", "valid"),
    [
        ({"definition": {}, "externalAgent": {"external": True}}, True),
        ({"generator": {}, "externalAgent": {"external": True}}, False),
        ({"definition": {}, "agent": {}, "externalAgent": {"external": True}}, False),
    ],
)
def test_an_external_scenario_run_plays_an_explicit_scenario(
    spec: dict[str, Any], valid: bool
) -> None:
    node = rule_node("has(self.agent) != has(self.externalAgent)")
    assert (run_rules(spec, node, "spec") == []) is valid


SELF = {
    "metadata": {"name": "run-1", "managedFields": [{"manager": "m"}]},
    "spec": {"a": {"b": 1, "c": 2}, "items": [1, 2, 3]},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    "expression",
    [
        "self.metadata.name.size() <= 63",
        "self.spec.a.b == 1 && !has(self.spec.a.c)",  # reads a field beside the one compared
        "has(self.spec.a) && self.spec.a.c == 2",
        "size(self) == 3",  # the whole object
        "self.all(key, key != 'status')",  # a macro on self: every key
        "self.spec.items.all(i, i > 0) && size(self.spec.items) == 3",
        "self['status'].phase == 'Running'",  # indexing, not a field path
        "self.spec.missing == 1",  # an error, as on the whole object
        "self.spec == {'a': {'b': 1, 'c': 2}, 'items': [1, 2, 3]}",
    ],
)
def test_rules_decide_on_the_converted_paths_as_on_the_whole_object(expression: str) -> None:
    def outcome(context: Any) -> object:
        try:
            return cel.compile(expression).execute(context)
        except Exception as exc:  # the error itself is the outcome
            return type(exc)

    pruned = _context(SELF, None, [{"rule": expression}])
    assert outcome(pruned) == outcome({"self": SELF})


def test_a_message_expression_reads_the_whole_object() -> None:
    node = {
        "x-kubernetes-validations": [
            {"rule": "self.a == 1", "messageExpression": "'b is ' + string(self.b)"}
        ]
    }
    [cause] = run_rules({"a": 2, "b": 7}, node, "spec")
    assert cause.message.endswith("b is 7")
