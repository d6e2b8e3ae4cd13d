"""Artifact stores behind one interface: a local folder (the default; on Kubernetes the
scenario's PVC) and an S3-compatible bucket through boto3. ``open_store`` picks one from
what the user wrote; ``enduro.storage.sync`` copies a run's outputs into a store."""

from __future__ import annotations

from pathlib import Path

from enduro.api.storage import S3Location
from enduro.storage.base import (
    ArtifactStore,
    NoCredentialsStorageError,
    StorageError,
    join_key,
    sha256_file,
)
from enduro.storage.local import LocalStore
from enduro.storage.s3 import S3Store

__all__ = [
    "ArtifactStore",
    "LocalStore",
    "NoCredentialsStorageError",
    "S3Store",
    "StorageError",
    "is_s3_url",
    "join_key",
    "open_store",
    "sha256_file",
]


def is_s3_url(target: str) -> bool:
    return target.startswith("s3:")


def open_store(
    target: str | Path | S3Location, *, region: str | None = None, endpoint: str | None = None
) -> ArtifactStore:
    """A store for ``s3://bucket/prefix``, an ``S3Location`` or a local directory. A bad URL
    raises ``StorageError`` naming it."""
    if isinstance(target, S3Location):
        return S3Store(target)
    if isinstance(target, str) and is_s3_url(target):
        from pydantic import ValidationError

        try:
            return S3Store(S3Location.from_url(target, region=region, endpoint=endpoint))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'url'}: {e['msg']}" for e in exc.errors()
            )
            raise StorageError(f"{target}: {problems}") from None
        except ValueError as exc:
            raise StorageError(str(exc)) from None
    return LocalStore(Path(target))
