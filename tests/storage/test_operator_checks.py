"""The operator's own look at a run's bucket and a Benchmark's stored set: without
credentials of its own it says it cannot tell (the steps may have a Secret), which is
not the same as a bucket or a set that is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from s3_fixtures import REGION, MotoServer

from enduro.api.generator import GeneratorSpec
from enduro.api.storage import S3Location, SourceSpec
from enduro.storage.cluster import artifacts_condition
from enduro.storage.sets import source_condition

CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)  # fmt: skip


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator pod with no AWS credentials anywhere boto3 looks."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_without_credentials_the_bucket_check_is_unknown_not_refused(
    moto: MotoServer, no_credentials: None
) -> None:
    location = S3Location(bucket="runs", region=REGION, endpoint=moto.endpoint)
    condition = artifacts_condition(location)
    assert (condition.status, condition.reason) == ("Unknown", "NoOperatorCredentials")
    assert "s3://runs" in condition.message


def test_a_missing_bucket_is_refused_when_the_operator_can_ask(aws_env: MotoServer) -> None:
    location = S3Location(bucket="no-such-bucket", region=REGION, endpoint=aws_env.endpoint)
    condition = artifacts_condition(location)
    assert (condition.status, condition.reason) == ("False", "BucketUnavailable")
    assert "no-such-bucket" in condition.message


def test_without_credentials_the_set_check_is_unknown_not_refused(
    moto: MotoServer, no_credentials: None
) -> None:
    source = SourceSpec(s3=S3Location(bucket="sets", region=REGION, endpoint=moto.endpoint))
    condition = source_condition(source, GeneratorSpec(seed=1, scenarios=1, turns=2), None)
    assert (condition.status, condition.reason) == ("Unknown", "NoOperatorCredentials")
    assert condition.message.startswith("s3://sets")


def test_a_set_that_is_not_there_is_refused_when_the_operator_can_ask(
    bucket: str, aws_env: MotoServer
) -> None:
    source = SourceSpec(s3=S3Location(bucket=bucket, region=REGION, endpoint=aws_env.endpoint))
    condition = source_condition(source, GeneratorSpec(seed=1, scenarios=1, turns=2), None)
    assert (condition.status, condition.reason) == ("False", "SetRefused")
    assert "is s3://" in condition.message and "a stored scenario set?" in condition.message
