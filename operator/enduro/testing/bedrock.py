"""The Bedrock Runtime Converse and ConverseStream APIs of the scripted model.

Real boto3 clients (``bedrock-runtime`` with ``endpoint_url``) talk to it: requests are
SigV4-signed (a request without a signature is refused as Bedrock refuses it) and
streams are AWS event streams (``application/vnd.amazon.eventstream``), so the
client's own parser, retries and error classes are exercised.

What it answers depends on the request:

* a request offering the sampler's tool (``enduro.scenarios.bedrock_sampler.TOOL``)
  gets an answer chosen by the model id (``SAMPLER_MODELS``): ``scripted.echo`` calls
  the tool with the example change in the prompt; ``scripted.invalid-json`` answers
  text that is not JSON; ``scripted.bad-type`` calls it with a field type that does not
  exist; ``scripted.flaky`` is invalid on the first request for a change and echoes on
  the retry;
* any other request is a harness's: the turn's solution, as for the OpenAI and
  Anthropic routes (``ScriptedModel.reply``).

Each request is recorded with its SigV4 scope (``signature``: algorithm, date, region,
service; not the key id or the signature). Model ids other than ``scripted``,
``SAMPLER_MODELS`` and the server's extra ids are answered as Bedrock answers an unknown
model: HTTP 400, ``ValidationException``.
"""

from __future__ import annotations

import binascii
import json
import re
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

if TYPE_CHECKING:
    from enduro.testing.scripted_model import ScriptedModel

SAMPLER_TOOL = "enduro_change"
SAMPLER_MODELS = ("scripted.echo", "scripted.invalid-json", "scripted.bad-type", "scripted.flaky")
BASE_MODELS = ("scripted", *SAMPLER_MODELS)
_EXAMPLE = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


def _error(kind: str, message: str, status: int) -> tuple[Response, int]:
    answer = jsonify({"message": message})
    answer.headers["x-amzn-ErrorType"] = f"{kind}:http://internal.amazon.com/coral/"
    return answer, status


def signature_scope(authorization: str) -> dict[str, str]:
    """What a SigV4 ``Authorization`` header says besides the secret parts: the algorithm
    and the credential scope's date, region and service (the key id and signature are left
    out of the record)."""
    algorithm, _, rest = authorization.partition(" ")
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    scope = fields.get("Credential", "").split("/")
    date, region, service = [*scope, "", "", ""][1:4]
    return {"algorithm": algorithm, "date": date, "region": region, "service": service}


def converse_to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """A Converse request as a chat request for ``ScriptedModel.reply`` (text only, tools
    in Anthropic's shape)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "\n".join(str(s.get("text", "")) for s in system)}
        for system in [body.get("system") or []]
        if system
    ]
    for message in body.get("messages") or []:
        texts = []
        for block in message.get("content") or []:
            if "text" in block:
                texts.append(str(block["text"]))
            elif "toolResult" in block:
                texts += [str(c.get("text", "")) for c in block["toolResult"].get("content", [])]
        messages.append({"role": message.get("role", "user"), "content": "\n".join(texts)})
    tools = [
        {
            "name": spec["toolSpec"]["name"],
            "input_schema": spec["toolSpec"].get("inputSchema", {}).get("json", {}),
        }
        for spec in (body.get("toolConfig") or {}).get("tools", [])
        if "toolSpec" in spec
    ]
    return {"messages": messages, "tools": tools}


def chat_to_content(message: dict[str, Any]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    if message.get("content"):
        content.append({"text": message["content"]})
    for call in message.get("tool_calls") or []:
        function = call["function"]
        content.append(
            {
                "toolUse": {
                    "toolUseId": call["id"].replace("call_", "tooluse_"),
                    "name": function["name"],
                    "input": json.loads(function["arguments"]),
                }
            }
        )
    return content


def sampler_answer(model_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The sampler script: what ``model_id`` answers to a request for one change."""
    messages = body.get("messages") or []
    first: dict[str, Any] = next((m for m in messages if m.get("role") == "user"), {})
    prompt = "\n".join(str(b.get("text", "")) for b in first.get("content") or [] if "text" in b)
    found = _EXAMPLE.findall(prompt)
    example = json.loads(found[-1]) if found else {}
    retry = sum(1 for m in messages if m.get("role") == "assistant") > 0
    mode = model_id.removeprefix("scripted.")
    if mode == "flaky":
        mode = "echo" if retry else "invalid-json"
    if mode == "invalid-json":
        return [{"text": "Sure! Here is a change: {kind: add_field, entity: ..."}]
    if mode == "bad-type":
        example = _invent_type(example)
    call = {"toolUseId": f"tooluse_{len(messages)}", "name": SAMPLER_TOOL, "input": example}
    return [{"toolUse": call}]


