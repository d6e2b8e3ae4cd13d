"""OpenHands CLI (PyPI `openhands`), written against version 1.16.0 (OpenHands SDK 1.21).

Command: `openhands --headless --json --override-with-envs --exit-without-confirmation
-f <scratch>/prompt.md` in the workspace. Headless mode approves every action and exits
when the agent finishes; `--override-with-envs` makes it take the model from the
environment instead of `~/.openhands` (HOME is a private scratch folder anyway).

Model through LiteLLM: `LLM_MODEL=<prefix>/<name>` (`openai/...` for `openai`,
`openai-compatible` and `scripted`; `anthropic/...`; `bedrock/...`), `LLM_BASE_URL` from
`model.baseUrl` (LiteLLM's `api_base`, which its Bedrock provider also takes as the
endpoint; a Bedrock model with a `baseUrl` is then `bedrock/converse/<name>`), and the
key in `LLM_API_KEY` (declare that name in `secretEnv`; for `bedrock` the AWS variables
instead).

Output: JSON events on stdout, one per line, mixed with log lines: `ActionEvent`s
(`tool_name`, `tool_call`), `ObservationEvent`s, `AgentErrorEvent`s. Token counts and cost
are not in the stream; they are in the conversation's saved state,
`~/.openhands/conversations/<id>/base_state.json` (kept as a native log):
`stats.usage_to_metrics.<component>` with `accumulated_cost`, `accumulated_token_usage`
and one `token_usages` entry per LLM call, and `execution_status` (`finished`, `error`,
`stuck`, ...). `max_iterations` is the SDK's step limit (`MAX_ITERATIONS`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

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
from enduro.agents.harnesses.stream_json import json_lines

STATE_GLOB = "home/.openhands/conversations/*/base_state.json"
STATE = "base_state.json"
_PREFIX = {
    "openai": "openai",
    "openai-compatible": "openai",
    "scripted": "openai",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
}


class OpenHands(Harness):
    name = "openhands"
    package = CliPackage("pypi", "openhands", "1.16.0", "openhands")
    credentials: ClassVar[dict[str, tuple[str, ...]]] = {
        "openai": ("LLM_API_KEY",),
        "openai-compatible": ("LLM_API_KEY",),
        "scripted": ("LLM_API_KEY",),
        "anthropic": ("LLM_API_KEY",),
        "bedrock": ("AWS_ACCESS_KEY_ID", "AWS_BEARER_TOKEN_BEDROCK"),
    }
    needs_base_url = frozenset({"openai-compatible", "scripted"})

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        prompt_file = scratch / "prompt.md"
        env = {
            "LLM_MODEL": litellm_model(_PREFIX[config.model.provider], config.model),
            "OPENHANDS_SUPPRESS_BANNER": "1",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no network fetch at start-up
        }
        if config.model.base_url:
            env["LLM_BASE_URL"] = config.model.base_url
        if config.max_steps:
            env["MAX_ITERATIONS"] = str(config.max_steps)
        argv = (
            self.package.executable, "--headless", "--json", "--override-with-envs",
            "--exit-without-confirmation", "-f", str(prompt_file), *config.args,
        )  # fmt: skip
        return Command(
            argv=argv,
            cwd=workspace,
            env=env,
            files={prompt_file: prompt},
            native_globs=(STATE_GLOB,),
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        steps: list[atif.Step] = []
        errors: list[str] = []
        for event in json_lines(result.stdout):
            kind = str(event.get("kind") or "")
            if kind == "ActionEvent":
                steps.append(_action_step(event))
            elif kind == "ObservationEvent" and steps and steps[-1].observation is not None:
                steps[-1].observation.results.append(
                    atif.ObservationResult(
                        source_call_id=event.get("tool_call_id"),
                        content=_text(event.get("observation")),
                    )
                )
            elif kind in ("ConversationErrorEvent", "AgentErrorEvent"):
                errors.append(str(event.get("detail") or event.get("error") or kind))
        state = json.loads(result.native.get(STATE) or "{}")
        calls = tokens_in = tokens_out = 0
        cost = 0.0
        for component in ((state.get("stats") or {}).get("usage_to_metrics") or {}).values():
            usage = component.get("accumulated_token_usage") or {}
            tokens_in += int(usage.get("prompt_tokens") or 0)
            tokens_out += int(usage.get("completion_tokens") or 0)
            cost += float(component.get("accumulated_cost") or 0.0)
            calls += len(component.get("token_usages") or [])
        status = state.get("execution_status")
        limit = status == "error" and any("iteration" in e.lower() for e in errors)
        failed = status in ("error", "stuck")
        return HarnessReport(
            steps=calls or len(steps),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
            exit_status=status,
            limit_reached=limit,
            error=(errors[-1] if errors else f"execution status {status}")
            if failed and not limit
            else None,
            trajectory=steps,
        )


def _action_step(event: dict[str, Any]) -> atif.Step:
    action = event.get("action") if isinstance(event.get("action"), dict) else {}
    call_id = str(event.get("tool_call_id") or "")
    thought = event.get("thought")
    return atif.Step(
        step_id=1,
        source="agent",
        message=_text(thought),
        tool_calls=[
            atif.ToolCall(
                tool_call_id=call_id,
                function_name=str(event.get("tool_name") or ""),
                arguments={k: v for k, v in (action or {}).items() if k != "kind"},
            )
        ],
        observation=atif.Observation(),
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text(part) for part in content)
    if isinstance(content, dict):
        return _text(content.get("text") or content.get("content") or "")
    return ""
