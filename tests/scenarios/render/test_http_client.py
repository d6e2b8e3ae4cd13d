"""The suites' HTTP client against real servers on loopback: what it sends, how it keeps
and renews connections, redirects, content codings, and every way a request can fail."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.generator import generate_scenario
from enduro.scenarios.render import http_client
from enduro.scenarios.render.http_client import ClientError, Session, method_after_redirect
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.render.suite_support import CONFTEST_HEAD
from loopback import threaded_server

Answer = Callable[[BaseHTTPRequestHandler, bytes], None]
Seen = dict[str, Any]


@contextmanager
def serving(
    answer: Answer, protocol: str = "HTTP/1.1"
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A threaded server calling ``answer(handler, body)`` for every request; yields its
    URL and the requests it saw (method, path, headers, body, client port)."""
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = protocol

        def log_message(self, format: str, *args: object) -> None:
            return

        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                    "port": self.client_address[1],
                }
            )
            answer(self, body)
            self.wfile.flush()

    with threaded_server(Handler) as url:
        yield url, seen


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def echo(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    send(
        handler,
        200,
        json.dumps({"path": handler.path}).encode(),
        {"Content-Type": "application/json"},
    )


def test_requests_share_one_keep_alive_connection() -> None:
    with serving(echo) as (url, seen):
        session = Session()
        answers = [session.get(f"{url}/things/{i}").json() for i in range(3)]
    assert answers == [{"path": f"/things/{i}"} for i in range(3)]
    assert len({request["port"] for request in seen}) == 1


def test_a_server_that_closes_after_every_answer_is_reconnected_to() -> None:
    with serving(echo, protocol="HTTP/1.0") as (url, seen):
        session = Session()
        statuses = [session.get(f"{url}/x").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert len({request["port"] for request in seen}) == 3


def test_an_idle_connection_the_server_closed_silently_is_not_reused() -> None:
    def answer_and_hang_up(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        echo(handler, body)
        handler.close_connection = True  # without saying "Connection: close"

    with serving(answer_and_hang_up) as (url, seen):
        session = Session()
        first = session.get(f"{url}/a")
        time.sleep(0.2)  # the server's close reaches the client's socket
        second = session.post(f"{url}/b", json={"n": 1})
    assert (first.status_code, second.status_code) == (200, 200)
    assert [request["method"] for request in seen] == ["GET", "POST"]


def test_a_connection_the_server_says_it_closes_is_not_reused() -> None:
    def answer_then_linger(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        send(handler, 200, b"{}", {"Connection": "close"})
        handler.wfile.flush()
        time.sleep(0.5)  # closes only later: a reused socket would send into the void

    with serving(answer_then_linger) as (url, seen):
        session = Session()
        statuses = [session.get(f"{url}/x").status_code for _ in range(2)]
    assert statuses == [200, 200]
    assert len({request["port"] for request in seen}) == 2


def test_what_goes_out_query_json_form_text_and_headers() -> None:
    with serving(echo) as (url, seen):
        session = Session()
        session.get(f"{url}/q?sort=name", params={"limit": 2, "skip": None, "tag": ["a", "b c"]})
        session.post(f"{url}/j", json={"name": "é", "n": 1.5})
        session.post(f"{url}/f", data={"a": "1"})
        session.patch(f"{url}/t", data="{not json", headers={"Content-Type": "application/json"})
        session.delete(f"{url}/d")
    query, as_json, form, text, delete = seen
    assert query["path"] == "/q?sort=name&limit=2&tag=a&tag=b+c"
    assert as_json["headers"]["Content-Type"] == "application/json"
    assert json.loads(as_json["body"]) == {"name": "é", "n": 1.5}
    assert (form["body"], form["headers"]["Content-Type"]) == (
        b"a=1",
        "application/x-www-form-urlencoded",
    )
    assert (text["method"], text["body"]) == ("PATCH", b"{not json")
    assert text["headers"]["Content-Type"] == "application/json"
    assert (delete["method"], delete["headers"]["Content-Length"]) == ("DELETE", "0")
    assert "Content-Length" not in query["headers"]


def test_a_json_body_that_is_not_json_is_refused_before_sending() -> None:
    with pytest.raises(ValueError):
        Session().post("http://127.0.0.1:9/x", json={"n": float("nan")})


def test_redirects_are_followed_as_requests_does() -> None:
    def redirect(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if handler.path.startswith("/from/"):
            status = int(handler.path.rsplit("/", 1)[1])
            send(handler, status, headers={"Location": "../to"})
        elif handler.path == "/loop":
            send(handler, 302, headers={"Location": "/loop"})
        else:
            echo(handler, body)

    with serving(redirect) as (url, seen):
        session = Session()
        for status in (301, 302, 303, 307, 308):
            assert session.post(f"{url}/from/{status}", json={"k": 1}).json() == {"path": "/to"}
        kept = session.get(f"{url}/from/302", allow_redirects=False)
        with pytest.raises(ClientError, match="redirects"):
            session.get(f"{url}/loop")
    followed = [request for request in seen if request["path"] == "/to"]
    assert [(r["method"], r["body"]) for r in followed] == [
        ("GET", b""),
        ("GET", b""),
        ("GET", b""),
        ("POST", b'{"k": 1}'),
        ("POST", b'{"k": 1}'),
    ]
    assert kept.status_code == 302 and kept.headers["location"] == "../to"
    assert method_after_redirect(301, "PATCH") == "PATCH"
    assert method_after_redirect(303, "HEAD") == "HEAD"


def test_a_redirect_to_another_host_is_refused_and_not_followed() -> None:
    with serving(echo) as (elsewhere, visited):

        def away(handler: BaseHTTPRequestHandler, body: bytes) -> None:
            send(handler, 302, headers={"Location": f"{elsewhere}/secret"})

        with serving(away) as (url, _), pytest.raises(ClientError, match="another host"):
            Session().get(f"{url}/x")
    assert visited == []


def test_chunked_and_compressed_answers_are_read_whole() -> None:
    payload = json.dumps({"items": list(range(500))}).encode()

    def chunked(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(payload), 700):
            piece = payload[start : start + 700]
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    def compressed(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        send(handler, 200, gzip.compress(payload), {"Content-Encoding": "gzip"})

    for answer in (chunked, compressed):
        with serving(answer) as (url, _):
            response = Session().get(f"{url}/items")
        assert response.content == payload and response.json()["items"][-1] == 499


def test_text_follows_the_charset_and_json_refuses_what_is_not_json() -> None:
    def latin(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        send(
            handler, 500, "café".encode("latin-1"), {"Content-Type": "text/plain; charset=latin-1"}
        )

    with serving(latin) as (url, _):
        response = Session().get(f"{url}/")
    assert (response.status_code, response.text) == (500, "café")
    with pytest.raises(ValueError):
        response.json()


@contextmanager
def raw_server(behave: Callable[[socket.socket], None]) -> Iterator[str]:
    """A bare TCP server: ``behave`` gets each accepted connection."""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            behave(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        # Closing alone leaves the thread blocked in accept(); later tests fork, and a
        # fork beside a live thread may deadlock. Shutting the listener down wakes it.
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


def answering(raw: bytes) -> Callable[[socket.socket], None]:
    """A connection that reads the request, sends ``raw`` and hangs up."""

    def behave(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(raw)
        conn.close()

    return behave


def test_every_way_of_getting_no_answer_is_a_client_error() -> None:
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    with pytest.raises(ClientError, match="connect"):
        Session().get(f"http://127.0.0.1:{port}/")

    held: list[socket.socket] = []
    with raw_server(held.append) as url, pytest.raises(ClientError, match="timed out"):
        Session().get(f"{url}/", timeout=0.5)

    with (
        raw_server(answering(b"HELLO THERE\r\n\r\n")) as url,
        pytest.raises(ClientError, match="BadStatusLine"),
    ):
        Session().get(f"{url}/")
    cut_short = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a":'
    with (
        raw_server(answering(cut_short)) as url,
        pytest.raises(ClientError, match="IncompleteRead"),
    ):
        Session().get(f"{url}/")
    with pytest.raises(ClientError, match="only http://"):
        Session().get("https://example.com/")


def endless(chunked: bool) -> Callable[[socket.socket], None]:
    """A server that answers with a body that never ends: chunked, or until it closes."""

    def behave(conn: socket.socket) -> None:
        conn.recv(65536)
        head = "Transfer-Encoding: chunked\r\n" if chunked else "Connection: close\r\n"
        block = b"x" * 65536
        piece = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
        try:
            conn.sendall(f"HTTP/1.1 200 OK\r\n{head}\r\n".encode())
            while True:
                conn.sendall(piece)
        except OSError:  # the client gave up
            conn.close()

    return behave


@pytest.mark.parametrize("chunked", [True, False])
def test_an_answer_without_end_is_a_client_error_not_the_runners_memory(chunked: bool) -> None:
    with (
        raw_server(endless(chunked)) as url,
        pytest.raises(ClientError, match=f"over {http_client.MAX_ANSWER_BYTES} bytes"),
    ):
        Session().get(f"{url}/items")


def test_an_answer_declared_too_long_is_refused_before_it_is_read() -> None:
    huge = f"HTTP/1.1 200 OK\r\nContent-Length: {2**40}\r\n\r\n".encode()
    with raw_server(answering(huge)) as url, pytest.raises(ClientError, match="over"):
        Session().get(f"{url}/")


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compressed_answer_that_inflates_past_the_cap_is_a_client_error(coding: str) -> None:
    bomb = b"\0" * (http_client.MAX_ANSWER_BYTES + 1)
    packed = gzip.compress(bomb) if coding == "gzip" else zlib.compress(bomb)
    assert len(packed) < 100_000  # a small answer on the wire

    def answer(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        send(handler, 200, packed, {"Content-Encoding": coding})

    with serving(answer) as (url, _), pytest.raises(ClientError, match="inflates to over"):
        Session().get(f"{url}/")
    truncated = gzip.compress(b"[1, 2, 3]")[:-12]

    def cut(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        send(handler, 200, truncated, {"Content-Encoding": "gzip"})

    with serving(cut) as (url, _), pytest.raises(ClientError, match="truncated"):
        Session().get(f"{url}/")


def test_the_suite_carries_this_client_and_needs_no_requests() -> None:
    turn = generate_scenario(GeneratorSpec(seed=1, scenarios=1, turns=2), 0)[1]
    conftest = render_suite(turn)["tests/conftest.py"]
    source = Path(http_client.__file__).read_text()
    body = source.split("from __future__ import annotations\n", 1)[1]
    assert body in conftest and body in CONFTEST_HEAD
    assert "import requests" not in conftest
