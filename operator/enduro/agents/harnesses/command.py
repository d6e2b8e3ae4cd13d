"""`command`: your own agent, as a command line run in the workspace (Runloop's "run your
own agent").

The command gets the prompt as a file (`ENDURO_PROMPT_FILE`) and the workspace as its
working directory (`ENDURO_WORKSPACE` too), and goes through everything every harness
goes through: the env allow-list, Secret masking, the sandbox, the time limit, the log
caps and the ATIF record. Exit code 0 is a completed attempt, anything else the
agent's failure. It reports no usage: Enduro does not take token or cost figures from
an agent's own output for a command it knows nothing about.
"""

from __future__ import annotations

from collections.abc import Mapping
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

PROMPT_FILE_ENV = "ENDURO_PROMPT_FILE"
WORKSPACE_ENV = "ENDURO_WORKSPACE"
ANY_PROVIDER = ("bedrock", "openai", "openai-compatible", "anthropic", "scripted", "none")


class CommandAgent(Harness):
    name = "command"
    # Not installed by Enduro: the command comes with the Agent's image (or this machine).
    package = CliPackage(registry="pypi", name="command", version="user", executable="")
    credentials: ClassVar[Mapping[str, tuple[str, ...]]] = {p: () for p in ANY_PROVIDER}

    def missing_cli_hint(self, executable: str) -> str:
        return (
            f"the Agent's command {executable!r} is not found or not executable: check "
            "spec.command (an absolute path, or a program on PATH in the agent's image)"
        )

    def check(self, config: HarnessConfig, env: Mapping[str, str]) -> str | None:
        if not config.command:
            return "spec.command is required for harness command (the command line to run)"
        return None

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        prompt_file = scratch / "prompt.md"
        return Command(
            argv=(*config.command, *config.args),
            cwd=workspace,
            env={PROMPT_FILE_ENV: str(prompt_file), WORKSPACE_ENV: str(workspace)},
            files={prompt_file: prompt},
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        return HarnessReport()
