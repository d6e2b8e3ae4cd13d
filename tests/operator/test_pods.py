"""build_pod: a step as one Pod, everything it does readable from the manifest."""

from __future__ import annotations

from typing import Any

from enduro.api.scenariorun import ScenarioRunSpec
from enduro.engine.results import AgentOutcome, FailureClass
from enduro.operator.pods import AGENT_OUTCOME_ANNOTATION, build_pod, with_agent_outcome
from enduro.steps.build import build_agent_step, build_test_step

OWNER = {
    "apiVersion": "enduro.dev/v1alpha1",
    "kind": "ScenarioRun",
    "metadata": {"name": "run-s000", "namespace": "ns", "uid": "u-1"},
}


def spec(**agent: Any) -> ScenarioRunSpec:
    return ScenarioRunSpec.model_validate(
        {
            "generator": {"seed": 1, "scenarios": 1, "turns": 3},
            "scenario": 0,
            "agent": {"harness": "oracle", **agent},
            "timeouts": {"agentSeconds": 100, "testSeconds": 50, "serverStartSeconds": 10},
        }
    )


def agent_pod(**agent: Any) -> dict[str, Any]:
    step = build_agent_step("run-s000", spec(**agent), 3, 2)
    return build_pod(step, OWNER, claim="run-s000-workspace", namespace="ns")


def test_the_agent_pod_prepares_the_workspace_then_runs_the_agent() -> None:
    pod = agent_pod()
    [init, warmer] = pod["spec"]["initContainers"]
    [main] = pod["spec"]["containers"]
    assert init["command"][:2] == ["enduro", "prepare-workspace"]
    assert "restartPolicy" not in init
    # Beside the agent, a native sidecar warms the turn's suite (stopped with the agent).
    assert warmer["command"][:2] == ["enduro", "warm-suite"]
    assert warmer["restartPolicy"] == "Always"
    # The agent's outcome (its last stdout line) is copied to the termination log.
    assert main["command"][:2] == ["sh", "-c"]
    assert "/dev/termination-log" in main["command"][2]
    assert main["command"][4:6] == ["enduro", "agent"]
    assert pod["metadata"]["name"] == "run-s000-t003-a2-agent"


def test_the_test_pod_runs_the_server_as_a_native_sidecar() -> None:
    step = build_test_step("run-s000", spec(), 1, 1)
    pod = build_pod(step, OWNER, claim="c", namespace="ns")
    [server] = pod["spec"]["initContainers"]
    [runner] = pod["spec"]["containers"]
    assert server["restartPolicy"] == "Always"
    assert server["command"][:2] == ["sh", "-c"] and "run.sh" in server["command"][2]
    assert runner["command"][:2] == ["enduro", "test-runner"]
    assert runner["terminationMessagePath"] == "/dev/termination-log"
    assert pod["spec"]["activeDeadlineSeconds"] == 60 + 60  # server start + suite + grace


def test_volumes_are_sub_paths_of_the_scenario_claim() -> None:
    pod = agent_pod()
    assert pod["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "run-s000-workspace"}},
        {"name": "tmp", "emptyDir": {}},
    ]
    mounts = {
        m["mountPath"]: m["subPath"]
        for m in pod["spec"]["containers"][0]["volumeMounts"]
        if m["name"] == "data"
    }
    assert mounts == {
        "/workspace": "workspace",
        "/artifacts/agent_logs": "artifacts/agent_logs",
        "/artifacts/trajectory": "artifacts/trajectory",
    }
    step = build_test_step("run-s000", spec(), 1, 1)
    runner = build_pod(step, OWNER, claim="c", namespace="ns")["spec"]["containers"][0]
    workspace = next(m for m in runner["volumeMounts"] if m["mountPath"] == "/workspace")
    assert workspace["readOnly"] is True


def test_the_pod_is_locked_down() -> None:
    pod = agent_pod()
    spec_ = pod["spec"]
    assert spec_["restartPolicy"] == "Never"
    assert spec_["automountServiceAccountToken"] is False
    assert spec_["securityContext"]["runAsNonRoot"] is True
    assert spec_["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in spec_["initContainers"] + spec_["containers"]:
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "emptyDir": {}} in spec_["volumes"]


