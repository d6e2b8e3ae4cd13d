"""OpenHands adapter: command building and parsing of a recorded real run."""

from __future__ import annotations

import json
from pathlib import Path

from enduro.agents.harnesses.base import HarnessConfig, ModelEndpoint, ProcessResult
from enduro.agents.harnesses.openhands import STATE, STATE_GLOB, OpenHands

FIXTURES = Path(__file__).parent / "fixtures"


def test_command_is_headless_and_takes_the_model_from_env(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="openhands",
        model=ModelEndpoint("scripted", "scripted", "http://127.0.0.1:9/v1"),
        max_steps=30,
    )
    command = OpenHands().build_command(config, tmp_path / "ws", "the prompt", tmp_path)
    assert command.argv == (
        "openhands", "--headless", "--json", "--override-with-envs",
        "--exit-without-confirmation", "-f", str(tmp_path / "prompt.md"),
    )  # fmt: skip
    assert command.env["LLM_MODEL"] == "openai/scripted"
    assert command.env["LLM_BASE_URL"] == "http://127.0.0.1:9/v1"
    assert command.env["MAX_ITERATIONS"] == "30"
    assert command.native_globs == (STATE_GLOB,)


def test_bedrock_with_a_base_url_pins_converse_and_passes_the_endpoint(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="openhands", model=ModelEndpoint("bedrock", "scripted", "http://127.0.0.1:9")
    )
    command = OpenHands().build_command(config, tmp_path / "ws", "the prompt", tmp_path)
    assert command.env["LLM_MODEL"] == "bedrock/converse/scripted"
    assert command.env["LLM_BASE_URL"] == "http://127.0.0.1:9"


def _recorded(state: dict[str, object] | None = None) -> ProcessResult:
    raw = (FIXTURES / "openhands-1.16.0.base_state.json").read_text()
    return ProcessResult(
        exit_code=0,
        stdout=(FIXTURES / "openhands-1.16.0.stdout.txt").read_text(),
        stderr="",
        seconds=30.0,
        native={STATE: json.dumps(state) if state is not None else raw},
    )


def test_parse_recorded_run() -> None:
    report = OpenHands().parse_output(_recorded())
    assert (report.steps, report.tokens_in, report.tokens_out) == (2, 7798, 114)
    assert (report.exit_status, report.error) == ("finished", None)
    assert len(report.trajectory) == 1
    call = report.trajectory[0].tool_calls
    assert call is not None
    assert call[0].function_name == "terminal"


def test_error_status_is_reported() -> None:
    report = OpenHands().parse_output(_recorded({"execution_status": "stuck"}))
    assert report.error == "execution status stuck"
