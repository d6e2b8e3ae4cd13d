"""The S3 store against a real S3 endpoint (moto server), with faults in between."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from s3_fixtures import REGION, Fault, FaultProxy, MotoServer

from enduro.api.storage import S3Location
from enduro.storage import StorageError, open_store
from enduro.storage.s3 import S3Store


def store(bucket: str, endpoint: str, **kwargs: object) -> S3Store:
    location = S3Location(bucket=bucket, prefix="runs", region=REGION, endpoint=endpoint)
    return S3Store(location, **kwargs)  # type: ignore[arg-type]


def test_files_round_trip_under_their_keys(bucket: str, moto: MotoServer, tmp_path: Path) -> None:
    s = store(bucket, moto.endpoint)
    s.check()
    (tmp_path / "a.json").write_text('{"x": 1}')
    s.put_file("run/scenario_0/a.json", tmp_path / "a.json")
    s.put_bytes("run/report.json", b"{}")
    assert s.keys() == ["run/report.json", "run/scenario_0/a.json"]
    assert s.keys("run/scenario_0") == ["run/scenario_0/a.json"]
    assert s.get_bytes("run/scenario_0/a.json") == b'{"x": 1}'
    head = moto.client().head_object(  # type: ignore[attr-defined]
        Bucket=bucket, Key="runs/run/report.json", ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"] and head["Metadata"]["sha256"]


def test_writing_a_key_again_overwrites_it(bucket: str, moto: MotoServer, tmp_path: Path) -> None:
    s = store(bucket, moto.endpoint)
    for text in ("first", "second"):
        s.put_bytes("run/scenario_0/test_results/turn_001_attempt_1.json", text.encode())
    assert s.keys() == ["run/scenario_0/test_results/turn_001_attempt_1.json"]
    assert s.get_bytes("run/scenario_0/test_results/turn_001_attempt_1.json") == b"second"


def test_a_large_file_goes_up_in_parts(bucket: str, moto: MotoServer, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    s = store(bucket, moto.endpoint, multipart_threshold=5 * 2**20, multipart_chunk=5 * 2**20)
    s.put_file("run/big.bin", big)
    head = moto.client().head_object(  # type: ignore[attr-defined]
        Bucket=bucket, Key="runs/run/big.bin", PartNumber=1
    )
    assert head["PartsCount"] == 3
    assert s.get_bytes("run/big.bin") == big.read_bytes()
    assert s.incomplete_uploads() == []


def test_a_missing_bucket_is_named(aws_env: MotoServer) -> None:
    s = store("no-such-bucket", aws_env.endpoint)
    with pytest.raises(StorageError, match="bucket 'no-such-bucket' does not exist"):
        s.check()
    with pytest.raises(StorageError, match="no-such-bucket"):
        s.put_bytes("x", b"x")


def test_wrong_credentials_are_refused_clearly(
    bucket: str, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    s = store(bucket, moto.endpoint)
    with pytest.raises(StorageError, match=r"access denied.*credentials were refused"):
        s.check()
    with pytest.raises(StorageError, match="access denied"):
        s.get_bytes("run/report.json")


def test_a_bucket_in_another_region_is_named_with_its_region(bucket: str, moto: MotoServer) -> None:
    location = S3Location(bucket=bucket, region="us-west-2", endpoint=moto.endpoint)
    with pytest.raises(StorageError, match=f"in region {REGION}, not in us-west-2"):
        S3Store(location).check()


def test_server_errors_are_retried(bucket: str, proxy: FaultProxy, tmp_path: Path) -> None:
    s = store(bucket, proxy.endpoint)
    proxy.inject(Fault("500", count=2, method="PUT"))
    proxy.inject(Fault("500", count=2, method="GET"))
    s.put_bytes("run/a.txt", b"a")
    assert s.get_bytes("run/a.txt") == b"a"
    assert proxy.injected == 4


def test_slow_answers_time_out_and_are_retried(bucket: str, proxy: FaultProxy) -> None:
    s = store(bucket, proxy.endpoint, read_timeout=0.5)
    proxy.inject(Fault("slow", count=1, method="PUT", delay=1.5))
    s.put_bytes("run/slow.txt", b"slow")
    assert s.get_bytes("run/slow.txt") == b"slow"
    assert proxy.log.count("PUT /" + bucket + "/runs/run/slow.txt") == 2


def test_dropped_connections_are_retried(bucket: str, proxy: FaultProxy) -> None:
    s = store(bucket, proxy.endpoint)
    proxy.inject(Fault("drop", count=1, method="PUT"))
    s.put_bytes("run/drop.txt", b"x")
    assert s.get_bytes("run/drop.txt") == b"x"


def test_retries_run_out_into_a_clear_error(bucket: str, proxy: FaultProxy) -> None:
    s = store(bucket, proxy.endpoint, max_attempts=2)
    proxy.inject(Fault("500", count=10, method="PUT"))
    with pytest.raises(StorageError, match=rf"s3://{bucket}/runs/run/x: InternalError"):
        s.put_bytes("run/x", b"x")
    assert s.keys() == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://", "names no bucket"),
        ("s3:///prefix", "names no bucket"),
        ("s3://bucket-a/a/../b", r"prefix: .*'\.\.'"),
        ("s3://AKIAX:secret@bucket-a/p", "literal credentials"),
    ],
)
def test_bad_urls_are_named(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        open_store(url)
