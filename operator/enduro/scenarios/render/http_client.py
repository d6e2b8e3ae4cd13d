"""The HTTP client a generated suite drives the server under test with.

Its source is copied into every suite's ``conftest.py`` (so a suite needs nothing but
pytest), and the floor in ``scenarios/validate.py`` replays a suite's requests through it
from this module: the suite and its floor send the same bytes.

It keeps what the suites relied on in ``requests`` (keep-alive, redirects followed,
``params``/``json``/``data``/``headers``, ``status_code``/``json()``/``text``/``content``)
at about a third of its CPU per request: the request goes out in one ``sendall`` and
the answer is parsed by ``http.client``. Unlike ``requests``, it follows no redirect off
the server under test. Anything that keeps a request from getting an answer (refused,
reset, timed out, malformed, or an answer larger than ``MAX_ANSWER_BYTES`` before or
after its content coding: the server is the agent's, and the suite runs in the trusted
runner, whose memory it must not fill) is a ``ClientError``.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import select
import socket
import zlib
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

MAX_REDIRECTS = 30
MAX_ANSWER_BYTES = 16 * 2**20  # far above any answer a suite expects
REDIRECTS = (301, 302, 303, 307, 308)


class ClientError(Exception):
    """The request got no answer: the connection was refused, reset or timed out, or
    what came back was not HTTP."""


class Response:
    """An answer: ``status_code``, ``headers`` (case-insensitive), ``content`` (bytes)."""

    def __init__(self, status_code: int, headers: http.client.HTTPMessage, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON raises ``ValueError``."""
        return jsonlib.loads(self.content)


class Session:
    """One keep-alive connection per host, reopened when the server closed it."""

    def __init__(self) -> None:
        self._sockets: dict[tuple[str, int], socket.socket] = {}

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        allow_redirects: bool = True,
    ) -> Response:
        method = method.upper()
        fields = {"User-Agent": "enduro-suite", "Accept": "*/*"}
        body = b""
        if json is not None and data is None:
            body = jsonlib.dumps(json, allow_nan=False).encode()
            fields["Content-Type"] = "application/json"
        elif isinstance(data, dict):
            body = urlencode(data, doseq=True).encode()
            fields["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = data.encode() if isinstance(data, str) else bytes(data)
        fields.update(headers or {})
        url = with_query(url, params)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._exchange(method, url, fields, body, timeout)
            location = response.headers.get("Location")
            if not (allow_redirects and location and response.status_code in REDIRECTS):
                return response
            target = urljoin(url, location)
            if urlsplit(target)[:2] != urlsplit(url)[:2]:
                # The server under test must not make the trusted runner fetch another
                # host (its answer could reach the agent through the test's feedback).
                raise ClientError(f"{method} {url}: redirect to another host refused: {target}")
            url = target
            if method_after_redirect(response.status_code, method) != method:
                method, body = "GET", b""
                fields = {k: v for k, v in fields.items() if k.lower() != "content-type"}
        raise ClientError(f"{method} {url}: more than {MAX_REDIRECTS} redirects")

    def _exchange(
        self, method: str, url: str, fields: dict[str, str], body: bytes, timeout: float
    ) -> Response:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ClientError(f"{url}: only http:// URLs are served by this client")
        address = (parts.hostname, parts.port or 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in fields.items()]
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        sock = self._socket(address, timeout)
        try:
            sock.sendall(message)
            answer = http.client.HTTPResponse(sock, method=method)
            answer.begin()
            content = decoded(read_capped(answer), answer.getheader("Content-Encoding"))
        except (OSError, http.client.HTTPException, zlib.error, ValueError) as exc:
            self._drop(address)
            raise ClientError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if answer.will_close:
            self._drop(address)
        return Response(answer.status, answer.msg, content)

    def _socket(self, address: tuple[str, int], timeout: float) -> socket.socket:
        sock = self._sockets.get(address)
        if sock is not None and closed_by_peer(sock):
            self._drop(address)
            sock = None
        if sock is None:
            try:
                sock = socket.create_connection(address, timeout=timeout)
            except OSError as exc:
                raise ClientError(f"connect to {address[0]}:{address[1]}: {exc}") from exc
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets[address] = sock
        sock.settimeout(timeout)
        return sock

    def _drop(self, address: tuple[str, int]) -> None:
        sock = self._sockets.pop(address, None)
        if sock is not None:
            sock.close()


def method_after_redirect(status: int, method: str) -> str:
    """The method a redirect is followed with, as browsers (and ``requests``) do: a 303,
    and a 302 or a POST's 301, turn into a GET; 307 and 308 keep method and body."""
    if method == "HEAD":
        return method
    if status in (302, 303) or (status == 301 and method == "POST"):
        return "GET"
    return method


def with_query(url: str, params: Any) -> str:
    """``url`` with ``params`` (a mapping or pairs; ``None`` values left out) appended."""
    if not params:
        return url
    pairs = params.items() if isinstance(params, dict) else params
    query = urlencode([(k, v) for k, v in pairs if v is not None], doseq=True)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether an idle keep-alive connection was closed (or written to) by the server:
    it must not carry the next request."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def read_capped(answer: http.client.HTTPResponse) -> bytes:
    """The whole body, refused (``ValueError``) when it is over ``MAX_ANSWER_BYTES``."""
    if answer.length is not None:  # a declared length: read exactly that, or fail
        if answer.length > MAX_ANSWER_BYTES:
            raise ValueError(f"the answer is {answer.length} bytes, over {MAX_ANSWER_BYTES}")
        return answer.read()
    content = answer.read(MAX_ANSWER_BYTES + 1)  # chunked, or until the server closes
    if len(content) > MAX_ANSWER_BYTES:
        raise ValueError(f"the answer is over {MAX_ANSWER_BYTES} bytes")
    return content


def decoded(content: bytes, encoding: str | None) -> bytes:
    """The body without its gzip or deflate content coding (at most ``MAX_ANSWER_BYTES``
    once decoded)."""
    coding = (encoding or "").strip().lower()
    if coding in ("gzip", "x-gzip"):
        return inflated(content, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        try:
            return inflated(content, zlib.MAX_WBITS)
        except zlib.error:  # raw deflate, without the zlib header
            return inflated(content, -zlib.MAX_WBITS)
    return content


def inflated(content: bytes, wbits: int) -> bytes:
    """``content`` decompressed as ``zlib.decompress`` does, but never past
    ``MAX_ANSWER_BYTES`` (a small answer may inflate to gigabytes: ``ValueError``)."""
    inflater = zlib.decompressobj(wbits)
    data = inflater.decompress(content, MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise ValueError(f"the answer inflates to over {MAX_ANSWER_BYTES} bytes")
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return data
