"""Claude Code adapter: command building and parsing of a recorded real run."""

from __future__ import annotations

from pathlib import Path

from enduro.agents.harnesses.base import HarnessConfig, ModelEndpoint, ProcessResult
from enduro.agents.harnesses.claude_code import ClaudeCode

FIXTURES = Path(__file__).parent / "fixtures"


def test_command_for_bedrock_with_limits(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="claude-code",
        model=ModelEndpoint("bedrock", "us.anthropic.claude-sonnet-4-5"),
        max_steps=50,
        max_cost_usd=3.0,
    )
    command = ClaudeCode().build_command(config, tmp_path, "the prompt", tmp_path)
    argv = list(command.argv)
    assert argv[:5] == ["claude", "-p", "--output-format", "stream-json", "--verbose"]
    assert argv[argv.index("--max-turns") + 1] == "50"
    assert argv[argv.index("--max-budget-usd") + 1] == "3.0"
    assert command.env["CLAUDE_CODE_USE_BEDROCK"] == "1"
    assert command.stdin == tmp_path / "prompt.md"


def test_bedrock_with_a_base_url_sets_the_bedrock_endpoint_not_the_anthropic_one(
    tmp_path: Path,
) -> None:
    config = HarnessConfig(
        harness="claude-code",
        model=ModelEndpoint(
            "bedrock", "us.anthropic.claude-sonnet-4-5", "https://gw.example/bedrock"
        ),
    )
    env = ClaudeCode().build_command(config, tmp_path, "the prompt", tmp_path).env
    assert env["CLAUDE_CODE_USE_BEDROCK"] == "1"
    assert env["ANTHROPIC_BEDROCK_BASE_URL"] == "https://gw.example/bedrock"
    assert "ANTHROPIC_BASE_URL" not in env


def test_parse_recorded_run() -> None:
    stdout = (FIXTURES / "claude-code-2.1.330.stream.jsonl").read_text()
    report = ClaudeCode().parse_output(ProcessResult(0, stdout, "", 2.0))
    assert (report.steps, report.tokens_in, report.tokens_out) == (2, 5932, 105)
    assert (report.cost_usd, report.exit_status, report.version) == (0.019371, "success", "2.1.330")
    tool_steps = [step for step in report.trajectory if step.tool_calls]
    assert len(tool_steps) == 1
    step = tool_steps[0]
    assert step.tool_calls is not None
    assert step.tool_calls[0].function_name == "Bash"
    assert "cat > 'server.py'" in step.tool_calls[0].arguments["command"]
    assert step.observation is not None
    assert step.observation.results[0].source_call_id == step.tool_calls[0].tool_call_id


def test_cache_tokens_count_as_input() -> None:
    line = (
        '{"type":"result","subtype":"success","num_turns":1,"usage":{"input_tokens":10,'
        '"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":3}}'
    )
    report = ClaudeCode().parse_output(ProcessResult(0, line, "", 1.0))
    assert (report.tokens_in, report.tokens_out) == (115, 3)


def test_budget_limit_is_an_agent_limit() -> None:
    line = '{"type":"result","subtype":"error_max_budget_usd","is_error":true,"num_turns":7}'
    report = ClaudeCode().parse_output(ProcessResult(0, line, "", 1.0))
    assert (report.limit_reached, report.error) == (True, None)
