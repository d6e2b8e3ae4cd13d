"""Claude Code (npm `@anthropic-ai/claude-code`), written against version 2.1.330.

Command: `claude -p --output-format stream-json --verbose --dangerously-skip-permissions
--model <name> [--max-turns <limits.steps>] [--max-budget-usd <limits.costUsd>]` in the
workspace, with the prompt on standard input. Print mode runs the task and exits;
skipping permissions is what the sandbox (the pod, non-root) is for. Auto-update,
telemetry and other non-essential traffic are switched off.

Providers: `anthropic` (`ANTHROPIC_API_KEY`; `model.baseUrl` becomes
`ANTHROPIC_BASE_URL`, e.g. for a gateway speaking the Anthropic Messages API) and
`bedrock` (`CLAUDE_CODE_USE_BEDROCK=1` with `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
`AWS_REGION` or `AWS_BEARER_TOKEN_BEDROCK`; `model.baseUrl` becomes
`ANTHROPIC_BEDROCK_BASE_URL`, the Bedrock endpoint). On Bedrock, Claude Code calls
InvokeModel (`/model/<id>/invoke-with-response-stream`), not Converse, so it cannot be
pointed at the scripted model's Bedrock API, which serves Converse only.

Output: stream-JSON (`enduro.agents.harnesses.stream_json`); the final `result`
message has `num_turns`, `usage`, `total_cost_usd` and `subtype` (`success`,
`error_max_turns`, `error_max_budget_usd`, `error_during_execution`). The parser is tested
against a recorded run of the real CLI against the scripted model's Anthropic endpoint
(provider `scripted`, key in `ANTHROPIC_API_KEY`, `baseUrl` = the server's root).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from enduro.agents.harnesses.base import (
    CliPackage,
    Command,
    Harness,
    HarnessConfig,
    HarnessReport,
    ProcessResult,
)
from enduro.agents.harnesses.stream_json import parse_stream_json


class ClaudeCode(Harness):
    name = "claude-code"
    package = CliPackage("npm", "@anthropic-ai/claude-code", "2.1.330", "claude")
    credentials: ClassVar[dict[str, tuple[str, ...]]] = {
        "anthropic": ("ANTHROPIC_API_KEY",),
        "bedrock": ("AWS_ACCESS_KEY_ID", "AWS_BEARER_TOKEN_BEDROCK"),
        "scripted": ("ANTHROPIC_API_KEY",),
    }
    needs_base_url = frozenset({"scripted"})

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        argv = [
            self.package.executable, "-p", "--output-format", "stream-json", "--verbose",
            "--dangerously-skip-permissions", "--model", config.model.name,
        ]  # fmt: skip
        if config.max_steps:
            argv += ["--max-turns", str(config.max_steps)]
        if config.max_cost_usd:
            argv += ["--max-budget-usd", str(config.max_cost_usd)]
        env = {
            # Claude Code refuses to skip permissions as root unless told it is sandboxed;
            # every Enduro agent step is (a pod, or a local run the user chose to make).
            "IS_SANDBOX": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
        if config.model.provider == "bedrock":
            env["CLAUDE_CODE_USE_BEDROCK"] = "1"
            if config.model.base_url:  # in Bedrock mode ANTHROPIC_BASE_URL is not read
                env["ANTHROPIC_BEDROCK_BASE_URL"] = config.model.base_url
        elif config.model.base_url:
            env["ANTHROPIC_BASE_URL"] = config.model.base_url
        prompt_file = scratch / "prompt.md"
        return Command(
            argv=(*argv, *config.args),
            cwd=workspace,
            env=env,
            files={prompt_file: prompt},
            stdin=prompt_file,
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        return parse_stream_json(result.stdout, version_key="claude_code_version")
