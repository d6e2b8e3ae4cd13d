"""The agent and test steps do exactly what docs/steps.md promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from enduro.api.agent import AgentSpec, Harness
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.engine.machine import AgentStep, TestStep
from enduro.sandbox.policy import Isolation
from enduro.steps.build import (
    ARTIFACTS,
    WORKSPACE,
    Images,
    build_agent_step,
    build_step,
    build_test_step,
)
from enduro.steps.context import StepContext
from enduro.steps.spec import ContainerSpec, StepRole, VolumeName


def make_spec(**fields: Any) -> ScenarioRunSpec:
    agent = {
        "harness": "mini-swe-agent",
        "model": {"provider": "openai", "name": "gpt-x"},
        "env": [{"name": "LOG_LEVEL", "value": "debug"}],
        "secretEnv": [{"name": "OPENAI_API_KEY", "secretKeyRef": {"name": "keys", "key": "oa"}}],
        "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "2Gi"}},
    }
    return ScenarioRunSpec.model_validate(
        {
            "generator": {"seed": 4, "scenarios": 5, "turns": 10},
            "scenario": 2,
            "agent": agent,
            "feedbackLevel": "medium",
            **fields,
        }
    )


def flag(container: ContainerSpec, name: str) -> str:
    return container.command[container.command.index(name) + 1]


def mounts(container: ContainerSpec) -> set[tuple[str, str, str, bool]]:
    return {(m.volume.value, m.path, m.sub_path, m.read_only) for m in container.mounts}


def test_agent_step_prepares_the_workspace_then_runs_the_agent() -> None:
    step = build_agent_step("demo-s002", make_spec(), 3, 1)
    assert (step.name, step.role, step.turn, step.attempt) == (
        "demo-s002-t003-a1-agent",
        "agent",
        3,
        1,
    )
    assert step.init is not None
    assert step.init.command[:2] == ["enduro", "prepare-workspace"]
    assert step.main.command[:2] == ["enduro", "agent"]
    for c in (step.init, step.main):
        assert (flag(c, "--workspace"), flag(c, "--artifacts")) == (WORKSPACE, ARTIFACTS)
        context = StepContext.model_validate_json(flag(c, "--context"))
        assert (context.scenario, context.turn, context.attempt) == (2, 3, 1)
        assert context.feedback_level == "medium"
        assert context.agent is not None and context.agent.harness == "mini-swe-agent"
    assert '"changesPerTurn":5' in flag(step.init, "--context")  # camelCase all the way down
    assert step.timeout_seconds > 1800


def test_beside_the_agent_a_trusted_sidecar_warms_the_turns_suite() -> None:
    """The suite of the turn is known before the agent starts: `enduro warm-suite`
    rewrites it into bytecode in the artifact root while the agent works. It sees the
    artifact root (the turn cache, the bytecode store) and never the workspace, and is
    told the turn, not the agent."""
    step = build_agent_step("demo-s002", make_spec(), 3, 1, images=Images(enduro="reg/e:1"))
    warmer = step.sidecar
    assert warmer is not None and warmer.command[:2] == ["enduro", "warm-suite"]
    assert warmer.image == "reg/e:1"
    assert mounts(warmer) == {("artifacts", ARTIFACTS, "", False)}
    assert flag(warmer, "--artifacts") == ARTIFACTS
    context = StepContext.model_validate_json(flag(warmer, "--context"))
    assert context.generator is not None and (context.scenario, context.turn) == (2, 3)
    assert context.agent is None
    assert step.containers() == [step.init, warmer, step.main]


def test_a_step_run_locally_warms_the_suite_in_the_scenarios_folder(tmp_path: Path) -> None:
    step = build_agent_step("demo", make_spec(), 1, 1).localize(
        {VolumeName.WORKSPACE: tmp_path / "ws", VolumeName.ARTIFACTS: tmp_path / "art"}
    )
    assert step.sidecar is not None
    assert flag(step.sidecar, "--artifacts") == str(tmp_path / "art")


def test_an_untrusted_agent_is_never_told_the_generator() -> None:
    """With the generator (its seed) and Enduro's code, an agent could rebuild the ground
    truth: only the trusted init container and baseline agents get it."""
    step = build_agent_step("demo", make_spec(), 1, 1)
    assert step.init is not None
    assert StepContext.model_validate_json(flag(step.init, "--context")).generator is not None
    agent_context = flag(step.main, "--context")
    assert StepContext.model_validate_json(agent_context).generator is None
    assert "seed" not in agent_context


def test_a_baseline_agent_is_trusted_with_the_generator() -> None:
    spec = make_spec()
    oracle = spec.model_copy(update={"agent": AgentSpec(harness=Harness.ORACLE)})
    step = build_agent_step("demo", oracle, 1, 1)
    assert StepContext.model_validate_json(flag(step.main, "--context")).generator is not None


def test_the_agent_never_sees_results_or_suites_in_the_artifacts() -> None:
    step = build_agent_step("demo", make_spec(), 1, 1)
    assert mounts(step.main) == {
        ("workspace", WORKSPACE, "", False),
        ("artifacts", f"{ARTIFACTS}/agent_logs", "agent_logs", False),
        ("artifacts", f"{ARTIFACTS}/trajectory", "trajectory", False),
    }
    assert step.init is not None
    assert ("artifacts", ARTIFACTS, "", False) in mounts(step.init)


def test_agent_env_secrets_image_and_resources_come_from_the_agent() -> None:
    step = build_agent_step(
        "demo", make_spec(), 1, 1, images=Images(agent_template="reg/a-{harness}:1")
    )
    env = {e.name: e for e in step.main.env}
    assert env["LOG_LEVEL"].value == "debug"
    secret = env["OPENAI_API_KEY"]
    assert secret.value is None and secret.secret_key_ref is not None
    assert (secret.secret_key_ref.name, secret.secret_key_ref.key) == ("keys", "oa")
    assert step.main.image == "reg/a-mini-swe-agent:1"
    assert (step.main.requests, step.main.limits) == ({"cpu": "1"}, {"memory": "2Gi"})


def test_an_agent_image_in_the_spec_wins() -> None:
    spec = make_spec()
    spec = spec.model_copy(update={"agent": spec.agent.model_copy(update={"image": "me/agent:2"})})
    assert build_agent_step("demo", spec, 1, 1).main.image == "me/agent:2"


def test_test_step_runs_the_server_sidecar_and_the_runner() -> None:
    step = build_test_step("demo-s002", make_spec(), 3, 2, port=8123)
    assert step.name == "demo-s002-t003-a2-test"
    assert step.init is None and step.sidecar is not None
    server = step.sidecar
    assert server.command == [
        "sh", "-c", f"exec sh run.sh > {ARTIFACTS}/server_logs/turn_003_attempt_2.log 2>&1",
    ]  # fmt: skip
    assert server.working_dir == WORKSPACE
    assert {e.name: e.value for e in server.env} == {"PORT": "8123"}
    runner = step.main
    assert runner.command[:2] == ["enduro", "test-runner"]
    assert flag(runner, "--server-url") == "http://127.0.0.1:8123"
    assert flag(runner, "--summary-file") == "/dev/termination-log" == step.summary_file
    assert ("workspace", WORKSPACE, "", True) in mounts(runner)  # the runner cannot edit code
    context = StepContext.model_validate_json(flag(runner, "--context"))
    assert context.agent is None
    assert step.timeout_seconds == 60 + 600 + 60  # server start, suite, grace


def test_outside_a_pod_the_runner_starts_the_server_itself() -> None:
    """Without a pod's network namespace the runner starts the server, so that it can
    put both in a namespace of their own (`enduro.sandbox.netns`)."""
    step = build_test_step("demo", make_spec(), 1, 1, isolation=Isolation.BWRAP)
    assert step.sidecar is None
    assert "--start-server" in step.main.command and "--server-url" not in step.main.command
    assert StepContext.model_validate_json(flag(step.main, "--context")).isolation == "bwrap"


def test_build_step_follows_the_engine() -> None:
    spec = make_spec()
    assert build_step("d", spec, AgentStep(2, 1, retry=1)).name == "d-t002-a1-agent-r1"
    test = build_step("d", spec, TestStep(2, 3))
    assert (test.name, test.role) == ("d-t002-a3-test", StepRole.TEST)


def test_step_spec_round_trips_as_camel_case_json() -> None:
    step = build_test_step("demo", make_spec(), 1, 1)
    data = step.model_dump(mode="json")
    assert {"scenarioRun", "summaryFile", "timeoutSeconds"} <= data.keys()
    assert data["main"]["workingDir"] == WORKSPACE
    assert type(step).model_validate(data) == step


def test_localize_maps_container_paths_to_host_directories(tmp_path: Path) -> None:
    ws, art = tmp_path / "w", tmp_path / "a"
    step = build_test_step("demo", make_spec(), 1, 1)
    local = step.localize({VolumeName.WORKSPACE: ws, VolumeName.ARTIFACTS: art}, tmp_path / "sum")
    assert local.sidecar is not None
    assert (
        local.sidecar.command[2]
        == f"exec sh run.sh > {art}/server_logs/turn_001_attempt_1.log 2>&1"
    )
    assert local.sidecar.working_dir == str(ws)
    assert (flag(local.main, "--workspace"), flag(local.main, "--artifacts")) == (str(ws), str(art))
    assert flag(local.main, "--summary-file") == str(tmp_path / "sum") == local.summary_file
    assert {m.path for m in local.sidecar.mounts} == {str(ws), str(art / "server_logs")}
    # the context JSON is left alone even though it is an argument
    assert flag(local.main, "--context") == flag(step.main, "--context")


def test_localize_maps_the_artifact_root_of_sub_directory_mounts(tmp_path: Path) -> None:
    # The agent container mounts only artifacts/agent_logs and artifacts/trajectory, but
    # `enduro agent --artifacts /artifacts` must still land in the artifacts directory.
    ws, art = tmp_path / "w", tmp_path / "a"
    step = build_agent_step("demo", make_spec(), 1, 1)
    local = step.localize({VolumeName.WORKSPACE: ws, VolumeName.ARTIFACTS: art})
    assert flag(local.main, "--artifacts") == str(art)


@pytest.mark.parametrize("role", ["agent", "test"])
def test_builders_are_deterministic(role: str) -> None:
    build = build_agent_step if role == "agent" else build_test_step
    assert build("demo", make_spec(), 4, 2) == build("demo", make_spec(), 4, 2)
