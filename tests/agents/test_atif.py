"""ATIF trajectories: the spec's rules and the file the writer produces."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from enduro.agents import atif


def _trajectory() -> atif.Trajectory:
    steps = atif.renumber(
        [
            atif.Step(step_id=1, source="user", message="do it"),
            atif.Step(
                step_id=1,
                source="agent",
                model_name="m",
                message="running",
                tool_calls=[atif.ToolCall(tool_call_id="c1", function_name="bash", arguments={})],
                observation=atif.Observation(
                    results=[atif.ObservationResult(source_call_id="c1", content="ok")]
                ),
                metrics=atif.Metrics(prompt_tokens=10, completion_tokens=2),
            ),
        ]
    )
    return atif.Trajectory(
        session_id="s1",
        agent=atif.Agent(name="mini-swe-agent", version="2.4.6", model_name="m"),
        steps=steps,
        final_metrics=atif.FinalMetrics(total_prompt_tokens=10, total_steps=1),
    )


def test_writer_produces_spec_field_names_without_unset_fields(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    path = tmp_path / "trajectory" / "turn_001_attempt_1.json"
    atif.write(_trajectory(), path)
    data = conforms("atif", path)
    assert data["schema_version"] == "ATIF-v1.7"
    assert data["agent"] == {"name": "mini-swe-agent", "version": "2.4.6", "model_name": "m"}
    assert [s["step_id"] for s in data["steps"]] == [1, 2]
    assert data["steps"][0] == {"step_id": 1, "source": "user", "message": "do it"}
    assert data["steps"][1]["tool_calls"][0]["function_name"] == "bash"
    assert data["final_metrics"] == {"total_prompt_tokens": 10, "total_steps": 1}
    assert atif.read(path) == _trajectory().model_copy(update={"session_id": "s1"})


def test_step_ids_must_be_sequential_from_one() -> None:
    with pytest.raises(ValidationError, match=r"steps\[1\].step_id is 3, not 2"):
        atif.Trajectory(
            session_id="s",
            agent=atif.Agent(name="a", version="1"),
            steps=[
                atif.Step(step_id=1, source="user", message="x"),
                atif.Step(step_id=3, source="agent", message="y"),
            ],
        )


def test_agent_only_fields_are_rejected_on_user_steps() -> None:
    with pytest.raises(ValidationError, match="metrics is only allowed on agent steps"):
        atif.Step(step_id=1, source="user", message="x", metrics=atif.Metrics(prompt_tokens=1))


# A trajectory as Enduro wrote it before ATIF 1.7 (a built-in CLI harness's turn).
V1_4 = {
    "schema_version": "ATIF-v1.4",
    "session_id": "0-3-1",
    "agent": {"name": "aider", "version": "builtin", "model_name": "gpt-x"},
    "steps": [
        {"step_id": 1, "source": "user", "message": "Implement the changes in CHANGES.md"},
        {
            "step_id": 2,
            "source": "agent",
            "message": "",
            "tool_calls": [{"tool_call_id": "t1", "function_name": "edit", "arguments": {}}],
            "observation": {"results": [{"source_call_id": "t1", "content": "ok"}]},
            "metrics": {"prompt_tokens": 12, "completion_tokens": 3, "cost_usd": 0.01},
        },
    ],
    "final_metrics": {"total_prompt_tokens": 12, "total_steps": 2, "extra": {"seconds": 4.5}},
}


def test_a_v1_4_trajectory_is_read_as_v1_7_and_written_back_valid(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps(V1_4))
    trajectory = atif.read(old)
    assert trajectory == atif.upgrade(V1_4)
    assert trajectory.schema_version == "ATIF-v1.7"
    assert trajectory.steps[1].metrics == atif.Metrics(
        prompt_tokens=12, completion_tokens=3, cost_usd=0.01
    )
    new = tmp_path / "new.json"
    atif.write(trajectory, new)
    assert conforms("atif", new) == {**V1_4, "schema_version": "ATIF-v1.7"}


@pytest.mark.parametrize("version", ["ATIF-v2.0", "ATIF-v1.8", "ATIF-v1.x", "v1.4", None])
def test_upgrade_refuses_a_version_it_does_not_know(version: str | None) -> None:
    with pytest.raises(ValueError, match=f"schema_version {version!r} is not an ATIF version"):
        atif.upgrade({**V1_4, "schema_version": version})


def test_the_model_refuses_an_older_version_that_did_not_go_through_upgrade() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        atif.Trajectory.model_validate(V1_4)


def test_the_schema_check_rejects_what_the_spec_forbids(
    tmp_path: Path, conforms: Callable[[str, Path], dict[str, Any]]
) -> None:
    path = tmp_path / "bad.json"
    step = {"step_id": 1, "source": "user", "message": "x", "metrics": {}}
    path.write_text(json.dumps({**V1_4, "schema_version": "ATIF-v1.7", "steps": [step]}))
    with pytest.raises(AssertionError, match="steps/0"):
        conforms("atif", path)
