"""An explicit scenario's steps: the agent step prepares TASK.md in the environment's
image and passes the scenario's variables; the test step is its scoring step."""

from __future__ import annotations

from typing import Any

from enduro.api.scenariorun import ScenarioRunSpec
from enduro.engine.machine import AgentStep, TestStep
from enduro.sandbox.policy import Isolation
from enduro.steps.build import ARTIFACTS, TEST_STEP_GRACE_SECONDS, WORKSPACE, Images, build_step
from enduro.steps.context import StepContext

IMAGES = Images(enduro="enduro:test")


def function(name: str, seconds: int) -> dict[str, Any]:
    scorer = {"command": {"command": "true"}}
    return {"name": name, "weight": 1, "timeoutSeconds": seconds, "scorer": scorer}


def make_spec(harness: str = "mini-swe-agent", image: str | None = "calc:1") -> ScenarioRunSpec:
    environment: dict[str, Any] = {
        "env": [{"name": "CALC_MODE", "value": "strict"}],
        "resources": {"limits": {"memory": "1Gi"}},
    }
    if image:
        environment["image"] = image
    definition = {
        "name": "calc",
        "spec": {
            "inputContext": {"problemStatement": "Fix it."},
            "environment": environment,
            "scoringContract": {"functions": [function("a", 100), function("b", 20)]},
        },
    }
    agent = {"harness": harness, "model": {"provider": "openai", "name": "m"}}
    if harness in ("oracle", "null"):
        agent = {"harness": harness}
    return ScenarioRunSpec.model_validate({"definition": definition, "agent": agent})


def test_the_test_step_of_an_explicit_scenario_is_its_scoring_step() -> None:
    step = build_step("sr", make_spec(), TestStep(1, 2), images=IMAGES)
    assert step.sidecar is None and step.init is None  # no server
    command = step.main.command
    assert command[:2] == ["enduro", "score"]
    assert command[-2:] == ["--summary-file", "/dev/termination-log"]
    assert command[command.index("--workspace") + 1] == WORKSPACE
    assert command[command.index("--artifacts") + 1] == ARTIFACTS
    context = StepContext.model_validate_json(command[command.index("--context") + 1])
    assert context.definition is not None and (context.turn, context.attempt) == (1, 2)
    assert step.main.image == "calc:1"
    [workspace] = [m for m in step.main.mounts if m.path == WORKSPACE]
    assert workspace.read_only
    assert step.main.limits == {"memory": "1Gi"}
    assert step.timeout_seconds == 120 + TEST_STEP_GRACE_SECONDS
    assert step.summary_file == "/dev/termination-log"


def test_without_an_environment_image_the_scorers_run_in_the_enduro_image() -> None:
    step = build_step("sr", make_spec(image=None), TestStep(1, 1), images=IMAGES)
    assert step.main.image == "enduro:test"


def test_the_agent_step_prepares_in_the_environment_image_and_passes_its_variables() -> None:
    step = build_step("sr", make_spec(), AgentStep(1, 1), images=IMAGES)
    assert step.init is not None and step.init.image == "calc:1"
    assert step.init.command[:2] == ["enduro", "prepare-workspace"]
    assert step.sidecar is None  # no pytest suite to warm: scorers score the workspace
    init_context = StepContext.model_validate_json(
        step.init.command[step.init.command.index("--context") + 1]
    )
    assert init_context.definition is not None  # trusted: it writes TASK.md
    assert ("CALC_MODE", "strict") in [(e.name, e.value) for e in step.main.env]
    agent_context = step.main.command[step.main.command.index("--context") + 1]
    # The untrusted agent CLI is told it is an explicit scenario, and nothing of it.
    assert '"explicit":true' in agent_context
    assert "definition" not in agent_context and "Fix it." not in agent_context


def test_a_baseline_agent_gets_the_definition_it_needs() -> None:
    step = build_step("sr", make_spec("oracle"), AgentStep(1, 1), isolation=Isolation.BWRAP)
    agent_context = step.main.command[step.main.command.index("--context") + 1]
    assert '"definition"' in agent_context


def test_the_scoring_step_is_told_only_its_own_turn_s_contract() -> None:
    def turn(name: str, secret: str) -> dict[str, Any]:
        scorer = {"testBased": {"files": {f"test_{name}.py": secret}, "command": "pytest"}}
        return {
            "inputContext": {"problemStatement": f"Do {name}."},
            "scoringContract": {"functions": [{"name": name, "weight": 1, "scorer": scorer}]},
            "referenceOutput": {"commands": [f"solve {name}"]},
        }

    definition = {
        "name": "three",
        "spec": {
            "inputContext": {"problemStatement": "Three steps."},
            "turns": [turn("one", "SECRET-1"), turn("two", "SECRET-2"), turn("three", "SECRET-3")],
        },
    }
    spec = ScenarioRunSpec.model_validate({"definition": definition, "agent": {"harness": "null"}})
    step = build_step("sr", spec, TestStep(2, 1), images=IMAGES)
    command = " ".join(step.main.command)
    assert "SECRET-2" in command  # the tests it scores with
    assert "SECRET-1" not in command and "SECRET-3" not in command
    assert "solve" not in command and "Do three." not in command
    context = StepContext.model_validate_json(
        step.main.command[step.main.command.index("--context") + 1]
    )
    assert context.definition is not None
    assert [t.scoring_contract.functions[0].name for t in context.definition.spec.turn_list()] == [
        "not-this-turn",
        "two",
        "not-this-turn",
    ]
    # The agent step's trusted init still has the whole definition (seed files, TASK.md).
    agent_step = build_step("sr", spec, AgentStep(2, 1), images=IMAGES)
    assert agent_step.init is not None and "SECRET-3" in " ".join(agent_step.init.command)
