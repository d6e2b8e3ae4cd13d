"""A scripted language model: an OpenAI-compatible endpoint that answers from a script.

It lets the real harness CLIs (mini-swe-agent, Aider, ...) run end to end without an LLM.
The CLI is the real one; only the model is a test double. It is deterministic:

* The turn and attempt come from the prompt (`enduro.agents.prompt`): the turn from the
  CHANGES.md heading `# Changes for turn <t>`, the attempt from the FEEDBACK.md heading
  `# Feedback on turn <t>, attempt <a>` (a retry is attempt a + 1; no feedback: attempt 1).
  An explicit `# Turn <t>, attempt <a>` line, if present, wins.
* The answer is that turn's solution: the ground-truth server of one generated scenario
  (`solutions_from_generator`), the files under `<solutions>/turn_<ttt>/` (the layout of
  the artifact store's `ground_truth/`), or whatever a `solver` callable returns. The
  prompt does not name the scenario, so one server answers for one scenario.
* Script `oracle` writes the solution; script `broken` writes it with a bug on the first
  attempt of every turn (`break_files`) and correctly on retries, so feedback and retries
  can be exercised.
* How it answers depends on the harness's protocol. Function calling with a shell tool
  (`bash` of mini-swe-agent and OpenCode, `run_shell_command` of Qwen Code, `Shell` of
  Kimi CLI, ...): first one shell call that writes every file; then, for a tool named
  `bash`, mini-swe-agent's completion command `echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT`
  (a harmless echo elsewhere); then a plain message, which ends any tool loop. Without
  tools (Aider, "whole" edit format): one message listing each file as its path followed
  by a fenced block.
* Every request is recorded (`/_scripted/requests`, and a JSON-lines file if asked), so a
  test can assert that, say, the FEEDBACK.md text reached the model on the retry.

Routes: `POST /v1/chat/completions` (JSON or SSE when `stream` is true), `GET /v1/models`,
the OpenAI Responses API `POST /v1/responses` (for Codex), the Anthropic Messages API
`POST /v1/messages` (JSON or SSE; for Claude Code, whose base URL is the server's root,
without `/v1`), and Bedrock's Converse and ConverseStream APIs
`POST /model/<id>/converse[-stream]` (`enduro.testing.bedrock`; boto3 with
`endpoint_url` set to the server's root).
Run it with `enduro scripted-model --port P --script oracle --benchmark FILE.yaml
--scenario N` (or `--solutions DIR`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from enduro.api.generator import GeneratorSpec

SCRIPTS = ("oracle", "broken")
COMPLETE_COMMAND = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"
SHELL_TOOLS = {
    "bash": "command",
    "Bash": "command",
    "run_shell_command": "command",
    "shell": "command",
    "Shell": "command",
    "execute_bash": "command",
    "terminal": "command",
    "exec_command": "cmd",
}
"""Shell tools of the harnesses -> the parameter that takes the command line."""
MODEL_ID = "scripted"
_EXPLICIT = re.compile(r"# Turn (\d+), attempt (\d+)")
_CHANGES = re.compile(r"# Changes for turn (\d+)")
_FEEDBACK = re.compile(r"# Feedback on turn (\d+), attempt (\d+)")
_EOF = "ENDURO_SCRIPTED_EOF"

Solver = Callable[[int], Mapping[str, str]]
"""turn -> {relative path: file content}."""


class ScriptError(ValueError):
    """The script cannot answer (no turn marker in the prompt, no solution for the turn)."""


def solutions_from_dir(root: Path) -> Solver:
    """A solver reading `<root>/turn_<ttt>/**` (the artifact store's `ground_truth/` layout)."""

    def solve(turn: int) -> dict[str, str]:
        folder = root / f"turn_{turn:03d}"
        if not folder.is_dir():
            raise ScriptError(f"no solution for turn {turn}: {folder} does not exist")
        return {
            path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        }

    return solve


def solutions_from_generator(generator: GeneratorSpec, scenario: int) -> Solver:
    """A solver rendering each turn's ground-truth server of one generated scenario."""

    def solve(turn: int) -> dict[str, str]:
        from enduro.scenarios.turnfiles import TurnFiles

        return TurnFiles(generator, scenario, turn).ground_truth()

    return solve


def solver_for(
    *, benchmark: Path | None = None, scenario: int = 0, solutions: Path | None = None
) -> Solver:
    """The solver the CLI options name: a Benchmark file's scenario, or a solutions folder."""
    if solutions is not None:
        return solutions_from_dir(solutions)
    if benchmark is None:
        raise ScriptError("name a Benchmark file or a solutions folder")
    return solutions_from_generator(benchmark_generator(benchmark), scenario)


def benchmark_generator(path: Path) -> GeneratorSpec:
    """The generator of the (first) Benchmark in a YAML file of Enduro objects."""
    import yaml

    from enduro.api.benchmark import BenchmarkSpec

    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if isinstance(document, dict) and document.get("kind") == "Benchmark":
            return BenchmarkSpec.model_validate(document.get("spec") or {}).require_generator()
    raise ScriptError(f"{path}: no `kind: Benchmark` document with a generator")


def break_files(files: Mapping[str, str]) -> dict[str, str]:
    """The same solution with one deliberate bug: creation answers 200 instead of 201.

    That fails the create tests of the suite but not its health check, so the attempt is
    scored low rather than zero. A solution with no `201` in its Python files gets a
    `run.sh` that exits at once instead (the server never starts).
    """
    broken = dict(files)
    for path, text in files.items():
        if path.endswith(".py") and "201" in text:
            broken[path] = text.replace("201", "200")
            return broken
    broken["run.sh"] = "#!/bin/sh\necho 'scripted bug: no server' >&2\nexit 1\n"
    return broken


@dataclass
class ScriptedModel:
    """The script and its record of requests. Thread-safe: Flask may serve concurrently."""

    solver: Solver
    script: str = "oracle"
    requests: list[dict[str, Any]] = field(default_factory=list)
    record_file: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.script not in SCRIPTS:
            raise ScriptError(f"unknown script {self.script!r}: choose one of {', '.join(SCRIPTS)}")

    def record(self, path: str, body: dict[str, Any], **extra: Any) -> None:
        entry = {"path": path, "body": body, **extra}
        with self._lock:
            self.requests.append(entry)
            if self.record_file is not None:
                with open(self.record_file, "a", encoding="utf-8") as out:
                    out.write(json.dumps(entry) + "\n")

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        """The assistant message for one chat-completions request.

        The conversation is read from its last user message carrying the turn marker:
        before any answer to it, the script writes the files; after, it finishes.
        """
        messages: list[dict[str, Any]] = body.get("messages") or []
        start, turn, attempt = _task_message(messages)
        answered = sum(1 for m in messages[start + 1 :] if m.get("role") == "assistant")
        if answered == 0:
            files = dict(self.solver(turn))
            if self.script == "broken" and attempt == 1:
                files = break_files(files)
        shell = _shell_tool(body)
        if shell is not None and (answered == 0 or (answered == 1 and shell == "bash")):
            command = shell_script(files) if answered == 0 else COMPLETE_COMMAND
            call = {
                "id": f"call_{answered + 1}",
                "type": "function",
                "function": {
                    "name": shell,
                    "arguments": json.dumps(tool_arguments(body, shell, command)),
                },
            }
            note = "Writing the server." if answered == 0 else "Done."
            return {"role": "assistant", "content": note, "tool_calls": [call]}
        if shell is not None:
            return {"role": "assistant", "content": "The server is complete."}
        if answered == 0:
            return {"role": "assistant", "content": whole_format(files)}
        return {"role": "assistant", "content": "The server is complete."}


def to_anthropic(message: dict[str, Any], model: str, usage: dict[str, int]) -> dict[str, Any]:
    """An OpenAI-shaped assistant message as an Anthropic Messages API response."""
    content: list[dict[str, Any]] = []
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        function = call["function"]
        content.append(
            {
                "type": "tool_use",
                "id": call["id"].replace("call_", "toolu_"),
                "name": function["name"],
                "input": json.loads(function["arguments"]),
            }
        )
    return {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if message.get("tool_calls") else "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage["prompt_tokens"],
            "output_tokens": usage["completion_tokens"],
        },
    }


