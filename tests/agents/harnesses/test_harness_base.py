"""The verdict shared by every adapter: agent vs infrastructure failure, and pre-flight checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from enduro.agents.harnesses import UnknownHarnessError, get_harness
from enduro.agents.harnesses.base import (
    HarnessConfig,
    HarnessReport,
    ModelEndpoint,
    ProcessResult,
    classify,
    config_from_spec,
    litellm_model,
)
from enduro.api.agent import AgentSpec
from enduro.engine.results import FailureClass


def _result(code: int | None = 0, out: str = "", err: str = "", **kw: object) -> ProcessResult:
    return ProcessResult(exit_code=code, stdout=out, stderr=err, seconds=12.0, **kw)  # type: ignore[arg-type]


@dataclass
class Witness:
    """What the step finds when it looks at the endpoint itself; counts its looks."""

    reached: bool | None = True
    rejected: bool | None = False
    looks: int = 0

    def reachable(self) -> bool | None:
        self.looks += 1
        return self.reached

    def rejects_key(self) -> bool | None:
        return self.rejected


UNREACHABLE = Witness(reached=False)


def test_clean_exit_is_no_failure_and_names_the_harness_status() -> None:
    assert classify(_result(0), HarnessReport(exit_status="Submitted"), Witness()) == (
        FailureClass.NONE,
        "completed: Submitted",
    )


def test_non_zero_exit_is_the_agents_failure_with_the_last_error_line() -> None:
    failure, reason = classify(
        _result(2, err="starting\nValueError: bad patch\n"), HarnessReport(), Witness()
    )
    assert failure is FailureClass.AGENT
    assert reason == "exited with code 2: ValueError: bad patch"


def test_timeout_is_the_agents_failure() -> None:
    failure, reason = classify(_result(None, timed_out=True), HarnessReport(), Witness())
    assert (failure, reason) == (FailureClass.AGENT, "timeout: the harness was stopped after 12s")


def test_step_limit_is_the_agents_failure_even_with_exit_zero() -> None:
    report = HarnessReport(steps=5, exit_status="LimitsExceeded", limit_reached=True)
    assert classify(_result(0), report, Witness()) == (
        FailureClass.AGENT,
        "limit reached: LimitsExceeded",
    )


@pytest.mark.parametrize(
    "output",
    [
        "litellm.APIConnectionError: Connection refused",
        "Error: connect ECONNREFUSED 127.0.0.1:9",
        "httpx.ConnectError: [Errno -2] Name or service not known",
    ],
)
def test_an_unreachable_endpoint_the_step_confirms_is_infrastructure(output: str) -> None:
    failure, reason = classify(_result(1, err=output), HarnessReport(steps=0), UNREACHABLE)
    assert failure is FailureClass.INFRASTRUCTURE
    assert reason == f"cannot reach the model endpoint: {output}"


@pytest.mark.parametrize("reached", [True, None])
def test_an_unreachable_endpoint_the_step_reaches_or_cannot_check_is_the_agents_word_only(
    reached: bool | None,
) -> None:
    """A CLI is the agent: saying the endpoint is down must not buy a free retry."""
    output = "openai.APIConnectionError: Connection refused"
    witness = Witness(reached=reached)
    failure, reason = classify(_result(1, err=output), HarnessReport(steps=0), witness)
    assert failure is FailureClass.AGENT and witness.looks == 1
    check = "this step reaches it" if reached else "this step cannot confirm it"
    assert reason == f"the harness said it cannot reach the model endpoint, but {check}: {output}"


def test_rejected_credentials_the_endpoint_confirms_are_infrastructure() -> None:
    output = "litellm.AuthenticationError: AuthenticationError: OpenAIException - bad key"
    failure, reason = classify(
        _result(1, out=output), HarnessReport(steps=1), Witness(rejected=True)
    )
    assert failure is FailureClass.INFRASTRUCTURE
    assert reason == f"the model endpoint rejected the credentials: {output}"
    failure, _ = classify(_result(1, out=output), HarnessReport(steps=1), UNREACHABLE)
    assert failure is FailureClass.INFRASTRUCTURE


@pytest.mark.parametrize("rejected", [False, None])
def test_rejected_credentials_the_endpoint_accepts_or_cannot_check_are_the_agents_failure(
    rejected: bool | None,
) -> None:
    output = "Error: status code 401"
    witness = Witness(rejected=rejected)
    failure, reason = classify(_result(1, err=output), HarnessReport(steps=3), witness)
    assert failure is FailureClass.AGENT
    assert reason == (
        "the harness said the model endpoint rejected its key, but this step cannot confirm "
        f"it: {output}"
    )


def test_the_endpoint_is_looked_at_only_when_the_cli_blames_it() -> None:
    witness = Witness()
    classify(_result(2, err="ValueError: bad patch"), HarnessReport(), witness)
    classify(_result(0), HarnessReport(), witness)
    assert witness.looks == 0


def test_error_reported_with_exit_zero_is_the_agents_failure() -> None:
    failure, reason = classify(
        _result(0), HarnessReport(error="litellm.BadRequestError: no"), Witness()
    )
    assert (failure, reason) == (
        FailureClass.AGENT,
        "the harness reported an error: litellm.BadRequestError: no",
    )


def test_long_reasons_are_cut_to_their_tail() -> None:
    _, reason = classify(_result(1, err="x" * 5000), HarnessReport(), Witness())
    assert len(reason) < 400


def _config(provider: str = "openai", base_url: str | None = None) -> HarnessConfig:
    return HarnessConfig(
        harness="mini-swe-agent",
        model=ModelEndpoint(provider, "gpt", base_url),
        secret_env=("OPENAI_API_KEY",),
    )


def test_check_names_the_missing_credential_and_where_to_set_it() -> None:
    problem = get_harness("mini-swe-agent").check(_config(), env={})
    assert problem == (
        "missing credentials for mini-swe-agent with provider 'openai': "
        "set OPENAI_API_KEY through secretEnv (a Secret reference)"
    )
    assert get_harness("mini-swe-agent").check(_config(), {"OPENAI_API_KEY": "k"}) is None


def test_check_rejects_unsupported_provider_and_missing_base_url() -> None:
    harness = get_harness("mini-swe-agent")
    assert "not supported" in (harness.check(_config("none"), {}) or "")
    env = {"OPENAI_API_KEY": "k"}
    assert "model.baseUrl is required" in (harness.check(_config("scripted"), env) or "")


def test_unknown_harness_lists_the_known_ones() -> None:
    with pytest.raises(UnknownHarnessError, match=r"unknown harness 'nope'.*mini-swe-agent"):
        get_harness("nope")


def test_config_from_spec_keeps_secret_names_not_values() -> None:
    spec = AgentSpec.model_validate(
        {
            "harness": "aider",
            "model": {"provider": "openai-compatible", "name": "m", "baseUrl": "http://x/v1"},
            "env": [{"name": "TZ", "value": "UTC"}],
            "secretEnv": [{"name": "OPENAI_API_KEY", "secretKeyRef": {"name": "s", "key": "k"}}],
            "args": ["--edit-format", "whole"],
            "limits": {"steps": 30, "costUsd": 2.5, "processes": 64, "workspaceMib": 512},
            "resources": {"limits": {"memory": "2Gi"}},
        }
    )
    config = config_from_spec(spec)
    assert config == HarnessConfig(
        harness="aider",
        model=ModelEndpoint("openai-compatible", "m", "http://x/v1"),
        env={"TZ": "UTC"},
        secret_env=("OPENAI_API_KEY",),
        args=("--edit-format", "whole"),
        max_steps=30,
        max_cost_usd=2.5,
        max_processes=64,
        memory_limit="2Gi",
        workspace_mib=512,
    )


@pytest.mark.parametrize(
    ("prefix", "model", "expected"),
    [
        ("bedrock", ModelEndpoint("bedrock", "scripted", "http://gw"), "bedrock/converse/scripted"),
        (
            "bedrock",
            ModelEndpoint("bedrock", "anthropic.claude-v1:0"),
            "bedrock/anthropic.claude-v1:0",
        ),
        ("bedrock", ModelEndpoint("bedrock", "invoke/x", "http://gw"), "bedrock/invoke/x"),
        ("openai", ModelEndpoint("scripted", "scripted", "http://gw/v1"), "openai/scripted"),
    ],
)
def test_litellm_model_pins_converse_for_bedrock_behind_a_custom_endpoint(
    prefix: str, model: ModelEndpoint, expected: str
) -> None:
    assert litellm_model(prefix, model) == expected
