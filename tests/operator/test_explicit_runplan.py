"""plan_run of a benchmark of explicit scenarios: the namespace's Scenarios and Scorers
resolved, and every missing piece a `Ready=False` condition naming it and the fix."""

from __future__ import annotations

import asyncio
import collections
import datetime
from typing import Any

import kopf
import pytest

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.api.validation import parse_spec
from enduro.engine.catalogue import BenchmarkScenarios
from enduro.engine.runplan import Catalogue, Child, plan_run
from enduro.operator import handlers
from enduro.operator.children import build_scenario_run
from enduro.operator.handlers import run_children
from enduro.operator.wakeups import Wakeups

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
AGENT = {"harness": "oracle"}
LABELS = {"suite": "calc"}


def scenario(*, turns: int = 1, custom: str | None = None, **environment: Any) -> dict[str, Any]:
    scorer = {"custom": {"name": custom}} if custom else {"command": {"command": "true"}}
    contract = {"functions": [{"name": "ok", "weight": 1, "scorer": scorer}]}
    spec: dict[str, Any] = {"inputContext": {"problemStatement": "Do it."}}
    if environment:
        spec["environment"] = environment
    if turns == 1:
        spec["scoringContract"] = contract
    else:
        statement = {"problemStatement": "Next."}
        spec["turns"] = [{"inputContext": statement, "scoringContract": contract}] * turns
    return spec


def run(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "BenchmarkRun",
        "metadata": {"name": "r", "namespace": "ns", "generation": 1, "uid": "u"},
        "spec": {"benchmarkRef": {"name": "b"}, "agentRef": {"name": "a"}, **spec},
    }


def ready(plan: Any) -> Any:
    return next(c for c in plan.status.conditions if c.type == "Ready")


def by_names(*names: str) -> dict[str, Any]:
    return {"scenarios": {"names": list(names)}}


def test_scenarios_by_name_are_created_in_the_listed_order_with_their_snapshots() -> None:
    catalogue = Catalogue(
        scenarios={"a": (LABELS, scenario()), "b": (LABELS, scenario(turns=3, custom="c"))},
        scorers={"c": {"bashScript": "echo score=1"}},
    )
    plan = plan_run(run(), by_names("b", "a"), AGENT, {}, NOW, catalogue=catalogue)
    assert ready(plan).status == "True" and plan.create == [0, 1]
    assert isinstance(plan.contents, BenchmarkScenarios) and plan.agent is not None
    body = build_scenario_run(run(), plan.contents, plan.agent, 0)
    spec = ScenarioRunSpec.model_validate(body["spec"])
    assert spec.definition is not None and spec.definition.name == "b"
    assert spec.n_turns == 3 and spec.definition.scorers["c"].bash_script == "echo score=1"


def test_success_rate_counts_each_scenario_s_own_turns() -> None:
    catalogue = Catalogue(scenarios={"a": (LABELS, scenario()), "b": (LABELS, scenario(turns=3))})
    done = {
        0: Child(ScenarioRunStatus(phase=ScenarioPhase.SUCCEEDED, score=1.0, turns_passed=1)),
        1: Child(ScenarioRunStatus(phase=ScenarioPhase.SUCCEEDED, score=0.6, turns_passed=2)),
    }
    benchmark = {"scenarios": {"matchLabels": LABELS}}
    plan = plan_run(run(), benchmark, AGENT, done, NOW, catalogue=catalogue)
    assert plan.status.success_rate == 0.5


def test_a_missing_scenario_names_it_and_the_fix() -> None:
    catalogue = Catalogue(scenarios={"a": (LABELS, scenario())})
    plan = plan_run(run(), by_names("a", "gone"), AGENT, {}, NOW, catalogue=catalogue)
    condition = ready(plan)
    assert (condition.status, condition.reason) == ("False", "ScenarioNotFound")
    assert "Scenario 'gone' not found in namespace 'ns'" in condition.message
    assert "spec.scenarios.names" in condition.message and plan.create == []


def test_labels_that_match_nothing_are_scenario_not_found() -> None:
    benchmark = {"scenarios": {"matchLabels": {"suite": "other"}}}
    plan = plan_run(run(), benchmark, AGENT, {}, NOW, catalogue=Catalogue())
    assert ready(plan).reason == "ScenarioNotFound"
    assert "spec.scenarios.matchLabels" in ready(plan).message


def test_a_missing_custom_scorer_names_it() -> None:
    catalogue = Catalogue(scenarios={"a": (LABELS, scenario(custom="checker"))})
    plan = plan_run(run(), by_names("a"), AGENT, {}, NOW, catalogue=catalogue)
    assert ready(plan).reason == "ScorerNotFound"
    assert "Scenario 'a' uses Scorer 'checker', not found" in ready(plan).message


