"""The operator's own API client: a client certificate given as data leaves no file; the
answers to its writes are not decoded."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import kopf
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from enduro.operator.kubeapi import KubeApi, _ssl_context


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_client_key_given_as_data_leaves_nothing_in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=enduro-test", "-keyout", str(keys / "key.pem"),
         "-out", str(keys / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    info = kopf.ConnectionInfo(
        server="https://127.0.0.1:6443",
        certificate_data=(keys / "cert.pem").read_bytes(),
        private_key_data=(keys / "key.pem").read_bytes(),
    )
    assert _ssl_context(info) is not False
    assert list(scratch.iterdir()) == []  # the PEM files are gone


async def test_writes_are_sent_and_their_answers_read_but_not_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API server answers a create or a patch with the whole object (a ScenarioRun's
    whole status after every step); no caller reads it, so it is not decoded, and the
    connection is still reused."""
    big = {"status": {"turns": [{"turn": n, "failing": ["test_x"] * 20} for n in range(100)]}}
    peers: set[Any] = set()

    async def answer(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response(big, status=201 if request.method == "POST" else 200)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with TestServer(app) as server:
        api = KubeApi(kopf.ConnectionInfo(server=str(server.make_url("/"))))

        async def undecoded(*_: Any, **__: Any) -> Any:
            raise AssertionError("an answer to a write was decoded")

        monkeypatch.setattr(aiohttp.ClientResponse, "json", undecoded)
        pod = {"apiVersion": "v1", "metadata": {"name": "p", "namespace": "ns"}}
        assert await api.create("pods", pod) is True
        await api.patch("v1", "pods", "ns", "p", {"metadata": {"labels": {"a": "b"}}})
        await api.patch("v1", "pods", "ns", "p", {"status": {}}, status=True)
        await api.close()
    assert len(peers) == 1  # one kept-alive connection for all three writes


async def test_a_create_of_an_existing_name_says_so() -> None:
    async def taken(request: web.Request) -> web.Response:
        return web.json_response({"message": "already exists"}, status=409)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", taken)
    async with TestServer(app) as server:
        api = KubeApi(kopf.ConnectionInfo(server=str(server.make_url("/"))))
        pod = {"apiVersion": "v1", "metadata": {"name": "p", "namespace": "ns"}}
        assert await api.create("pods", pod) is False
        await api.close()
