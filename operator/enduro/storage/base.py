"""The interface every artifact store implements, and its one error type."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol


class StorageError(Exception):
    """A store cannot be used or an object cannot be read or written; the message names the
    bucket, key or path and says what to do."""


class NoCredentialsStorageError(StorageError):
    """The store could not be asked at all: no credentials were found. The operator may
    lack them where the steps have some (a Secret), so this is not a refusal."""


class ArtifactStore(Protocol):
    """Objects under string keys (``/``-separated, relative to the store's root)."""

    @property
    def url(self) -> str:
        """Where the store's root is, for humans and ``status.artifactsRef``."""
        ...

    def check(self) -> None:
        """Fail early with a ``StorageError`` when the store cannot be written."""
        ...

    def put_file(self, key: str, path: Path) -> None: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix``, sorted."""
        ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def join_key(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))