def test_an_invalid_scenario_is_named() -> None:
    bad = scenario()
    bad["scoringContract"]["functions"][0]["weight"] = 0
    plan = plan_run(
        run(), by_names("a"), AGENT, {}, NOW, catalogue=Catalogue(scenarios={"a": ({}, bad)})
    )
    assert ready(plan).reason == "InvalidScenario"
    assert "Scenario 'a' is invalid" in ready(plan).message and "weight" in ready(plan).message


def test_a_required_variable_the_agent_lacks_keeps_the_run_from_starting() -> None:
    catalogue = Catalogue(scenarios={"a": ({}, scenario(requiredEnv=["CALC_MODE"]))})
    plan = plan_run(run(), by_names("a"), AGENT, {}, NOW, catalogue=catalogue)
    assert ready(plan).reason == "RequirementMissing" and plan.create == []
    assert "requires the variable CALC_MODE" in ready(plan).message
    agent = {**AGENT, "env": [{"name": "CALC_MODE", "value": "x"}]}
    assert plan_run(run(), by_names("a"), agent, {}, NOW, catalogue=catalogue).create == [0]


def test_a_missing_required_secret_keeps_the_run_from_starting() -> None:
    catalogue = Catalogue(
        scenarios={"a": ({}, scenario(requiredSecrets=["calc"]))}, missing_secrets=["calc"]
    )
    plan = plan_run(run(), by_names("a"), AGENT, {}, NOW, catalogue=catalogue)
    assert ready(plan).reason == "RequirementMissing" and plan.create == []
    assert "Secret 'calc'" in ready(plan).message and "create it" in ready(plan).message


def test_the_flaky_baseline_is_refused_on_explicit_scenarios() -> None:
    catalogue = Catalogue(scenarios={"a": ({}, scenario())})
    plan = plan_run(run(), by_names("a"), {"harness": "flaky"}, {}, NOW, catalogue=catalogue)
    assert ready(plan).reason == "UnsupportedAgent" and "oracle or null" in ready(plan).message


def test_a_scenario_run_says_its_own_turns_so_its_scenario_may_be_deleted() -> None:
    """The operator's index of a run's ScenarioRuns reads each one's turns from its own
    snapshot: the run still aggregates it once the Scenario is gone."""
    catalogue = Catalogue(scenarios={"a": (LABELS, scenario(turns=3))})
    plan = plan_run(run(), by_names("a"), AGENT, {}, NOW, catalogue=catalogue)
    assert plan.contents is not None and plan.agent is not None
    body = build_scenario_run(run(), plan.contents, plan.agent, 0)
    entry = asyncio.run(index_child(body, kopf.Memo(run_turns={})))
    assert entry == {("ns", "r"): (0, {}, False, 3)}


def index_child(body: dict[str, Any], memo: kopf.Memo) -> Any:
    """kopf's call of the index function for one event of `body` (`memo`: the operator's,
    as its start-up leaves it, but for `run_turns`)."""
    memo.setdefault("wakeups", Wakeups())
    memo.setdefault("phases", {})
    memo.setdefault("phase_counts", collections.Counter())
    meta = body["metadata"]
    return run_children(
        namespace="ns",
        name=meta["name"],
        body=kopf.Body(body),
        meta=meta,
        labels=meta["labels"],
        spec=body["spec"],
        status=body.get("status", {}),
        memo=memo,
    )


def test_the_index_parses_a_scenario_run_s_spec_once_per_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every status write of a ScenarioRun is a watch event the index sees; its spec only
    changes with its generation."""
    catalogue = Catalogue(scenarios={"a": (LABELS, scenario(turns=3))})
    plan = plan_run(run(), by_names("a"), AGENT, {}, NOW, catalogue=catalogue)
    assert plan.contents is not None and plan.agent is not None
    body = build_scenario_run(run(), plan.contents, plan.agent, 0)
    body["metadata"].update(uid="u-1", generation=1)
    parsed: list[Any] = []

    def counting(model: type[ScenarioRunSpec], spec: Any) -> ScenarioRunSpec:
        parsed.append(spec)
        return parse_spec(model, spec)

    monkeypatch.setattr(handlers, "parse_spec", counting)
    memo = kopf.Memo(run_turns={})
    for step in range(3):
        body["status"] = {"turn": step}
        asyncio.run(index_child(body, memo))
    assert len(parsed) == 1
    body["metadata"]["generation"] = 2  # spec.cancel set, say
    asyncio.run(index_child(body, memo))
    assert len(parsed) == 2
