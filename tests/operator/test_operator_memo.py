"""What the operator keeps in memory about pods does not outlive their ScenarioRun."""

from __future__ import annotations

import kopf

from enduro.operator.handlers import forget_pods


def test_a_deleted_scenario_runs_pods_are_forgotten() -> None:
    memo = kopf.Memo()
    memo.gone_pods = {("ns", "run-s000-t001-a1-agent"), ("ns", "run-s001-t001-a1-agent")}
    memo.pods = {("ns", "run-s000-t002-a1-test"): {}, ("other", "run-s000-t001-a1-agent"): {}}
    memo.lost_claims = {("ns", "run-s000-workspace"): "uid-1", ("ns", "run-s001-workspace"): "2"}
    forget_pods(memo, "ns", "run-s000")
    assert memo.lost_claims == {("ns", "run-s001-workspace"): "2"}
    assert memo.gone_pods == {("ns", "run-s001-t001-a1-agent")}
    assert list(memo.pods) == [("other", "run-s000-t001-a1-agent")]
