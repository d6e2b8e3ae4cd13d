"""What the operator adds to a test pod for `artifacts.s3`: where to upload, and
credentials only as references to the Secret."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from enduro.api.agent import AgentSpec
from enduro.api.generator import GeneratorSpec
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.api.storage import SourceSpec
from enduro.storage.cluster import URL_ENV, scenario_url, with_artifact_upload

POD: dict[str, Any] = {
    "spec": {
        "initContainers": [{"name": "server", "env": [{"name": "PORT", "value": "8000"}]}],
        "containers": [{"name": "test-runner", "env": [{"name": "PORT", "value": "8000"}]}],
    }
}


def spec(s3: dict[str, Any] | None) -> ScenarioRunSpec:
    return ScenarioRunSpec.model_validate(
        {
            "benchmarkRun": "nightly",
            "scenario": 3,
            "generator": GeneratorSpec(seed=1, scenarios=4, turns=2).model_dump(by_alias=True),
            "agent": {"harness": "oracle"},
            "artifacts": {"s3": s3} if s3 else {},
        }
    )


def test_the_test_runner_is_told_where_to_upload_with_keys_from_the_secret() -> None:
    s3 = {"bucket": "enduro-runs", "prefix": "team", "credentialsSecret": {"name": "keys"}}
    pod = with_artifact_upload(POD, spec(s3))
    [runner] = pod["spec"]["containers"]
    env = {e["name"]: e for e in runner["env"]}
    assert env[URL_ENV]["value"] == "s3://enduro-runs/team/nightly/scenario_3"
    assert scenario_url(spec(s3)) == env[URL_ENV]["value"]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert env[key] == {
            "name": key,
            "valueFrom": {"secretKeyRef": {"name": "keys", "key": key, "optional": False}},
        }
    assert env["AWS_SESSION_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert pod["spec"]["initContainers"] == POD["spec"]["initContainers"], "only the runner"
    assert POD["spec"]["containers"][0]["env"] == [{"name": "PORT", "value": "8000"}]


def test_without_a_secret_the_pod_uses_its_workload_identity() -> None:
    pod = with_artifact_upload(POD, spec({"bucket": "enduro-runs"}))
    names = {e["name"] for e in pod["spec"]["containers"][0]["env"]}
    assert URL_ENV in names and "AWS_ACCESS_KEY_ID" not in names


def test_without_a_bucket_the_pod_is_unchanged() -> None:
    assert with_artifact_upload(POD, spec(None)) == POD
    assert scenario_url(spec(None)) is None


def agent_pod(harness: str, source: dict[str, Any], restore_turn: int | None = None) -> Any:
    """The agent step's pod as the operator builds it, for a Benchmark with `source`."""
    from enduro.engine.plan import AgentStep
    from enduro.operator.pods import build_pod
    from enduro.steps.build import build_step
    from enduro.storage.sets import with_scenario_set

    run = spec({"bucket": "enduro-runs", "credentialsSecret": {"name": "keys"}})
    agent = {"harness": harness}
    run = run.model_copy(
        update={
            "source": SourceSpec.model_validate(source),
            "agent": AgentSpec.model_validate(agent),
        }
    )
    step = build_step("sr", run, AgentStep(2, 1, restore_turn=restore_turn))
    owner = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "sr", "uid": "u"}}
    pod = build_pod(step, owner, claim="sr-workspace", namespace="ns")
    pod = with_artifact_upload(pod, run, restoring=restore_turn is not None)
    return with_scenario_set(pod, run)


def containers(pod: Any) -> dict[str, Any]:
    return {c["name"]: c for c in [*pod["spec"]["initContainers"], *pod["spec"]["containers"]]}


