"""The runner's look at `GET /health`: plain HTTP to the server under test, and nowhere
else, whatever the server answers or the environment says."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from enduro.testrunner.server import wait_healthy
from loopback import threaded_server


@contextmanager
def server(answers: dict[str, tuple[int, dict[str, str]]]) -> Iterator[tuple[str, list[str]]]:
    """A server answering each path with (status, headers); its URL and the paths asked."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            asked.append(self.path)
            status, headers = answers.get(self.path, (404, {}))
            self.send_response(status)
            for name, value in {**headers, "Content-Length": "0"}.items():
                self.send_header(name, value)
            self.end_headers()

    with threaded_server(Handler) as url:
        yield url, asked


def test_a_healthy_server_is_seen_at_once() -> None:
    with server({"/health": (200, {})}) as (url, asked):
        health = wait_healthy(url, 5)
    assert health.ok and health.reason == "" and asked == ["/health"]


def test_a_redirect_on_the_same_server_is_followed() -> None:
    with server({"/health": (302, {"Location": "/health/"}), "/health/": (200, {})}) as (url, _):
        assert wait_healthy(url, 5).ok


def test_a_redirect_to_another_address_is_not_followed() -> None:
    """The server under test cannot make the trusted runner fetch elsewhere (on a cluster,
    anything the runner's pod can reach)."""
    with server({"/secret": (200, {})}) as (elsewhere, fetched):
        answers = {"/health": (302, {"Location": f"{elsewhere}/secret"})}
        with server(answers) as (url, _):
            health = wait_healthy(url, 0.3)
    assert not health.ok and "(last: status 302)" in health.reason
    assert fetched == []


def test_a_proxy_in_the_environment_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with server({}) as (proxy, proxied):
        for name in ("http_proxy", "HTTP_PROXY"):
            monkeypatch.setenv(name, proxy)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        with server({"/health": (200, {})}) as (url, asked):
            assert wait_healthy(url, 5).ok
    assert proxied == [] and asked == ["/health"]


def test_a_server_that_never_answers_200_is_reported_with_its_last_status() -> None:
    with server({"/health": (503, {})}) as (url, asked):
        health = wait_healthy(url, 0.3)
    assert not health.ok and "(last: status 503)" in health.reason
    assert len(asked) >= 3  # looked again and again until the deadline
