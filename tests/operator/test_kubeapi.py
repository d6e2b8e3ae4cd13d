"""The operator's own API client: a client certificate given as data leaves no file."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import kopf
import pytest

from enduro.operator.kubeapi import _ssl_context


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