def _anthropic_events(response: dict[str, Any]) -> Iterator[str]:
    """The Messages API's server-sent events for a complete response."""

    def event(kind: str, **data: Any) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

    usage = response["usage"]
    start = {**response, "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": usage["input_tokens"], "output_tokens": 0}
    yield event("message_start", message=start)
    for index, block in enumerate(response["content"]):
        if block["type"] == "text":
            yield event(
                "content_block_start", index=index, content_block={"type": "text", "text": ""}
            )
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            empty = {**block, "input": {}}
            yield event("content_block_start", index=index, content_block=empty)
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield event("content_block_delta", index=index, delta=delta)
        yield event("content_block_stop", index=index)
    stop = {"stop_reason": response["stop_reason"], "stop_sequence": None}
    yield event("message_delta", delta=stop, usage={"output_tokens": usage["output_tokens"]})
    yield event("message_stop")


def responses_to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """A Responses API request (`input` items) as a chat-completions request body."""
    messages: list[dict[str, Any]] = []
    items = body.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    for item in items or []:
        kind = item.get("type", "message")
        if kind == "message":
            role = "assistant" if item.get("role") == "assistant" else item.get("role")
            messages.append({"role": role, "content": item.get("content")})
        elif kind == "function_call":
            messages.append({"role": "assistant", "content": "", "tool_calls": [item]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "content": str(item.get("output", ""))})
    return {**body, "messages": messages}


