"""Registry of the real coding-agent harness adapters, one module per CLI."""

from __future__ import annotations

from enduro.agents.harnesses.aider import Aider
from enduro.agents.harnesses.base import Harness
from enduro.agents.harnesses.claude_code import ClaudeCode
from enduro.agents.harnesses.codex import Codex
from enduro.agents.harnesses.command import CommandAgent
from enduro.agents.harnesses.kimi_cli import KimiCli
from enduro.agents.harnesses.mini_swe_agent import MiniSweAgent
from enduro.agents.harnesses.opencode import OpenCode
from enduro.agents.harnesses.openhands import OpenHands
from enduro.agents.harnesses.qwen_code import QwenCode
from enduro.agents.harnesses.vibe import Vibe

ADAPTERS: tuple[Harness, ...] = (
    MiniSweAgent(),
    OpenHands(),
    OpenCode(),
    QwenCode(),
    KimiCli(),
    Vibe(),
    ClaudeCode(),
    Codex(),
    Aider(),
)
"""The pinned coding-agent CLIs Enduro installs and parses."""
HARNESSES: dict[str, Harness] = {harness.name: harness for harness in (*ADAPTERS, CommandAgent())}
"""Every harness `enduro agent` runs through the adapter runner: the CLIs and `command`."""


class UnknownHarnessError(LookupError):
    """No adapter for the requested harness name."""


def get_harness(name: str) -> Harness:
    try:
        return HARNESSES[name]
    except KeyError:
        known = ", ".join(sorted(HARNESSES))
        raise UnknownHarnessError(
            f"unknown harness {name!r}: spec.harness must be one of {known}"
        ) from None
