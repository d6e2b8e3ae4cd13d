"""An S3-compatible bucket as an artifact store, through boto3.

* Credentials come only from boto3's default chain: environment variables (on Kubernetes
  from the Secret named in ``credentialsSecret``), a profile, or the pod's workload
  identity (``AWS_WEB_IDENTITY_TOKEN_FILE``, IRSA / EKS Pod Identity).
* Requests use botocore's ``standard`` retry mode: throttling, 5xx answers, timeouts and
  dropped connections are retried with exponential backoff.
* Files above ``MULTIPART_THRESHOLD`` go up in parts (boto3's transfer manager, which
  aborts an interrupted multipart upload so no orphan parts are left).
* Every object carries a SHA-256 checksum that S3 verifies on upload
  (``ChecksumAlgorithm``) and the hex digest of the whole file in its metadata
  (``x-amz-meta-sha256``), checked again when read back.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from enduro.api.storage import S3Location
from enduro.storage.base import NoCredentialsStorageError, StorageError, join_key, sha256_file

MULTIPART_THRESHOLD = 16 * 1024 * 1024
MULTIPART_CHUNK = 16 * 1024 * 1024
MAX_ATTEMPTS = 5
DENIED = frozenset(
    {
        "403",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "AllAccessDisabled",
    }
)
MISSING_BUCKET = frozenset({"NoSuchBucket"})


class S3Store:
    """Keys are relative to ``location.prefix``."""

    def __init__(
        self,
        location: S3Location,
        *,
        max_attempts: int | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunk: int = MULTIPART_CHUNK,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.location = location
        # boto3 reads these too; naming the endpoint here also selects path-style keys.
        endpoint = (
            location.endpoint
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
        )
        self.endpoint = endpoint
        attempts = max_attempts or int(os.environ.get("AWS_MAX_ATTEMPTS") or MAX_ATTEMPTS)
        config = Config(
            retries={"mode": "standard", "max_attempts": attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            s3={"addressing_style": "path"} if endpoint else {},
            request_checksum_calculation="when_supported",
            response_checksum_validation="when_supported",
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            region_name=location.region,
            endpoint_url=endpoint,
            config=config,
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunk,
            max_concurrency=4,
        )

    @property
    def url(self) -> str:
        return self.location.url

    @property
    def bucket(self) -> str:
        return self.location.bucket

    def _key(self, key: str) -> str:
        if ".." in key.split("/"):
            raise StorageError(f"key {key!r} must not contain '..'")
        return join_key(self.location.prefix, key)

    def _fail(self, exc: Exception, doing: str, key: str | None = None) -> StorageError:
        """A message naming the bucket (and key) and the likely fix."""
        from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

        where = f"s3://{self.bucket}/{key}" if key is not None else f"bucket {self.bucket!r}"
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return NoCredentialsStorageError(
                f"{doing} {where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run with a workload identity"
            )
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in MISSING_BUCKET or (code == "404" and key is None):
                return StorageError(
                    f"{doing} {where}: bucket {self.bucket!r} does not exist"
                    f"{self._at()}; create it or fix the bucket name"
                )
            if code in DENIED:
                return StorageError(
                    f"{doing} {where}: access denied ({code}): the credentials were refused "
                    "or lack permission; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                    "(or the Secret, or the workload identity's role)"
                )
            if code in ("NoSuchKey", "404"):
                return StorageError(f"{doing} {where}: no such object")
            if code in ("PermanentRedirect", "301", "AuthorizationHeaderMalformed"):
                region = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                actual = region.get("x-amz-bucket-region", "another region")
                return StorageError(
                    f"{doing} {where}: the bucket is in {actual}, not in "
                    f"{self.location.region or 'the configured region'}; set region: {actual}"
                )
            message = error.get("Message", "") or str(exc)
            return StorageError(f"{doing} {where}: {code}: {message} (after retries)")
        return StorageError(f"{doing} {where}{self._at()}: {type(exc).__name__}: {exc}")

    def _at(self) -> str:
        return f" at {self.endpoint}" if self.endpoint else ""

    def check(self) -> None:
        """The bucket exists, is in the configured region and these credentials reach it."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(exc, "cannot use") from None
        headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        actual = headers.get("x-amz-bucket-region")
        wanted = self.location.region or self._client.meta.region_name
        if actual and wanted and actual != wanted:
            raise StorageError(
                f"cannot use bucket {self.bucket!r}: it is in region {actual}, not in "
                f"{wanted} as configured; set the region to {actual}"
            )

    def put_file(self, key: str, path: Path) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        full = self._key(key)
        extra = {"ChecksumAlgorithm": "SHA256", "Metadata": {"sha256": sha256_file(path)}}
        try:
            self._client.upload_file(
                str(path), self.bucket, full, ExtraArgs=extra, Config=self._transfer
            )
        except S3UploadFailedError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, BotoCoreError | ClientError):
                raise self._fail(cause, "cannot upload to", full) from None
            raise StorageError(f"cannot upload to s3://{self.bucket}/{full}: {exc}") from None
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(exc, "cannot upload to", full) from None

    def put_bytes(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        full = self._key(key)
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=full,
                Body=data,
                ChecksumAlgorithm="SHA256",
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(exc, "cannot upload to", full) from None

    def get_bytes(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        full = self._key(key)
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=full, ChecksumMode="ENABLED")
            data: bytes = answer["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(exc, "cannot read", full) from None
        expected = answer.get("Metadata", {}).get("sha256")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise StorageError(
                f"s3://{self.bucket}/{full}: content does not match its SHA-256 ({expected})"
            )
        return data

    def keys(self, prefix: str = "") -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        root = join_key(self.location.prefix)
        full = self._key(prefix) if prefix else root
        search = f"{full}/" if full else ""
        found: list[str] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=search
            )
            for page in pages:
                found += [item["Key"] for item in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(exc, "cannot list", search) from None
        cut = len(root) + 1 if root else 0
        return sorted(k[cut:] for k in found)

    def incomplete_uploads(self) -> list[str]:
        """Keys of multipart uploads started and neither completed nor aborted."""
        answer = self._client.list_multipart_uploads(Bucket=self.bucket)
        return [u["Key"] for u in answer.get("Uploads", [])]
