"""When `enduro run --resume` finds the workspace volume lost: the folder is gone, or
empty once a turn was scored. The engine then decides, as for a deleted PVC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from enduro.api.scenariorun import ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.events import AgentFinished, Event, Started, TestFinished
from enduro.engine.machine import current_step, decide
from enduro.engine.results import AgentOutcome, TestSummary
from enduro.runtime.local import workspace_lost
from enduro.storage.checkpoints import write_checkpoint

SPEC = ScenarioRunSpec.model_validate(
    {
        "generator": {"seed": 1, "scenarios": 1, "turns": 3},
        "scenario": 0,
        "agent": {"harness": "oracle"},
    }
)
AGENT_DONE = AgentFinished(AgentOutcome())
TURN_PASSED = TestFinished(TestSummary(passed=4, total=4))


def status_after(*events: Event) -> ScenarioRunStatus:
    status = ScenarioRunStatus()
    for event in events:
        status = decide(SPEC, status, event, datetime.now(UTC)).status
    return status


def scenario_folder(tmp_path: Path, *files: str) -> Path:
    (tmp_path / "workspace").mkdir()
    for name in files:
        (tmp_path / "workspace" / name).write_text("x\n")
    return tmp_path


def test_a_workspace_folder_gone_in_turn_one_is_a_lost_volume(tmp_path: Path) -> None:
    """Stopped while turn 1 is tested (its checkpoint may already be written), the
    folder deleted: turn 1 starts again on an empty volume instead of testing nothing."""
    testing_turn_1 = status_after(Started(), AGENT_DONE)
    lost = workspace_lost(tmp_path, testing_turn_1, current_step(testing_turn_1))
    assert lost is not None and lost.reason == "the workspace folder is gone"
    decided = decide(SPEC, testing_turn_1, lost, datetime.now(UTC))
    assert "resumed turn 1 from attempt 1 on a fresh volume with an empty workspace" in (
        decided.status.message
    )


def test_an_empty_folder_in_turn_one_is_the_agents_doing_and_is_scored(tmp_path: Path) -> None:
    testing_turn_1 = status_after(Started(), AGENT_DONE)
    folder = scenario_folder(tmp_path)
    assert workspace_lost(folder, testing_turn_1, current_step(testing_turn_1)) is None


def test_an_empty_or_missing_folder_after_a_scored_turn_resumes_from_its_checkpoint(
    tmp_path: Path,
) -> None:
    in_turn_2 = status_after(Started(), AGENT_DONE, TURN_PASSED)
    folder = scenario_folder(tmp_path)
    lost = workspace_lost(folder, in_turn_2, current_step(in_turn_2))
    assert lost is not None and lost.reason == "the workspace folder is empty"
    assert not lost.checkpoints  # turn 1 left no checkpoint in the run folder
    (folder / "work").mkdir()
    (folder / "work" / "app.py").write_text("print('turn 1')\n")
    write_checkpoint(folder, folder / "work", 1)
    (folder / "workspace").rmdir()
    lost = workspace_lost(folder, in_turn_2, current_step(in_turn_2))
    assert lost is not None and lost.reason == "the workspace folder is gone" and lost.checkpoints


def test_a_kept_workspace_or_a_scenario_not_started_is_not_lost(tmp_path: Path) -> None:
    in_turn_2 = status_after(Started(), AGENT_DONE, TURN_PASSED)
    assert (
        workspace_lost(scenario_folder(tmp_path, "app.py"), in_turn_2, current_step(in_turn_2))
        is None
    )
    pending = ScenarioRunStatus()
    assert workspace_lost(tmp_path / "nowhere", pending, current_step(pending)) is None
