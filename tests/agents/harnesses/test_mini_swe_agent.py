"""mini-swe-agent adapter: command building and parsing of recorded real trajectories."""

from __future__ import annotations

from pathlib import Path

import yaml

from enduro.agents.harnesses.base import HarnessConfig, ModelEndpoint, ProcessResult
from enduro.agents.harnesses.mini_swe_agent import TRAJECTORY, MiniSweAgent

FIXTURES = Path(__file__).parent / "fixtures"


def _result(fixture: str) -> ProcessResult:
    native = {TRAJECTORY: (FIXTURES / fixture).read_text()}
    return ProcessResult(exit_code=0, stdout="", stderr="", seconds=3.0, native=native)


def test_command_puts_task_limits_and_endpoint_in_a_config_file_not_argv(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="mini-swe-agent",
        model=ModelEndpoint("scripted", "scripted", "http://127.0.0.1:9/v1"),
        secret_env=("OPENAI_API_KEY",),
        args=("--environment-class", "local"),
        max_steps=7,
        max_cost_usd=1.5,
    )
    command = MiniSweAgent().build_command(config, tmp_path / "ws", "# Turn 1 do it", tmp_path)
    overlay_path = tmp_path / "enduro.yaml"
    assert command.argv == (
        "mini", "--yolo", "--exit-immediately", "-c", "mini.yaml", "-c", str(overlay_path),
        "-m", "openai/scripted", "-o", str(tmp_path / TRAJECTORY),
        "--environment-class", "local",
    )  # fmt: skip
    overlay = yaml.safe_load(command.files[overlay_path])
    assert overlay["run"]["task"] == "# Turn 1 do it"
    assert overlay["agent"] == {"step_limit": 7, "cost_limit": 1.5}
    assert overlay["model"]["model_kwargs"] == {"api_base": "http://127.0.0.1:9/v1"}
    assert overlay["environment"]["cwd"] == str(tmp_path / "ws")
    assert command.env["MSWEA_CONFIGURED"] == "true"
    assert command.native_logs == (tmp_path / TRAJECTORY,)


def test_provider_maps_to_the_litellm_prefix(tmp_path: Path) -> None:
    config = HarnessConfig(harness="mini-swe-agent", model=ModelEndpoint("anthropic", "claude-x"))
    argv = MiniSweAgent().build_command(config, tmp_path, "p", tmp_path).argv
    assert argv[argv.index("-m") + 1] == "anthropic/claude-x"


def test_bedrock_with_a_base_url_goes_to_that_endpoint_through_converse(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="mini-swe-agent",
        model=ModelEndpoint("bedrock", "scripted", "http://127.0.0.1:9"),
        env={"AWS_REGION": "eu-west-3"},
        secret_env=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    )
    command = MiniSweAgent().build_command(config, tmp_path, "p", tmp_path)
    assert command.argv[command.argv.index("-m") + 1] == "bedrock/converse/scripted"
    overlay = yaml.safe_load(command.files[tmp_path / "enduro.yaml"])
    assert overlay["model"]["model_kwargs"] == {
        "aws_bedrock_runtime_endpoint": "http://127.0.0.1:9"
    }
    assert not any(name.startswith("AWS_") for name in command.env)  # credentials: the runner's


def test_bedrock_without_a_base_url_is_left_to_litellm(tmp_path: Path) -> None:
    model = ModelEndpoint("bedrock", "us.anthropic.claude-sonnet-4-5-v1:0")
    config = HarnessConfig(harness="mini-swe-agent", model=model)
    command = MiniSweAgent().build_command(config, tmp_path, "p", tmp_path)
    assert (
        command.argv[command.argv.index("-m") + 1] == "bedrock/us.anthropic.claude-sonnet-4-5-v1:0"
    )
    assert "model_kwargs" not in yaml.safe_load(command.files[tmp_path / "enduro.yaml"])["model"]


def test_parse_recorded_submitted_run() -> None:
    report = MiniSweAgent().parse_output(_result("mini-swe-agent-2.4.6.traj.json"))
    assert (report.steps, report.exit_status, report.limit_reached) == (2, "Submitted", False)
    assert (report.tokens_in, report.tokens_out) == (2090, 141)
    assert report.version == "2.4.6"
    sources = [step.source for step in report.trajectory]
    assert sources == ["system", "user", "agent", "agent"]
    first = report.trajectory[2]
    assert first.tool_calls is not None
    assert first.tool_calls[0].function_name == "bash"
    assert "cat > 'server.py'" in first.tool_calls[0].arguments["command"]
    assert first.observation is not None
    assert first.observation.results[0].source_call_id == first.tool_calls[0].tool_call_id


def test_parse_recorded_step_limit_run() -> None:
    report = MiniSweAgent().parse_output(_result("mini-swe-agent-2.4.6.limits.traj.json"))
    assert (report.steps, report.exit_status, report.limit_reached) == (1, "LimitsExceeded", True)


def test_no_trajectory_file_is_an_empty_report() -> None:
    report = MiniSweAgent().parse_output(ProcessResult(0, "", "", 1.0))
    assert (report.steps, report.exit_status) == (0, None)
