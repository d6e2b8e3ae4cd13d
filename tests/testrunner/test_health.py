"""The runner's look at `GET /health`: plain HTTP to the server under test, and nowhere
else, whatever the server answers or the environment says."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from enduro.testrunner import server as server_module
from enduro.testrunner.server import free_port, wait_healthy
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


def test_a_server_still_starting_is_asked_once_it_listens_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Until something listens, the runner only tries to connect (microseconds a try, so
    it tries often and sees a fresh server within milliseconds); GET /health comes once
    the port accepts."""
    port = free_port()
    requests: list[str] = []
    opener = server_module._opener()

    class Counting:
        def open(self, url: str, timeout: float) -> Any:
            requests.append(url)
            return opener.open(url, timeout=timeout)

    monkeypatch.setattr(server_module, "_opener", Counting)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    servers: list[http.server.ThreadingHTTPServer] = []

    def start_late() -> None:
        threading.Event().wait(0.3)  # the server's imports
        servers.append(http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler))
        servers[0].serve_forever()

    threading.Thread(target=start_late, daemon=True).start()
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}", 10)
    finally:
        for started in servers:
            started.shutdown()
            started.server_close()

    assert health.ok
    assert requests == [f"http://127.0.0.1:{port}/health"]


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
