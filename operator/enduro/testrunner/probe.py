"""One look at the server under test: the status a GET answers, within a deadline the
server cannot stretch.

The server is the agent's. A socket timeout bounds each read, not the answer: a server
that sends its status line and headers a byte at a time, each just inside the timeout,
would hold the runner until the step's hard limit, and a test step that hangs is
blamed on the infrastructure. So every read here is cut to what is left of one
deadline. Plain HTTP to the server's own address and nothing else: no proxy from the
environment, no redirect to another address (on a cluster, anything the runner's pod
can reach), no body read.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from enduro.scenarios.render.http_client import REDIRECTS

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_REDIRECTS = 5


def _left(deadline: float) -> float:
    """Seconds left before ``deadline`` (monotonic); ``TimeoutError`` when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


class _ReadsBefore(io.RawIOBase):
    """A socket's reads, each cut to what is left before ``deadline`` (monotonic)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(buffer)


class _Answering:
    """What ``http.client.HTTPResponse`` needs of a socket: its reads, deadline-bound."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._reads = _ReadsBefore(sock, deadline)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self._reads)


def status(url: str, timeout: float) -> int:
    """The status ``GET url`` answers within ``timeout`` seconds in all, redirects on the
    same server followed; raises ``OSError`` (``TimeoutError`` past the deadline) or
    ``http.client.HTTPException`` when no answer comes. A redirect elsewhere is answered
    with its own status."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        address = (parts.hostname or "", parts.port or 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
        with socket.create_connection(address, timeout=_left(deadline)) as sock:
            sock.sendall(request.encode("latin-1"))
            answer = http.client.HTTPResponse(_Answering(sock, deadline), method="GET")  # type: ignore[arg-type]
            answer.begin()
            location = answer.getheader("Location")
        if answer.status not in REDIRECTS or not location:
            return answer.status
        following = urljoin(url, location)
        if urlsplit(following)[:2] != parts[:2]:
            return answer.status
        url = following
    return answer.status
