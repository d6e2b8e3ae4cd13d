"""A run of explicit scenarios plays the Scenarios it started with: `status.scenarios`,
pinned at its first ScenarioRun, whatever the namespace's catalogue becomes later."""

from __future__ import annotations

import datetime
from typing import Any

from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.runplan import Catalogue, Child, RunPlan, plan_external_run, plan_run
from enduro.operator.children import build_scenario_run

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
AGENT = {"harness": "oracle"}
CALC = {"suite": "calc"}
BY_LABEL = {"scenarios": {"matchLabels": CALC}}
CONTRACT = {"functions": [{"name": "t", "weight": 1, "scorer": {"command": {"command": "true"}}}]}


def scenario(turns: int = 1) -> dict[str, Any]:
    statement = {"problemStatement": "fix"}
    if turns == 1:
        return {"inputContext": statement, "scoringContract": CONTRACT}
    turn = {"inputContext": statement, "scoringContract": CONTRACT}
    return {"inputContext": statement, "turns": [turn] * turns}


def catalogue(*names: str, **turns: int) -> Catalogue:
    return Catalogue(scenarios={n: (CALC, scenario(turns.get(n, 1))) for n in names})


def run(status: RunPlan | None = None, **spec: Any) -> dict[str, Any]:
    agent = {"agent": {"external": True}} if spec.pop("external", False) else {}
    return {
        "apiVersion": "enduro.dev/v1alpha1",
        "kind": "BenchmarkRun",
        "metadata": {"name": "r", "namespace": "ns", "generation": 1, "uid": "u"},
        "spec": {"benchmarkRef": {"name": "b"}, **(agent or {"agentRef": {"name": "a"}}), **spec},
        "status": status.status.model_dump(mode="json", by_alias=True) if status else None,
    }


def running(turns: int | None = None) -> Child:
    """Its turns as the operator read them from its snapshot (None: not given)."""
    status = ScenarioRunStatus(phase=ScenarioPhase.RUNNING)
    return Child(status, turns=turns) if turns is not None else Child(status)


def succeeded(passed: int = 1, turns: int | None = None) -> Child:
    status = ScenarioRunStatus(phase=ScenarioPhase.SUCCEEDED, score=1.0, turns_passed=passed)
    return Child(status, turns=turns) if turns is not None else Child(status)


def played(plan: RunPlan, index: int) -> str:
    """The Scenario the ScenarioRun created for `index` plays (its definition snapshot)."""
    assert plan.contents is not None and plan.agent is not None
    body = build_scenario_run(run(), plan.contents, plan.agent, index)
    definition = ScenarioRunSpec.model_validate(body["spec"]).definition
    assert definition is not None
    return definition.name


def ready(plan: RunPlan) -> Any:
    return next(c for c in plan.status.conditions if c.type == "Ready")


def test_a_scenario_added_mid_run_neither_shifts_indices_nor_joins_the_run() -> None:
    first = plan_run(run(parallelism=1), BY_LABEL, AGENT, {}, NOW, catalogue=catalogue("b", "c"))
    assert first.create == [0] and played(first, 0) == "b"
    # "a" sorts before "b": re-selecting would make index 1 "b" again and the run 3 long.
    grown = catalogue("a", "b", "c")
    later = plan_run(
        run(first, parallelism=1), BY_LABEL, AGENT, {0: succeeded()}, NOW, catalogue=grown
    )
    assert later.create == [1] and played(later, 1) == "c"
    assert later.status.counts.total == 2 and later.status.scenarios == ["b", "c"]
    assert first.status.scenarios == ["b", "c"]
    children = {0: succeeded(), 1: succeeded()}
    done = plan_run(run(later, parallelism=1), BY_LABEL, AGENT, children, NOW, catalogue=grown)
    assert (done.status.phase, done.status.progress, done.create) == ("Succeeded", "2/2", [])


def test_status_scenarios_is_written_once_and_never_rewritten() -> None:
    suspended = plan_run(run(suspend=True), BY_LABEL, AGENT, {}, NOW, catalogue=catalogue("b"))
    assert suspended.create == [] and suspended.status.scenarios is None
    first = plan_run(run(suspended), BY_LABEL, AGENT, {}, NOW, catalogue=catalogue("b", "c"))
    assert first.status.scenarios == ["b", "c"]
    # "c" relabelled out of the selection, "d" in: the run still plays b and c.
    relabelled = Catalogue(
        scenarios={"b": (CALC, scenario()), "c": ({}, scenario()), "d": (CALC, scenario())}
    )
    later = plan_run(run(first), BY_LABEL, AGENT, {0: running()}, NOW, catalogue=relabelled)
    assert later.status.scenarios == ["b", "c"] and later.create == [1]
    assert played(later, 1) == "c"


