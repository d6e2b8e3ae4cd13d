"""Scenario sets kept apart from the run: uploaded to and downloaded from an artifact
store (S3), and fetched for a Benchmark that names one (``spec.source``: S3 or a
ConfigMap), each file checked against the manifest's digests (``store``)."""

from __future__ import annotations

import hashlib
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from enduro.api.generator import GeneratorSpec
from enduro.api.storage import S3Location, SourceSpec
from enduro.scenarios.store import (
    MANIFEST,
    Manifest,
    ScenarioSet,
    StoreError,
    first_line,
    load_set,
)


def upload_set(root: Path, url: str, *, force: bool = False) -> Manifest:
    """Upload a verified local set to ``url`` (``s3://bucket/prefix``): every pack (or,
    for a v1 set, every file) first, ``manifest.json`` last, so a reader never sees the
    manifest of a half-uploaded set. A prefix that already holds another set is refused
    unless ``force``."""
    from enduro.storage import StorageError, open_store

    loaded = load_set(root)
    try:
        store = open_store(url)
        store.check()
        existing = store.keys()
        if MANIFEST in existing and not force:
            old = Manifest.model_validate_json(store.get_bytes(MANIFEST))
            if old.digest != loaded.manifest.digest:
                raise StoreError(
                    f"{url}: already holds another set (digest {old.digest[:16]}); "
                    "pass --force to replace it"
                )
        for rel in sorted(loaded.manifest.stored()):
            store.put_file(rel, root / rel)
        store.put_file(MANIFEST, root / MANIFEST)
    except StorageError as exc:
        raise StoreError(str(exc)) from None
    return loaded.manifest


def download_set(
    location: str | S3Location, into: Path, *, digest: str | None = None
) -> ScenarioSet:
    """Fetch the set at ``location`` (``s3://...``, or the Benchmark's ``source.s3`` with
    its region and endpoint) into the empty directory ``into`` and load it. Every file
    is checked against its digest as it arrives; a mismatch names the object. ``digest``:
    the set digest the caller expects (``Benchmark.spec.source.digest``)."""
    from enduro.storage import NoCredentialsStorageError, StorageError, open_store

    url = location.url if isinstance(location, S3Location) else location
    try:
        store = open_store(location)
        data = store.get_bytes(MANIFEST)
    except StorageError as exc:
        raise StoreError(
            f"{exc} (is {url} a stored scenario set?)",
            no_credentials=isinstance(exc, NoCredentialsStorageError),
        ) from None
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as exc:
        raise StoreError(f"{url}/{MANIFEST}: invalid: {first_line(exc)}") from None
    if digest is not None and manifest.digest != digest:
        raise StoreError(
            f"{url}/{MANIFEST}: the set digest is {manifest.digest}, expected {digest}"
        )
    into.mkdir(parents=True, exist_ok=True)
    for rel, expected in sorted(manifest.stored().items()):
        try:
            content = store.get_bytes(rel)
        except StorageError as exc:
            raise StoreError(f"{exc} (listed in {url}/{MANIFEST})") from None
        if hashlib.sha256(content).hexdigest() != expected:
            raise StoreError(
                f"{url}/{rel}: content does not match its digest in {MANIFEST} (corrupt or edited)"
            )
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        (into / rel).write_bytes(content)
    (into / MANIFEST).write_bytes(data)
    return load_set(into)


def fetch_source(
    source: SourceSpec,
    generator: GeneratorSpec,
    into: Path,
    *,
    config_map: Mapping[str, Any] | None = None,
) -> Path:
    """A verified local copy of a Benchmark's stored set (``spec.source``) in ``into``,
    reused when it is already there with the expected digest. The set must hold the
    scenarios ``generator`` describes. ``config_map``: the ConfigMap object that
    ``source.configMap`` names (None: not found)."""
    if source.config_map is not None:
        from enduro.scenarios.configmap import configmap_data, unpack_set

        name = source.config_map.name
        if config_map is None:
            raise StoreError(
                f"source.configMap: ConfigMap {name} not found; create it (`enduro generate "
                f"... --out FILE.yaml --out-configmap {name}`, then kubectl apply -f FILE.yaml "
                "or, for enduro run, put it in the run file)"
            )
        data = configmap_data(config_map, name)
        return unpack_set(data, into, name=name, digest=source.digest, generator=generator)
    assert source.s3 is not None
    url = source.s3.url
    if (into / MANIFEST).is_file():
        try:
            loaded = load_set(into, every_file=False)  # checked file by file when fetched
        except StoreError:
            loaded = None
        if loaded is not None and source.digest in (None, loaded.manifest.digest):
            _check_generator(loaded, generator, url)
            return into
        shutil.rmtree(into)
    tmp = into.parent / f".{into.name}.partial-{secrets.token_hex(4)}"
    try:
        loaded = download_set(source.s3, tmp, digest=source.digest)
        _check_generator(loaded, generator, url)
        tmp.rename(into)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return into


def _check_generator(loaded: ScenarioSet, generator: GeneratorSpec, url: str) -> None:
    if loaded.spec != generator:
        stored = loaded.spec.model_dump(mode="json", by_alias=True)
        raise StoreError(
            f"{url}: the stored set was generated with {stored}, but the Benchmark's "
            "generator differs; copy the set's generator into spec.generator"
        )
