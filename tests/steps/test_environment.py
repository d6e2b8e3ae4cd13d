"""The environment of an external agent's run, as a step and as the pod it becomes."""

from __future__ import annotations

from typing import Any

import pytest

from enduro.api.scenariorun import ScenarioRunSpec
from enduro.engine.events import EnvironmentLost, EnvironmentReady
from enduro.engine.external import Environment
from enduro.operator.podresults import environment_event
from enduro.operator.pods import build_pod
from enduro.steps.build import Images
from enduro.steps.environment import build_environment_step

CONTRACT = {"functions": [{"name": "t", "weight": 1, "scorer": {"command": {"command": "true"}}}]}
OWNER = {
    "apiVersion": "enduro.dev/v1alpha1",
    "kind": "ScenarioRun",
    "metadata": {"name": "sr", "uid": "u"},
}


def spec(**environment: Any) -> ScenarioRunSpec:
    definition = {
        "name": "fix",
        "spec": {
            "inputContext": {"problemStatement": "fix it"},
            "environment": environment,
            "scoringContract": CONTRACT,
        },
    }
    return ScenarioRunSpec.model_validate(
        {"definition": definition, "externalAgent": {"external": True}}
    )


def test_the_environment_sleeps_in_the_scenarios_image_on_the_workspace_only() -> None:
    step = build_environment_step(
        "sr", spec(image="py:3", workingDir="src", env=[{"name": "MODE", "value": "x"}]), 2
    )
    assert step.name == "sr-t002-env" and step.role == "environment"
    assert step.init is not None and step.init.command[:2] == ["enduro", "prepare-workspace"]
    assert '"turn":2' in step.init.command[3] and step.init.image == "py:3"
    main = step.main
    assert (main.image, main.working_dir) == ("py:3", "/workspace/src")
    assert [(m.volume, m.path) for m in main.mounts] == [("workspace", "/workspace")]
    assert [e.name for e in main.env] == ["MODE"]
    assert "definition" not in " ".join(main.command)  # the agent's container gets no scenario


def test_its_pod_is_locked_down_like_an_agent_pod() -> None:
    step = build_environment_step("sr", spec(), 1, images=Images(enduro="enduro:test"))
    pod = build_pod(step, OWNER, claim="sr-workspace", namespace="ns")
    container = pod["spec"]["containers"][0]
    assert container["image"] == "enduro:test" and container["command"][:2] == ["sh", "-c"]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["spec"]["automountServiceAccountToken"] is False
    assert pod["metadata"]["labels"]["enduro.dev/role"] == "environment"


def test_a_generated_run_has_no_environment() -> None:
    generated = ScenarioRunSpec.model_validate(
        {"generator": {"seed": 1, "scenarios": 1, "turns": 1}, "agent": {"harness": "oracle"}}
    )
    with pytest.raises(ValueError, match="external agent's explicit scenario"):
        build_environment_step("sr", generated, 1)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        ({"phase": "Pending"}, None),
        ({"phase": "Running"}, EnvironmentReady(1)),
        (
            {"phase": "Failed", "reason": "Evicted", "message": "low memory"},
            EnvironmentLost("Evicted low memory"),
        ),
        (
            {
                "phase": "Failed",
                "initContainerStatuses": [
                    {"name": "prepare-workspace", "state": {"terminated": {"exitCode": 1}}}
                ],
            },
            EnvironmentLost("init container prepare-workspace exited 1"),
        ),
    ],
)
def test_what_an_environment_pod_says(status: dict[str, Any], event: object) -> None:
    assert environment_event(Environment(1), {"status": status}) == event


def test_a_deleted_environment_is_lost() -> None:
    assert environment_event(Environment(1), None) == EnvironmentLost("its pod was deleted")
