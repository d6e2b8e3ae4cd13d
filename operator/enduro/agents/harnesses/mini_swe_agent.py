"""mini-swe-agent (PyPI `mini-swe-agent`), written against version 2.4.6.

Command: `mini --yolo --exit-immediately -c mini.yaml -c <scratch>/enduro.yaml
-m <litellm model> -o <scratch>/trajectory.json`. The task (our prompt), the step and cost
limits, the endpoint (`model.model_kwargs.api_base`) and the working directory travel in
the second config file, so a long prompt never hits the argv size limit. The agent acts
only through its `bash` tool (function calling) and ends by running
`echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT`.

Models go through LiteLLM: provider `openai` -> `openai/<name>` (`OPENAI_API_KEY`),
`openai-compatible` and `scripted` -> `openai/<name>` with `baseUrl` (`OPENAI_API_KEY`,
any value the endpoint accepts), `anthropic` -> `anthropic/<name>` (`ANTHROPIC_API_KEY`),
`bedrock` -> `bedrock/<name>` (`AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` + `AWS_REGION`,
or `AWS_BEARER_TOKEN_BEDROCK`); with a `baseUrl` (a gateway, the scripted model) the
endpoint goes in `model.model_kwargs.aws_bedrock_runtime_endpoint` and the model is
pinned to the Converse API, `bedrock/converse/<name>` (`base.litellm_model`).

Output: the trajectory file (`trajectory_format: mini-swe-agent-1.1`): `messages` with the
raw model responses (usage per call) and `info.exit_status` (`Submitted`,
`LimitsExceeded`, `TimeExceeded`, `RepeatedFormatError`, or an exception name) and
`info.model_stats` (`api_calls`, `instance_cost`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import yaml

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

TRAJECTORY = "trajectory.json"
LIMIT_STATUSES = frozenset({"LimitsExceeded", "TimeExceeded"})
_LITELLM_PREFIX = {
    "openai": "openai",
    "openai-compatible": "openai",
    "scripted": "openai",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
}


class MiniSweAgent(Harness):
    name = "mini-swe-agent"
    # litellm 1.106 imports `mcp` whenever tools are passed but does not depend on it.
    package = CliPackage(
        "pypi", "mini-swe-agent", "2.4.6", "mini", constraints=("litellm==1.106.2", "mcp==2.3.0")
    )
    credentials: ClassVar[dict[str, tuple[str, ...]]] = {
        "openai": ("OPENAI_API_KEY",),
        "openai-compatible": ("OPENAI_API_KEY",),
        "scripted": ("OPENAI_API_KEY",),
        "anthropic": ("ANTHROPIC_API_KEY",),
        "bedrock": ("AWS_ACCESS_KEY_ID", "AWS_BEARER_TOKEN_BEDROCK"),
    }
    needs_base_url = frozenset({"openai-compatible", "scripted"})

    def build_command(
        self, config: HarnessConfig, workspace: Path, prompt: str, scratch: Path
    ) -> Command:
        bedrock = config.model.provider == "bedrock"
        overlay: dict[str, Any] = {
            "run": {"task": prompt},
            "agent": {
                "step_limit": config.max_steps or 0,
                "cost_limit": config.max_cost_usd or 0.0,
            },
            "environment": {"cwd": str(workspace)},
            "model": {"cost_tracking": "ignore_errors"},
        }
        if config.model.base_url:
            # LiteLLM's Bedrock provider takes its endpoint as `aws_bedrock_runtime_endpoint`.
            key = "aws_bedrock_runtime_endpoint" if bedrock else "api_base"
            overlay["model"]["model_kwargs"] = {key: config.model.base_url}
        overlay_path = scratch / "enduro.yaml"
        model = litellm_model(_LITELLM_PREFIX[config.model.provider], config.model)
        argv = (
            self.package.executable, "--yolo", "--exit-immediately",
            "-c", "mini.yaml", "-c", str(overlay_path),
            "-m", model, "-o", str(scratch / TRAJECTORY), *config.args,
        )  # fmt: skip
        return Command(
            argv=argv,
            cwd=workspace,
            env={
                "MSWEA_CONFIGURED": "true",  # skip the first-run set-up wizard
                "MSWEA_SILENT_STARTUP": "1",
                "MSWEA_GLOBAL_CONFIG_DIR": str(scratch / "mswea-config"),
                "MSWEA_COST_TRACKING": "ignore_errors",
                "MSWEA_MODEL_RETRY_STOP_AFTER_ATTEMPT": "3",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no network fetch at start-up
            },
            native_logs=(scratch / TRAJECTORY,),
            files={overlay_path: yaml.safe_dump(overlay, sort_keys=False)},
        )

    def parse_output(self, result: ProcessResult) -> HarnessReport:
        raw = result.native.get(TRAJECTORY)
        if raw is None:
            return HarnessReport()
        data = json.loads(raw)
        info = data.get("info", {})
        stats = info.get("model_stats", {})
        steps: list[atif.Step] = []
        tokens_in = tokens_out = 0
        pending: atif.Step | None = None
        for message in data.get("messages", []):
            role = message.get("role")
            content = _text(message.get("content"))
            if role == "assistant":
                usage = message.get("extra", {}).get("response", {}).get("usage") or {}
                tokens_in += int(usage.get("prompt_tokens") or 0)
                tokens_out += int(usage.get("completion_tokens") or 0)
                pending = atif.Step(
                    step_id=1,
                    source="agent",
                    message=content,
                    tool_calls=[_tool_call(call) for call in message.get("tool_calls") or []]
                    or None,
                    observation=atif.Observation(),
                    metrics=atif.Metrics(
                        prompt_tokens=usage.get("prompt_tokens"),
                        completion_tokens=usage.get("completion_tokens"),
                        cost_usd=message.get("extra", {}).get("cost"),
                    ),
                )
                steps.append(pending)
            elif role == "tool" and pending is not None and pending.observation is not None:
                call_id = message.get("tool_call_id")
                result_ = atif.ObservationResult(source_call_id=call_id, content=content)
                pending.observation.results.append(result_)
            elif role in ("system", "user"):
                pending = None
                steps.append(atif.Step(step_id=1, source=role, message=content))
        exit_status = info.get("exit_status") or None
        return HarnessReport(
            steps=int(stats.get("api_calls") or 0),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=float(stats.get("instance_cost") or 0.0),
            exit_status=exit_status,
            limit_reached=exit_status in LIMIT_STATUSES,
            version=info.get("mini_version"),
            trajectory=steps,
        )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal content blocks
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _tool_call(call: dict[str, Any]) -> atif.ToolCall:
    function = call.get("function", {})
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except json.JSONDecodeError:
        arguments = {"raw": function.get("arguments")}
    return atif.ToolCall(
        tool_call_id=str(call.get("id", "")),
        function_name=str(function.get("name", "")),
        arguments=arguments if isinstance(arguments, dict) else {"value": arguments},
    )