def _invent_type(value: Any) -> Any:
    """The same change with every field ``type`` replaced by one the IR does not know."""
    if isinstance(value, dict):
        return {k: ("uuid4" if k == "type" else _invent_type(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_invent_type(v) for v in value]
    return value


def _usage(body: dict[str, Any], content: list[dict[str, Any]]) -> dict[str, int]:
    prompt = max(1, len(json.dumps(body.get("messages") or [])) // 4)
    answer = max(1, len(json.dumps(content)) // 4)
    return {"inputTokens": prompt, "outputTokens": answer, "totalTokens": prompt + answer}


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One AWS event-stream message (prelude, string headers, JSON payload, CRCs)."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ):
        raw = value.encode()
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", binascii.crc32(message))


def stream_events(
    content: list[dict[str, Any]], stop: str, usage: dict[str, int]
) -> Iterator[bytes]:
    yield event_message("messageStart", {"role": "assistant"})
    for index, block in enumerate(content):
        if "toolUse" in block:
            use = block["toolUse"]
            start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            yield event_message("contentBlockStart", {"start": start, "contentBlockIndex": index})
            delta = {"toolUse": {"input": json.dumps(use["input"])}}
        else:
            delta = {"text": block["text"]}
        yield event_message("contentBlockDelta", {"delta": delta, "contentBlockIndex": index})
        yield event_message("contentBlockStop", {"contentBlockIndex": index})
    yield event_message("messageStop", {"stopReason": stop})
    yield event_message("metadata", {"usage": usage, "metrics": {"latencyMs": 1}})


class BedrockError(Exception):
    """An error answered as Bedrock answers it: status, ``x-amzn-ErrorType``, message."""

    def __init__(self, kind: str, message: str, status: int) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


def add_bedrock_routes(app: Flask, model: ScriptedModel, extra_models: tuple[str, ...]) -> None:
    known = set(BASE_MODELS) | set(extra_models)

    def answer(model_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not request.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            raise BedrockError("UnrecognizedClientException", "Missing Authentication Token", 403)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BedrockError("ValidationException", "The request body must be JSON.", 400)
        model.record(
            request.path, body, signature=signature_scope(request.headers["Authorization"])
        )
        if model_id not in known:
            raise BedrockError(
                "ValidationException", "The provided model identifier is invalid.", 400
            )
        tools = {
            t["toolSpec"]["name"]
            for t in (body.get("toolConfig") or {}).get("tools", [])
            if "toolSpec" in t
        }
        if SAMPLER_TOOL in tools:
            return body, sampler_answer(model_id, body)
        from enduro.testing.scripted_model import ScriptError

        try:
            return body, chat_to_content(model.reply(converse_to_chat(body)))
        except ScriptError as exc:
            raise BedrockError("ValidationException", str(exc), 400) from None

    @app.errorhandler(BedrockError)
    def refused(exc: BedrockError) -> tuple[Response, int]:
        return _error(exc.kind, exc.message, exc.status)

    @app.post("/model/<path:model_id>/converse")
    def converse(model_id: str) -> Response:
        body, content = answer(model_id)
        stop = "tool_use" if any("toolUse" in b for b in content) else "end_turn"
        return jsonify(
            {
                "output": {"message": {"role": "assistant", "content": content}},
                "stopReason": stop,
                "usage": _usage(body, content),
                "metrics": {"latencyMs": 1},
            }
        )

    @app.post("/model/<path:model_id>/converse-stream")
    def converse_stream(model_id: str) -> Response:
        body, content = answer(model_id)
        stop = "tool_use" if any("toolUse" in b for b in content) else "end_turn"
        events = stream_events(content, stop, _usage(body, content))
        return Response(events, mimetype="application/vnd.amazon.eventstream")
