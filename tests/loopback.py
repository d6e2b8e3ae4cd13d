"""Real servers for tests, in a thread of the test's process: HTTP on loopback, a service
on every address of the machine, an abstract Unix socket; and the probe an agent uses to
find out which of them it reaches."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def threaded_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port until the block ends; yields the URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving_name(name: str) -> Iterator[int]:
    """A service on every address of this machine that answers any GET with its `name`
    (a model endpoint, another scenario's server); yields its port."""

    class Named(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(name)))
            self.end_headers()
            self.wfile.write(name.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("0.0.0.0", 0), Named)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def abstract_socket(name: str) -> Iterator[None]:
    """An abstract Unix socket listening on this machine, as a desktop session's D-Bus."""
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind("\0" + name)
        listener.listen()
        yield


REACH_PROBE = """\
import socket, sys, urllib.request

bus_name, urls = sys.argv[1], sys.argv[2:]
for url in urls:
    try:
        print(urllib.request.urlopen(url, timeout=10).read().decode())
    except Exception:
        print("unreached")
bus = socket.socket(socket.AF_UNIX)
try:
    bus.connect("\\0" + bus_name)
    print("bus reached")
except OSError:
    print("bus unreached")
"""
"""`python probe.py BUS_NAME URL...`: prints each URL's answer or `unreached`, then whether
the abstract socket `BUS_NAME` took a connection."""
