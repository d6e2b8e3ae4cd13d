"""The chart's Kueue default reaches the operator, which may look up LocalQueues."""

from __future__ import annotations

from typing import Any

from chartkit import by_kind, helm_template


def operator_env(*args: str) -> dict[str, Any]:
    (deployment,) = by_kind(helm_template(*args), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_the_default_queue_is_none_unless_set() -> None:
    assert operator_env()["ENDURO_DEFAULT_QUEUE_NAME"] == ""
    assert operator_env("--set", "kueue.queueName=team-a")["ENDURO_DEFAULT_QUEUE_NAME"] == "team-a"


def test_the_operator_may_read_local_queues() -> None:
    rules = [rule for role in by_kind(helm_template(), "ClusterRole") for rule in role["rules"]]
    assert {
        "apiGroups": ["kueue.x-k8s.io"],
        "resources": ["localqueues"],
        "verbs": ["get"],
    } in rules
