"""Aider adapter: command building and parsing of a recorded real run."""

from __future__ import annotations

from pathlib import Path

from enduro.agents.harnesses.aider import CHAT_HISTORY, Aider, editable_files
from enduro.agents.harnesses.base import HarnessConfig, ModelEndpoint, ProcessResult

FIXTURES = Path(__file__).parent / "fixtures"


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    for name in ("SPEC.md", "CHANGES.md", "openapi.yaml", "run.sh", "app/server.py",
                 "tests/test_x.py", ".hidden/x", "app/__pycache__/a.pyc"):  # fmt: skip
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text("x")
    return ws


def test_editable_files_are_the_agents_own_files(tmp_path: Path) -> None:
    assert editable_files(_workspace(tmp_path)) == ["app/server.py", "run.sh"]


def test_command_is_non_interactive_and_keeps_the_prompt_out_of_argv(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    config = HarnessConfig(
        harness="aider",
        model=ModelEndpoint("openai-compatible", "qwen", "http://m:8000/v1"),
        args=("--edit-format", "whole"),
    )
    command = Aider().build_command(config, ws, "# Turn 2, attempt 1 ...", tmp_path)
    argv = list(command.argv)
    assert argv[:3] == ["aider", "--model", "openai/qwen"]
    assert command.files[tmp_path / "prompt.md"] == "# Turn 2, attempt 1 ..."
    assert argv[argv.index("--message-file") + 1] == str(tmp_path / "prompt.md")
    for flag in ("--yes-always", "--no-git", "--no-auto-commits", "--no-analytics"):
        assert flag in argv
    assert argv[argv.index("--openai-api-base") + 1] == "http://m:8000/v1"
    assert argv[argv.index("--read") : argv.index("--read") + 4] == [
        "--read",
        "SPEC.md",
        "--read",
        "openapi.yaml",
    ]
    assert argv[-6:] == ["--file", "app/server.py", "--file", "run.sh", "--edit-format", "whole"]
    assert "# Turn 2" not in " ".join(argv)


def test_bedrock_with_a_base_url_sets_the_bedrock_runtime_endpoint(tmp_path: Path) -> None:
    config = HarnessConfig(
        harness="aider",
        model=ModelEndpoint("bedrock", "scripted", "http://127.0.0.1:9"),
        secret_env=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    )
    command = Aider().build_command(config, _workspace(tmp_path), "p", tmp_path)
    argv = list(command.argv)
    assert argv[:3] == ["aider", "--model", "bedrock/converse/scripted"]
    assert command.env["AWS_BEDROCK_RUNTIME_ENDPOINT"] == "http://127.0.0.1:9"
    assert "--openai-api-base" not in argv


def test_parse_recorded_run() -> None:
    result = ProcessResult(
        exit_code=0,
        stdout=(FIXTURES / "aider-0.86.2.stdout.txt").read_text(),
        stderr="",
        seconds=4.0,
        native={CHAT_HISTORY: (FIXTURES / "aider-0.86.2.chat.history.md").read_text()},
    )
    report = Aider().parse_output(result)
    assert (report.steps, report.tokens_in, report.tokens_out) == (1, 829, 36)
    assert (report.version, report.error, report.exit_status) == ("0.86.2", None, "completed")
    assert len(report.trajectory) == 1
    assert "server.py" in report.trajectory[0].message


def test_parse_abbreviated_counts_costs_and_errors() -> None:
    stdout = (
        "Tokens: 2.1k sent, 345 received. Cost: $0.01 message, $0.01 session.\n"
        "Tokens: 3.5k sent, 1.2k cache hit, 1.0k received. Cost: $0.02 message, $0.03 session.\n"
        "litellm.RateLimitError: slow down\n"
    )
    report = Aider().parse_output(ProcessResult(0, stdout, "", 1.0))
    assert (report.steps, report.tokens_in, report.tokens_out) == (2, 5600, 1345)
    assert report.cost_usd == 0.03
    assert report.error == "litellm.RateLimitError: slow down"
