"""The runner's look at `GET /health`: plain HTTP to the server under test, and nowhere
else, whatever the server answers or the environment says."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from enduro.testrunner import server as server_module
from enduro.testrunner.server import Health, free_port, wait_healthy
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


def test_a_server_still_starting_is_asked_once_it_listens_not_before() -> None:
    """Until something listens, the runner only tries to connect (microseconds a try, so
    it tries often and sees a fresh server within milliseconds); GET /health comes once
    the port accepts."""
    port = free_port()
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            requests.append(self.path)
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
    assert requests == ["/health"]


def test_a_server_answering_a_byte_at_a_time_cannot_hold_the_runner_past_its_deadline() -> None:
    """Each byte comes well inside a socket timeout, and the answer never ends: only a
    deadline on the whole answer ends the wait (else the step hangs and the agent's own
    failure is blamed on the infrastructure)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                line = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 60000
                for byte in line:
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.05)

    threading.Thread(target=trickle, daemon=True).start()
    results: list[Health] = []
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    waiting = threading.Thread(target=lambda: results.append(wait_healthy(url, 1.0)))
    started = time.monotonic()
    waiting.start()
    waiting.join(30)
    stop.set()
    listener.close()
    assert results, "still waiting on a server that never finishes its answer"
    assert not results[0].ok and "did not answer 200 within 1s" in results[0].reason
    assert time.monotonic() - started < 1.0 + 2 * server_module.PROBE_SECONDS + 1


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
