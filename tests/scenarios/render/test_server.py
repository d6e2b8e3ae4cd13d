"""The ground-truth server renderer: explicit, deterministic source that really serves."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from library import library
from suite_runs import failed_names

from enduro.scenarios.render.server import render_server
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.validate import (
    TurnPair,
    forked_server,
    run_forked,
    run_pytest,
    script_server,
    write_files,
)


def test_rendering_is_byte_identical_and_compiles() -> None:
    first = render_server(library())
    second = render_server(library())
    assert first == second
    assert set(first) == {"app.py", "run.sh"}
    compile(first["app.py"], "app.py", "exec")
    assert "exec python" in first["run.sh"] or 'exec "${PYTHON:-python}" app.py' in first["run.sh"]


def test_every_rule_is_written_out_not_interpreted() -> None:
    app = render_server(library())["app.py"]
    assert "Schema" not in app and "yaml" not in app
    for needle in [
        "def check_book_pages(value: object) -> None:",
        "    if value > 5000:",
        "if re.fullmatch('97[89]-\\\\d{6}', value) is None:",
        "def doom_author(item_id: int, doomed: set) -> None:",
        "return 'book_id'  # copy.book_id: restrict",
        "other['shelf_id'] = None",
        '@app.post("/books/<int:item_id>/publish")',
        "if not holds(view['pages'], 'gte', 10):",
        '@app.get("/analytics/pages_by_genre")',
        'limit = query_int(args, "limit", 5, 1, 10)',
    ]:
        assert needle in app, needle


def test_a_changed_schema_changes_the_source() -> None:
    schema = library()
    before = render_server(schema)["app.py"]
    schema.entity("book").field("pages").maximum = 6000
    after = render_server(schema)["app.py"]
    assert "if value > 6000:" in after and "if value > 6000:" not in before


@pytest.mark.slow
def test_run_sh_starts_a_server_that_passes_its_suite() -> None:
    schema = library()
    root = Path(tempfile.mkdtemp(prefix="enduro-runsh-"))
    write_files(root / "server", render_server(schema))
    suite_root = root / "suite"
    write_files(suite_root, render_suite(TurnPair(schema=schema, previous=None)))
    with script_server(root / "server") as url:
        [run] = run_forked([(1, lambda: run_pytest(suite_root, url))])
    assert run.error is None
    assert run.tests > 300
    assert run.passed == run.tests, failed_names(run)


def test_generated_server_and_suite_are_lint_clean(tmp_path: Path) -> None:
    schema = library()
    write_files(tmp_path, render_server(schema))
    write_files(tmp_path, render_suite(TurnPair(schema=schema, previous=None)))
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "E,F,W",
         "--ignore", "E501", "--output-format", "concise", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout


def _exchange(sock: socket.socket, raw: bytes) -> bytes:
    """Sends ``raw`` and reads one answer (headers and a Content-Length body)."""
    sock.sendall(raw)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    return sock.recv(1) == b""


def test_the_keep_alive_handler_speaks_http_by_hand() -> None:
    source = render_server(library())["app.py"]
    with forked_server(source, "app.py") as url:
        address = ("127.0.0.1", int(url.rsplit(":", 1)[1]))
        with socket.create_connection(address) as sock:
            health = _exchange(sock, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            body = b'{"name": "Ann"}'
            created = _exchange(
                sock,
                b"POST /authors HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body),
            )
            last = _exchange(sock, b"GET /authors/1 HTTP/1.1\r\nConnection: close\r\n\r\n")
            assert _closed(sock)
        with socket.create_connection(address) as sock:
            old = _exchange(sock, b"GET /health HTTP/1.0\r\n\r\n")
            assert _closed(sock)
        with socket.create_connection(address) as sock:
            bad = _exchange(sock, b"NONSENSE\r\n\r\n")
            assert _closed(sock)
    assert health.startswith(b"HTTP/1.1 200 OK\r\n") and health.endswith(b'{"status":"ok"}\n')
    assert created.startswith(b"HTTP/1.1 201 CREATED\r\n") and b'"name":"Ann"' in created
    assert last.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in last
    assert old.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in old
    assert bad.startswith(b"HTTP/1.1 400 Bad Request\r\n")
