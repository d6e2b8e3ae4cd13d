"""A real S3 endpoint for tests: moto in server mode in its own process, with IAM
authentication on (wrong keys are refused as AWS refuses them), and a loopback proxy in
front of it that injects faults (500 answers, slow answers, dropped connections)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import requests

REGION = "eu-west-1"
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class MotoServer:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]

    def env(self) -> dict[str, str]:
        """Environment variables a user would set (the credentials and the region)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self, endpoint: str | None = None) -> object:
        return boto3.client(
            "s3",
            endpoint_url=endpoint or self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )


def start_moto() -> MotoServer:
    """moto_server on a free port; the first three requests (unauthenticated) create a
    user with an access key and an allow-all policy, after which every request must be
    signed with that key."""
    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.05)
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    iam.create_user(UserName="enduro")
    key = iam.create_access_key(UserName="enduro")["AccessKey"]
    iam.put_user_policy(UserName="enduro", PolicyName="all", PolicyDocument=ALLOW_ALL)
    return MotoServer(endpoint, key["AccessKeyId"], key["SecretAccessKey"], process)


@dataclass
class Fault:
    """Applies to the next ``count`` requests whose method and path match."""

    kind: str  # "500", "slow" or "drop"
    count: int
    method: str = ""
    path_contains: str = ""
    delay: float = 0.0


@dataclass
class FaultProxy:
    """Forwards every request to ``upstream`` unless a queued fault matches it."""

    upstream: str
    faults: list[Fault] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    injected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self.log.append(f"{method} {path}")
            for fault in self.faults:
                if fault.count > 0 and fault.method in ("", method) and fault.path_contains in path:
                    fault.count -= 1
                    self.injected += 1
                    return fault
            return None

    def start(self) -> None:
        proxy = self
        host, port = self.upstream.removeprefix("http://").split(":")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return chunks
                        chunks += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                body = self._body()
                fault = proxy.take(self.command, self.path)
                if fault is not None and fault.kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None and fault.kind == "500":
                    error = (
                        b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError'
                        b"</Code><Message>injected</Message></Error>"
                    )
                    self.send_response(500)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                if fault is not None and fault.kind == "slow":
                    time.sleep(fault.delay)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() != "transfer-encoding"
                }
                headers["Content-Length"] = str(len(body))
                upstream = http.client.HTTPConnection(host, int(port), timeout=30)
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def proxy_to(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