def test_a_configmap_set_reaches_the_trusted_containers_never_an_agent_cli() -> None:
    pod = agent_pod("mini-swe-agent", {"configMap": {"name": "small-set"}})
    assert {"name": "scenario-set", "configMap": {"name": "small-set"}} in pod["spec"]["volumes"]
    found = containers(pod)
    mounts = {n: [m["name"] for m in c["volumeMounts"]] for n, c in found.items()}
    assert "scenario-set" in mounts["prepare-workspace"]
    assert "scenario-set" in mounts["warm-suite"]  # trusted: it reads the turn's suite
    assert "scenario-set" not in mounts["agent"]
    agent_command = " ".join(found["agent"]["command"])
    assert "small-set" not in agent_command and '"generator"' not in agent_command
    assert "small-set" in " ".join(found["prepare-workspace"]["command"])
    # The oracle is a trusted baseline: it reads the ground truth from the set.
    oracle = containers(agent_pod("oracle", {"configMap": {"name": "small-set"}}))
    assert "scenario-set" in [m["name"] for m in oracle["agent"]["volumeMounts"]]


def test_only_a_restoring_prepare_workspace_gets_the_artifact_store_and_its_keys() -> None:
    source = {"s3": {"bucket": "sets", "credentialsSecret": {"name": "set-keys"}}}
    plain = containers(agent_pod("mini-swe-agent", source))
    restoring = containers(agent_pod("mini-swe-agent", source, restore_turn=1))
    env = {e["name"]: e for e in restoring["prepare-workspace"]["env"]}
    assert env[URL_ENV]["value"] == "s3://enduro-runs/nightly/scenario_3"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"]["name"] == "keys"
    assert '"restoreTurn":1' in " ".join(restoring["prepare-workspace"]["command"])
    plain_env = {e["name"]: e for e in plain["prepare-workspace"]["env"]}
    assert URL_ENV not in plain_env  # the set's keys only
    assert plain_env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"]["name"] == "set-keys"
    assert "AWS_ACCESS_KEY_ID" not in {e["name"] for e in plain["agent"]["env"]}


class Uncopyable(dict[str, Any]):
    """A stanza that fails the test if anything deep-copies it."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        raise AssertionError("the pod was deep-copied")


def test_the_operator_never_deep_copies_a_pod_it_adds_to_and_leaves_it_as_it_was() -> None:
    """The operator adds uploads and the set to every step's pod: only what changes is
    copied, and the pod it was given is unchanged."""
    from enduro.storage.sets import with_scenario_set

    base = POD["spec"]
    pod = {
        "spec": {
            "initContainers": [
                {**base["initContainers"][0], "name": "prepare-workspace", "big": Uncopyable(a=1)}
            ],
            "containers": [{**base["containers"][0], "big": Uncopyable(b=2)}],
            "volumes": [{"name": "data"}],
        }
    }
    before = json.dumps(pod, sort_keys=True)
    run = spec({"bucket": "enduro-runs"}).model_copy(
        update={"source": SourceSpec.model_validate({"configMap": {"name": "small-set"}})}
    )
    out = with_scenario_set(with_artifact_upload(pod, run, restoring=True), run)
    assert json.dumps(pod, sort_keys=True) == before
    found = containers(out)
    assert URL_ENV in {e["name"] for e in found["test-runner"]["env"]}
    assert URL_ENV in {e["name"] for e in found["prepare-workspace"]["env"]}
    assert found["test-runner"]["big"] is pod["spec"]["containers"][0]["big"]
    assert {"name": "scenario-set", "configMap": {"name": "small-set"}} in out["spec"]["volumes"]
    assert pod["spec"]["volumes"] == [{"name": "data"}]


def test_the_operator_builds_pods_for_a_stored_set_without_loading_the_generator() -> None:
    """The operator builds a pod per step; loading the generator for one (a tenth of a
    second of imports on its first step, and memory it keeps) is no part of that."""
    code = textwrap.dedent(
        """
        import sys, enduro.operator.handlers
        from enduro.api.scenariorun import ScenarioRunSpec
        from enduro.storage.sets import with_scenario_set
        keys = {"name": "keys"}
        for source in ({"configMap": {"name": "small-set"}},
                       {"s3": {"bucket": "sets", "credentialsSecret": keys}}):
            run = ScenarioRunSpec.model_validate({
                "scenario": 0, "source": source, "agent": {"harness": "oracle"},
                "generator": {"seed": 1, "scenarios": 1, "turns": 2},
            })
            pod = {"spec": {"containers": [{"name": "test-runner"}], "volumes": []}}
            assert with_scenario_set(pod, run) != pod
        print(sorted(m for m in sys.modules if m.startswith("enduro.scenarios")))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