def test_a_pinned_scenario_deleted_before_its_scenario_run_keeps_the_run_not_ready() -> None:
    names = {"scenarios": {"names": ["a", "b", "c"]}}
    first = plan_run(run(parallelism=1), names, AGENT, {}, NOW, catalogue=catalogue("a", "b", "c"))
    assert first.create == [0]
    without_b = catalogue("a", "c")
    waiting = plan_run(
        run(first, parallelism=1), names, AGENT, {0: running()}, NOW, catalogue=without_b
    )
    condition = ready(waiting)
    assert (condition.status, condition.reason) == ("False", "ScenarioNotFound")
    assert "Scenario 'b' (index 1)" in condition.message
    assert "restore it, or start a new run" in condition.message
    assert waiting.create == [] and waiting.cancel == []
    # The others go on: "c" starts once "a" is done; "b" is never created.
    later = plan_run(
        run(waiting, parallelism=1), names, AGENT, {0: succeeded()}, NOW, catalogue=without_b
    )
    assert later.create == [2] and played(later, 2) == "c"
    assert ready(later).reason == "ScenarioNotFound" and later.status.counts.total == 3
    children = {0: succeeded(), 2: succeeded()}
    stuck = plan_run(run(later, parallelism=1), names, AGENT, children, NOW, catalogue=without_b)
    assert stuck.create == [] and not stuck.finished and stuck.status.progress == "2/3"
    assert stuck.status.average_score == 1.0 and ready(stuck).status == "False"
    # Nothing changes while it waits: no status write per plan.
    hour = NOW + datetime.timedelta(hours=1)
    again = plan_run(run(stuck, parallelism=1), names, AGENT, children, hour, catalogue=without_b)
    assert again.status == stuck.status and ready(again).last_transition_time == NOW


def test_a_pinned_scenario_deleted_after_its_scenario_run_was_created_still_counts() -> None:
    names = {"scenarios": {"names": ["a", "b"]}}
    first = plan_run(run(), names, AGENT, {}, NOW, catalogue=catalogue("a", "b", b=3))
    assert first.create == [0, 1] and first.status.scenarios == ["a", "b"]
    # "b" (3 turns) deleted while it runs: its ScenarioRun has its own snapshot.
    mid = plan_run(
        run(first), names, AGENT, {0: running(), 1: running(3)}, NOW, catalogue=catalogue("a")
    )
    assert ready(mid).status == "True" and mid.create == []
    children = {0: succeeded(), 1: succeeded(2, turns=3)}
    done = plan_run(run(mid), names, AGENT, children, NOW, catalogue=catalogue("a"))
    assert (done.status.phase, ready(done).status) == ("Succeeded", "True")
    # b passed 2 of its 3 turns: not a perfect run, so half the scenarios were perfect.
    assert done.status.success_rate == 0.5 and done.status.progress == "2/2"


def test_a_generated_benchmark_pins_nothing() -> None:
    generated = {"generator": {"seed": 1, "scenarios": 2, "turns": 1}}
    plan = plan_run(run(), generated, AGENT, {}, NOW)
    assert plan.create == [0, 1] and plan.status.scenarios is None


def test_an_external_run_pins_its_scenarios_at_its_first_scenario_run() -> None:
    before = plan_external_run(run(external=True), BY_LABEL, catalogue("b", "c"), {}, NOW)
    assert before.status.scenarios is None and before.status.pending_scenarios == ["b", "c"]
    # Before the client started one, the pending list follows the catalogue.
    grown = plan_external_run(
        run(before, external=True), BY_LABEL, catalogue("a", "b", "c"), {}, NOW
    )
    assert grown.status.pending_scenarios == ["a", "b", "c"] and grown.status.scenarios is None
    started = plan_external_run(
        run(grown, external=True), BY_LABEL, catalogue("a", "b", "c"), {2: running()}, NOW
    )
    assert started.status.scenarios == ["a", "b", "c"]
    later = plan_external_run(
        run(started, external=True), BY_LABEL, catalogue("a", "aa", "b", "c"), {2: running()}, NOW
    )
    assert later.status.pending_scenarios == ["a", "b"] and later.status.counts.total == 3