def test_only_containers_that_never_run_beside_the_agent_share_its_tmp() -> None:
    """The pod's /tmp is one emptyDir for all its containers. The agent writes it while
    the trusted suite warmer runs, so the warmer has none: no file the agent plants
    there (a usercustomize.py, a poisoned cache) reaches a trusted process."""
    pod = agent_pod()
    tmp = {"name": "tmp", "mountPath": "/tmp"}
    by_name = {c["name"]: c for c in pod["spec"]["initContainers"] + pod["spec"]["containers"]}
    assert tmp in by_name["prepare-workspace"]["volumeMounts"]  # done before the agent starts
    assert tmp in by_name["agent"]["volumeMounts"]
    warmer = by_name["warm-suite"]
    assert all(m["mountPath"] != "/tmp" for m in warmer["volumeMounts"])
    assert [m["mountPath"] for m in warmer["volumeMounts"]] == ["/artifacts"]
    assert "workingDir" in warmer and warmer["workingDir"] == "/artifacts"


def test_no_shared_process_namespace_and_the_agents_runtime_class() -> None:
    assert agent_pod()["spec"]["shareProcessNamespace"] is False
    assert "runtimeClassName" not in agent_pod()["spec"]
    assert agent_pod(runtimeClassName="gvisor")["spec"]["runtimeClassName"] == "gvisor"
    test_step = build_test_step("run-s000", spec(runtimeClassName="kata"), 3, 2)
    test_pod = build_pod(test_step, OWNER, claim="c", namespace="ns")
    assert test_pod["spec"]["runtimeClassName"] == "kata"  # the server is untrusted too
    step = build_agent_step("run-s000", spec(), 3, 2)
    default = build_pod(step, OWNER, claim="c", namespace="ns", runtime_class_name="gvisor")
    assert default["spec"]["runtimeClassName"] == "gvisor"  # the chart's stepPods default


def test_the_test_pods_server_mounts_nothing_hidden() -> None:
    test_step = build_test_step("run-s000", spec(), 3, 2)
    pod = build_pod(test_step, OWNER, claim="c", namespace="ns")
    (server,) = pod["spec"]["initContainers"]
    claim_mounts = {m["subPath"] for m in server["volumeMounts"] if m["name"] == "data"}
    assert claim_mounts == {"workspace", "artifacts/server_logs"}


def test_deadline_labels_owner_and_resources() -> None:
    pod = agent_pod(resources={"requests": {"cpu": "500m"}, "limits": {"memory": "1Gi"}})
    assert pod["spec"]["activeDeadlineSeconds"] == 100 + 300  # agent limit + grace
    labels = pod["metadata"]["labels"]
    assert labels["enduro.dev/scenario-run"] == "run-s000"
    assert (labels["enduro.dev/turn"], labels["enduro.dev/attempt"]) == ("3", "2")
    assert labels["enduro.dev/role"] == "agent"
    [owner] = pod["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("ScenarioRun", "u-1", True)
    main = pod["spec"]["containers"][0]
    assert main["resources"] == {"requests": {"cpu": "500m"}, "limits": {"memory": "1Gi"}}


def test_secret_env_comes_from_secret_key_refs() -> None:
    pod = agent_pod(
        env=[{"name": "MODE", "value": "fast"}],
        secretEnv=[{"name": "API_KEY", "secretKeyRef": {"name": "llm", "key": "key"}}],
    )
    env = pod["spec"]["containers"][0]["env"]
    assert {"name": "MODE", "value": "fast"} in env
    assert {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "llm", "key": "key"}}} in env


def test_a_test_pod_can_carry_its_attempts_agent_outcome() -> None:
    """What the status does not record yet (the operator writes it once the attempt is
    scored) the attempt's test pod does, for an operator restarted in between."""
    pod = build_pod(build_test_step("run-s000", spec(), 1, 1), OWNER, claim="c", namespace="ns")
    outcome = AgentOutcome(exit_code=2, failure=FailureClass.AGENT, reason="crashed", steps=3)
    carried = with_agent_outcome(pod, outcome)
    recorded = carried["metadata"]["annotations"][AGENT_OUTCOME_ANNOTATION]
    assert AgentOutcome.model_validate_json(recorded) == outcome
    assert "annotations" not in pod["metadata"]  # the built pod is left as it was
    assert carried["spec"] == pod["spec"]
