"""Fixtures: a moto S3 server for the session, a fresh bucket per test, a fault proxy."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from s3_fixtures import REGION, FaultProxy, MotoServer, proxy_to, start_moto

_buckets = itertools.count()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = start_moto()
    try:
        yield server
    finally:
        server.process.terminate()
        server.process.wait(10)


@pytest.fixture
def aws_env(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """The moto credentials in the environment, as a user would export them."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    return moto


@pytest.fixture
def bucket(aws_env: MotoServer) -> str:
    """A new, empty bucket in REGION."""
    name = f"enduro-test-{next(_buckets)}"
    aws_env.client().create_bucket(  # type: ignore[attr-defined]
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[FaultProxy]:
    yield from proxy_to(moto.endpoint)
