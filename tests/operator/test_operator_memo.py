"""What the operator keeps in memory about a ScenarioRun and its pods does not outlive it."""

from __future__ import annotations

import kopf

from enduro.operator.handlers import forget_scenario_run
from enduro.operator.steppods import StepPods
from enduro.operator.wakeups import Wakeups


def test_a_deleted_scenario_run_and_its_pods_are_forgotten() -> None:
    memo = kopf.Memo()
    memo.step_pods = StepPods(api=lambda: memo.api, wakeups=Wakeups())
    memo.step_pods.gone = {("ns", "run-s000-t001-a1-agent"), ("ns", "run-s001-t001-a1-agent")}
    memo.step_pods.pods = {
        ("ns", "run-s000-t002-a1-test"): {},
        ("other", "run-s000-t001-a1-agent"): {},
    }
    memo.lost_claims = {("ns", "run-s000-workspace"): "uid-1", ("ns", "run-s001-workspace"): "2"}
    memo.run_turns = {("ns", "run-s000"): (("uid-0", 1), 3), ("ns", "run-s001"): (("u", 1), 3)}
    forget_scenario_run(memo, "ns", "run-s000")
    assert memo.lost_claims == {("ns", "run-s001-workspace"): "2"}
    assert list(memo.run_turns) == [("ns", "run-s001")]
    assert memo.step_pods.gone == {("ns", "run-s001-t001-a1-agent")}
    assert list(memo.step_pods.pods) == [("other", "run-s000-t001-a1-agent")]
