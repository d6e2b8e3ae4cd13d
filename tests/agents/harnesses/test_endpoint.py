"""The step's own look at the model endpoint, against a real server on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from enduro.agents.harnesses.base import ModelEndpoint
from enduro.agents.harnesses.endpoint import EndpointProbe, endpoint_url

GOOD_KEY = "sk-good"


class ModelList(http.server.BaseHTTPRequestHandler):
    """An OpenAI- and Anthropic-style model list: 401 without the good key."""

    seen: list[str] = []

    def do_GET(self) -> None:
        key = self.headers.get("x-api-key") or self.headers.get("Authorization", "")
        ModelList.seen.append(self.path)
        status = 200 if key.removeprefix("Bearer ") == GOOD_KEY else 401
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ModelList)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("provider", ["openai-compatible", "anthropic", "scripted"])
def test_the_endpoint_answers_and_tells_a_rejected_key_from_a_good_one(
    endpoint: str, provider: str
) -> None:
    model = ModelEndpoint(provider, "m", endpoint + "/")
    assert EndpointProbe(model, {}, GOOD_KEY).reachable() is True
    assert EndpointProbe(model, {}, GOOD_KEY).rejects_key() is False
    assert EndpointProbe(model, {}, "sk-revoked").rejects_key() is True
    assert ModelList.seen[-1] == "/v1/models"


def test_an_endpoint_that_does_not_answer_is_unreachable_and_the_key_untold() -> None:
    model = ModelEndpoint("openai-compatible", "m", f"http://127.0.0.1:{closed_port()}/v1")
    probe = EndpointProbe(model, {}, GOOD_KEY)
    assert probe.reachable() is False
    assert probe.rejects_key() is None


def test_a_bedrock_key_cannot_be_judged_by_an_unsigned_request(endpoint: str) -> None:
    probe = EndpointProbe(ModelEndpoint("bedrock", "m", endpoint), {}, "AKIA-revoked")
    assert probe.reachable() is True
    assert probe.rejects_key() is None


def test_where_each_provider_is_asked() -> None:
    assert endpoint_url(ModelEndpoint("openai", "m"), {}) == "https://api.openai.com/v1"
    assert endpoint_url(ModelEndpoint("anthropic", "m"), {}) == "https://api.anthropic.com/v1"
    bedrock = ModelEndpoint("bedrock", "m")
    assert endpoint_url(bedrock, {"AWS_REGION": "eu-west-1"}) == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com"
    )
    assert endpoint_url(bedrock, {}) is None
    assert EndpointProbe(ModelEndpoint("none", "m"), {}, None).reachable() is None
