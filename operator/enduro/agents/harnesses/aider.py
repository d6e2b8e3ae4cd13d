"""Aider (PyPI `aider-chat`), written against version 0.86.2.

Command: `aider --message-file <scratch>/prompt.md --yes-always --no-git ...` in the
workspace, one non-interactive exchange: Aider sends the prompt, applies the file edits
in the reply (creating files as needed, `--yes-always`), and exits. SPEC.md and
openapi.yaml are added read-only (`--read`); the agent's own files are added for editing
(`--file`, everything outside `tests/` and the turn's documents). Git, auto-commits,
linting, update checks and analytics are off: the workspace is not a repository and the
pod has no business phoning home. Histories go to the scratch folder and are kept as
native logs. Pass `--edit-format whole` in `args` for models without a known format.

Models go through LiteLLM: provider `openai` -> `openai/<name>` (`OPENAI_API_KEY`),
`openai-compatible` and `scripted` -> `openai/<name>` + `--openai-api-base <baseUrl>`
(`OPENAI_API_KEY`), `anthropic` -> `anthropic/<name>` (`ANTHROPIC_API_KEY`), `bedrock`
-> `bedrock/<name>` (`AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` + `AWS_REGION`); with a
`baseUrl` the endpoint goes in `AWS_BEDROCK_RUNTIME_ENDPOINT` (not `--openai-api-base`)
and the model is pinned to the Converse API, `bedrock/converse/<name>`; Aider streams,
so that is ConverseStream.

Output: one line per model call, `Tokens: 2.1k sent, 345 received. Cost: $0.01 message,
$0.02 session.` (thousands abbreviated, so token counts are rounded to Aider's precision);
errors as `litellm.<Kind>Error: ...` lines while the process still exits 0.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from enduro.agents import atif
from enduro.agents.harnesses.base import (
    CliPackage,
    Command,
    Harness,
    HarnessConfig,
    HarnessReport,
    ProcessResult,
    litellm_model,
)

CHAT_HISTORY = "aider.chat.history.md"
LLM_HISTORY = "aider.llm.history.txt"
READ_ONLY = ("SPEC.md", "openapi.yaml")
NOT_EDITABLE = frozenset({"SPEC.md", "CHANGES.md", "FEEDBACK.md", "openapi.yaml"})
SKIPPED_DIRS = frozenset({"tests", "__pycache__", "node_modules", ".git", ".venv", "venv"})
MAX_FILES = 200
_TOKENS = re.compile(
    r"Tokens: ([\d.]+)(k?) sent(?:, ([\d.]+)(k?) cache write)?(?:, ([\d.]+)(k?) cache hit)?, "
    r"([\d.]+)(k?) received\.(?: Cost: \$([\d.]+) message, \$([\d.]+) session\.)?"
)
_ERROR = re.compile(r"^(litellm\.\w+Error: .*)$", re.MULTILINE)
_VERSION = re.compile(r"^Aider v(\S+)", re.MULTILINE)
_PROVIDER = {
    "openai": "openai",
    "openai-compatible": "openai",
    "scripted": "openai",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
}


class Aider(Harness):
    name = "aider"
    # LiteLLM signs Bedrock requests with botocore, which aider-chat does not install.
    package = CliPackage("pypi", "aider-chat", "0.86.2", "aider", constraints=("boto3==1.44.8",))
    credentials: ClassVar[dict[str, tuple[str, ...]]] = {
        "openai": ("OPENAI_API_KEY",),
        "openai-compatible": ("OPENAI_API_KEY",),
        "scripted": ("OPENAI_API_KEY",),
        "anthropic": ("ANTHROPIC_API_KEY",),
        "bedrock": ("AWS_ACCESS_KEY_ID",),
    }
    needs_base_url = frozenset({"openai-compatible", "scripted"})

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        prompt_file = scratch / "prompt.md"
        argv = [
            self.package.executable,
            "--model", litellm_model(_PROVIDER[config.model.provider], config.model),
            "--message-file", str(prompt_file),
            "--yes-always", "--no-git", "--no-auto-commits", "--no-dirty-commits",
            "--no-auto-lint", "--no-auto-test", "--no-check-update", "--no-show-release-notes",
            "--no-analytics", "--no-show-model-warnings", "--no-pretty", "--no-fancy-input",
            "--no-suggest-shell-commands", "--no-detect-urls", "--no-restore-chat-history",
            "--chat-history-file", str(scratch / CHAT_HISTORY),
            "--llm-history-file", str(scratch / LLM_HISTORY),
            "--input-history-file", str(scratch / "aider.input.history"),
        ]  # fmt: skip
        env = {
            "AIDER_ANALYTICS": "false",
            "AIDER_CHECK_UPDATE": "false",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no network fetch at start-up
        }
        if config.model.base_url and config.model.provider == "bedrock":
            # `--openai-api-base` is for OpenAI-style models only; LiteLLM's Bedrock provider
            # reads its endpoint from this variable.
            env["AWS_BEDROCK_RUNTIME_ENDPOINT"] = config.model.base_url
        elif config.model.base_url:
            argv += ["--openai-api-base", config.model.base_url]
        for name in READ_ONLY:
            if (workspace / name).is_file():
                argv += ["--read", name]
        for path in editable_files(workspace):
            argv += ["--file", path]
        argv += config.args
        return Command(
            argv=tuple(argv),
            cwd=workspace,
            env=env,
            native_logs=(scratch / CHAT_HISTORY, scratch / LLM_HISTORY),
            files={prompt_file: prompt},
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        calls = list(_TOKENS.finditer(result.stdout))
        tokens_in = sum(_count(m.group(1), m.group(2)) for m in calls)
        tokens_out = sum(_count(m.group(7), m.group(8)) for m in calls)
        session_costs = [float(m.group(10)) for m in calls if m.group(10)]
        errors = _ERROR.findall(result.stdout + "\n" + result.stderr)
        version = _VERSION.search(result.stdout)
        steps = [
            atif.Step(
                step_id=1,
                source="agent",
                message=block,
                metrics=atif.Metrics(
                    prompt_tokens=_count(m.group(1), m.group(2)),
                    completion_tokens=_count(m.group(7), m.group(8)),
                    cost_usd=float(m.group(9)) if m.group(9) else None,
                ),
            )
            for block, m in zip(_replies(result.native.get(CHAT_HISTORY, "")), calls, strict=False)
        ]
        return HarnessReport(
            steps=len(calls),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=session_costs[-1] if session_costs else 0.0,
            exit_status="error" if errors else "completed",
            error=errors[-1] if errors else None,
            version=version.group(1) if version else None,
            trajectory=steps,
        )


def editable_files(workspace: Path) -> list[str]:
    """The agent's own files, relative to the workspace, in a stable order."""
    found: list[str] = []
    for path in sorted(workspace.rglob("*")):
        relative = path.relative_to(workspace)
        if not path.is_file() or relative.as_posix() in NOT_EDITABLE:
            continue
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts):
            continue
        found.append(relative.as_posix())
        if len(found) == MAX_FILES:
            break
    return found


def _count(number: str, k: str) -> int:
    return round(float(number) * (1000 if k else 1))


def _replies(chat_history: str) -> list[str]:
    """The assistant's replies in Aider's markdown chat history.

    User lines start with `#### `, Aider's own notes with `> `, each session with a
    `# aider chat started at` heading; everything else is the model's reply.
    """
    replies: list[str] = []
    current: list[str] = []
    for line in chat_history.splitlines():
        if line.startswith(("#### ", "> ", "# aider chat started")):
            if current and any(part.strip() for part in current):
                replies.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    if current and any(part.strip() for part in current):
        replies.append("\n".join(current).strip())
    return replies