def to_response_items(message: dict[str, Any]) -> list[dict[str, Any]]:
    """An OpenAI-shaped assistant message as Responses API output items."""
    items: list[dict[str, Any]] = []
    if message.get("content"):
        items.append(
            {
                "type": "message",
                "id": "msg_scripted",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": message["content"], "annotations": []}],
            }
        )
    for call in message.get("tool_calls") or []:
        items.append(
            {
                "type": "function_call",
                "id": call["id"].replace("call_", "fc_"),
                "call_id": call["id"],
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
                "status": "completed",
            }
        )
    return items


def _responses_events(items: list[dict[str, Any]], usage: dict[str, int]) -> Iterator[str]:
    """The Responses API's server-sent events for a complete response."""

    def event(kind: str, **data: Any) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

    response: dict[str, Any] = {
        "id": "resp_scripted",
        "object": "response",
        "status": "in_progress",
    }
    yield event("response.created", response=response)
    for index, item in enumerate(items):
        yield event("response.output_item.added", output_index=index, item=item)
        yield event("response.output_item.done", output_index=index, item=item)
    completed = {
        **response,
        "status": "completed",
        "output": items,
        "usage": {
            "input_tokens": usage["prompt_tokens"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage["completion_tokens"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage["total_tokens"],
        },
    }
    yield event("response.completed", response=completed)


def _task_message(messages: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Index, turn and attempt of the last user message that names its turn."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") != "user":
            continue
        found = turn_and_attempt(_content_text(message.get("content")))
        if found is not None:
            return index, *found
    raise ScriptError(
        "no '# Changes for turn <t>' (or '# Turn <t>, attempt <a>') line in any user message"
    )


def turn_and_attempt(text: str) -> tuple[int, int] | None:
    """The turn and attempt a prompt is for, or None when it does not say."""
    if explicit := _EXPLICIT.search(text):
        return int(explicit.group(1)), int(explicit.group(2))
    changes = _CHANGES.search(text)
    if changes is None:
        return None
    turn = int(changes.group(1))
    previous = [int(a) for t, a in _FEEDBACK.findall(text) if int(t) == turn]
    return turn, (max(previous) + 1 if previous else 1)


def shell_script(files: Mapping[str, str]) -> str:
    """One shell command that writes every file (quoted heredocs: no expansion at all)."""
    parts = []
    for path, text in files.items():
        if _EOF in text:
            raise ScriptError(f"{path} contains the heredoc delimiter {_EOF}")
        parent = Path(path).parent.as_posix()
        mkdir = f"mkdir -p '{parent}' && " if parent != "." else ""
        body = text if text.endswith("\n") else text + "\n"
        parts.append(f"{mkdir}cat > '{path}' <<'{_EOF}'\n{body}{_EOF}")
    return "\n".join(parts)


def whole_format(files: Mapping[str, str]) -> str:
    """Aider's "whole" edit format: each file's path, then its full content in a fence."""
    blocks = [f"{path}\n```\n{text.rstrip(chr(10))}\n```" for path, text in files.items()]
    return "Here is the complete server.\n\n" + "\n\n".join(blocks) + "\n"


def tool_arguments(body: dict[str, Any], tool: str, command: str) -> dict[str, Any]:
    """The command line under the tool's parameter name, plus a plain value for every other
    required parameter of `tool`.

    Some harnesses require more than the command (OpenHands: `security_risk`, an enum);
    the script fills them with the first allowed value, or an empty value of their type.
    """
    empty: dict[str, Any] = {"string": "", "boolean": False, "integer": 0, "number": 0}
    arguments: dict[str, Any] = {SHELL_TOOLS.get(tool, "command"): command}
    parameters = _tools(body).get(tool) or {}
    properties = parameters.get("properties") or {}
    for name in parameters.get("required") or []:
        if name in arguments:
            continue
        prop = properties.get(name) or {}
        choices = prop.get("enum")
        arguments[name] = choices[0] if choices else empty.get(str(prop.get("type")), "")
    return arguments


def _tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool name -> JSON schema of its parameters, in OpenAI's or Anthropic's shape."""
    tools: dict[str, dict[str, Any]] = {}
    for spec in body.get("tools") or []:
        if "function" in spec:  # OpenAI: {type: function, function: {name, parameters}}
            function = spec.get("function") or {}
            tools[str(function.get("name"))] = function.get("parameters") or {}
        elif "parameters" in spec:  # OpenAI Responses: {type: function, name, parameters}
            tools[str(spec.get("name"))] = spec.get("parameters") or {}
        else:  # Anthropic: {name, input_schema}
            tools[str(spec.get("name"))] = spec.get("input_schema") or {}
    return tools


def _shell_tool(body: dict[str, Any]) -> str | None:
    """The name of the request's shell tool (all take a `command` argument), if it has one."""
    names = _tools(body)
    return next((name for name in SHELL_TOOLS if name in names), None)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: about four characters per token."""
    return max(1, len(text) // 4)


def _usage(body: dict[str, Any], message: dict[str, Any]) -> dict[str, int]:
    prompt = _tokens(json.dumps(body.get("messages") or []))
    completion = _tokens(json.dumps(message))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def create_app(model: ScriptedModel, bedrock_models: tuple[str, ...] = ()) -> Flask:
    from enduro.testing.bedrock import add_bedrock_routes

    app = Flask("enduro-scripted-model")
    add_bedrock_routes(app, model, bedrock_models)

    @app.get("/v1/models")
    def models() -> Response:
        return jsonify({"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})

    @app.get("/_scripted/requests")
    def recorded() -> Response:
        return jsonify(model.requests)

    @app.post("/v1/chat/completions")
    def chat() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": {"message": "request body must be a JSON object"}}), 400
        model.record(request.path, body)
        try:
            message = model.reply(body)
        except ScriptError as exc:
            return jsonify({"error": {"message": str(exc), "type": "invalid_request_error"}}), 400
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        usage = _usage(body, message)
        name = str(body.get("model") or MODEL_ID)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = _stream_chunks(name, message, finish, usage if include_usage else None)
            return Response(chunks, mimetype="text/event-stream")
        return jsonify(
            {
                "id": f"chatcmpl-{len(model.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": name,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            }
        )

    @app.post("/v1/responses")
    def responses() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": {"message": "request body must be a JSON object"}}), 400
        model.record(request.path, body)
        chat = responses_to_chat(body)
        try:
            message = model.reply(chat)
        except ScriptError as exc:
            return jsonify({"error": {"message": str(exc), "type": "invalid_request_error"}}), 400
        items = to_response_items(message)
        usage = _usage(chat, message)
        if body.get("stream"):
            return Response(_responses_events(items, usage), mimetype="text/event-stream")
        return jsonify(
            {"id": "resp_scripted", "object": "response", "status": "completed", "output": items}
        )

    @app.post("/v1/messages")
    def messages() -> Response | tuple[Response, int]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            error = {"type": "invalid_request_error", "message": "body must be a JSON object"}
            return jsonify({"type": "error", "error": error}), 400
        model.record(request.path, body)
        try:
            message = model.reply(body)
        except ScriptError:
            # Claude Code also asks side questions (titles, topics) that carry no turn
            # marker; a short plain answer keeps it going.
            message = {"role": "assistant", "content": "OK"}
        name = str(body.get("model") or MODEL_ID)
        response = to_anthropic(message, name, _usage(body, message))
        if body.get("stream"):
            return Response(_anthropic_events(response), mimetype="text/event-stream")
        return jsonify(response)

    return app


def _stream_chunks(
    name: str, message: dict[str, Any], finish: str, usage: dict[str, int] | None
) -> Iterator[str]:
    def event(choices: list[dict[str, Any]], **extra: Any) -> str:
        data = {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": name,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(data)}\n\n"

    def chunk(delta: dict[str, Any], reason: str | None = None) -> str:
        return event([{"index": 0, "delta": delta, "finish_reason": reason}])

    yield chunk({"role": "assistant", "content": ""})
    if message.get("content"):
        yield chunk({"content": message["content"]})
    for index, call in enumerate(message.get("tool_calls") or []):
        yield chunk({"tool_calls": [{"index": index, **call}]})
    yield chunk({}, finish)
    if usage is not None:
        yield event([], usage=usage)
    yield "data: [DONE]\n\n"


class ScriptedModelServer:
    """The app served from a background thread, for tests: `with ScriptedModelServer(m) as s`."""

    def __init__(
        self,
        model: ScriptedModel,
        host: str = "127.0.0.1",
        port: int = 0,
        bedrock_models: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        app = create_app(model, bedrock_models)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The OpenAI-style base URL (`.../v1`)."""
        return f"http://{self._server.host}:{self._server.port}/v1"

    @property
    def root(self) -> str:
        """The server's root URL (Bedrock's `endpoint_url`, Anthropic's base URL)."""
        return f"http://{self._server.host}:{self._server.port}"

    def __enter__(self) -> ScriptedModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join()
