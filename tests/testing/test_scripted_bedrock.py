"""The scripted model's Bedrock Converse and ConverseStream APIs, through real boto3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from enduro.testing.bedrock import SAMPLER_TOOL
from enduro.testing.scripted_model import ScriptedModel, ScriptedModelServer

FILES = {"app.py": "print('turn')\n", "run.sh": "exec python app.py\n"}
BASH = {
    "toolSpec": {
        "name": "bash",
        "inputSchema": {"json": {"type": "object", "properties": {"command": {"type": "string"}}}},
    }
}
SAMPLER = {"toolSpec": {"name": SAMPLER_TOOL, "inputSchema": {"json": {"type": "object"}}}}
TASK = [{"role": "user", "content": [{"text": "# Changes for turn 2\nChange the API."}]}]


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    model = ScriptedModel(solver=lambda turn: FILES)
    with ScriptedModelServer(model, bedrock_models=("anthropic.claude-test-v1:0",)) as s:
        yield s


def client(server: ScriptedModelServer, **keys: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.root,
        region_name="us-east-1",
        aws_access_key_id=keys.get("key", "AKIATEST"),
        aws_secret_access_key="secret",
    )


def test_converse_answers_a_harness_with_the_turns_solution(server: ScriptedModelServer) -> None:
    answer = client(server).converse(
        modelId="anthropic.claude-test-v1:0", messages=TASK, toolConfig={"tools": [BASH]}
    )
    assert answer["stopReason"] == "tool_use"
    [_note, call] = answer["output"]["message"]["content"]
    assert call["toolUse"]["name"] == "bash"
    assert "app.py" in call["toolUse"]["input"]["command"]
    assert answer["usage"]["totalTokens"] > 0
    [recorded] = server.model.requests
    assert recorded["path"] == "/model/anthropic.claude-test-v1:0/converse"
    signature = recorded["signature"]
    assert (signature["algorithm"], signature["region"], signature["service"]) == (
        "AWS4-HMAC-SHA256",
        "us-east-1",
        "bedrock",
    )
    assert len(signature["date"]) == 8  # the scope's yyyymmdd; no key id, no signature
    assert "AKIATEST" not in str(recorded)


def test_converse_stream_is_a_real_event_stream(server: ScriptedModelServer) -> None:
    answer = client(server).converse_stream(
        modelId="scripted", messages=TASK, toolConfig={"tools": [BASH]}
    )
    events = list(answer["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    assert any("app.py" in d.get("toolUse", {}).get("input", "") for d in deltas)
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0


def test_an_unknown_model_id_is_refused_as_bedrock_does(server: ScriptedModelServer) -> None:
    with pytest.raises(ClientError) as info:
        client(server).converse(modelId="anthropic.does-not-exist", messages=TASK)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "model identifier is invalid" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("scripted.echo", {"kind": "add_field", "field": {"name": "x", "type": "string"}}),
        ("scripted.bad-type", {"kind": "add_field", "field": {"name": "x", "type": "uuid4"}}),
    ],
)
def test_the_sampler_scripts_call_the_tool(
    server: ScriptedModelServer, model_id: str, expected: dict[str, Any]
) -> None:
    prompt = (
        'Example:\n```json\n{"kind": "add_field", "field": {"name": "x", "type": "string"}}\n```'
    )
    answer = client(server).converse(
        modelId=model_id,
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        toolConfig={"tools": [SAMPLER]},
    )
    [block] = answer["output"]["message"]["content"]
    assert block["toolUse"]["input"] == expected


def test_the_invalid_json_script_answers_prose(server: ScriptedModelServer) -> None:
    answer = client(server).converse(
        modelId="scripted.invalid-json", messages=TASK, toolConfig={"tools": [SAMPLER]}
    )
    [block] = answer["output"]["message"]["content"]
    assert "text" in block and answer["stopReason"] == "end_turn"
