"""Small scenario sets in a ConfigMap (``Benchmark.spec.source.configMap``).

The set written by ``export_set`` is packed as one deterministic ``.tar.gz`` (the same
packing as the turn checkpoints) of its files one by one (``write_file_tree``: a gzip
stream over the plain files is smaller than over the packs, already deflated) under
``binaryData["set.tar.gz"]``, with the set digest in the ``enduro.dev/set-digest``
annotation for humans. Reading unpacks it into a
temporary sibling, checks every file against ``manifest.json`` (``load_set``) and the
digest the Benchmark expects, and only then moves it into place. A ConfigMap holds at
most 1 MiB: a bigger set is refused with the size and the way out (S3).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from enduro.api.generator import GeneratorSpec
from enduro.scenarios.store import (
    Manifest,
    StoreError,
    TurnSource,
    export_set,
    load_set,
    write_file_tree,
)

KEY = "set.tar.gz"
LIMIT = 1024 * 1024  # bytes a ConfigMap's data may hold (the API server refuses more)
DIGEST_ANNOTATION = "enduro.dev/set-digest"


def configmap_manifest(root: Path, name: str) -> dict[str, Any]:
    """The ConfigMap ``name`` holding the verified set at ``root``; ``StoreError`` when
    it would not fit."""
    from enduro.storage.checkpoints import pack

    loaded = load_set(root)
    with tempfile.TemporaryDirectory(prefix="enduro-set-tree-") as tmp:
        write_file_tree(loaded, Path(tmp) / "set")
        data = pack(Path(tmp) / "set")
    if len(data) > LIMIT:
        raise StoreError(
            f"the set packs to {len(data)} bytes, more than a ConfigMap holds (1 MiB, "
            f"{LIMIT} bytes); store it in S3 instead (--out s3://BUCKET/PREFIX) or make it "
            "smaller (fewer scenarios or turns)"
        )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "enduro"},
            "annotations": {DIGEST_ANNOTATION: loaded.manifest.digest},
        },
        "binaryData": {KEY: base64.b64encode(data).decode()},
    }


def write_configmap(
    spec: GeneratorSpec,
    out: Path,
    name: str,
    *,
    force: bool = False,
    turns: TurnSource | None = None,
    generation: Any = None,
) -> Manifest:
    """Generate the set and write it to ``out`` as a ConfigMap manifest (``kubectl apply
    -f out``; ``enduro run`` reads it from the run file too). Nothing is written unless
    the whole set was made and fits."""
    if out.exists() and not force:
        raise StoreError(f"{out}: exists (pass --force to replace it)")
    with tempfile.TemporaryDirectory(prefix="enduro-set-") as tmp:
        manifest = export_set(spec, Path(tmp) / "set", turns=turns, generation=generation)
        document = configmap_manifest(Path(tmp) / "set", name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    partial.replace(out)
    return manifest


def configmap_data(config_map: Mapping[str, Any], name: str) -> bytes:
    """The packed set of a ConfigMap object (as the API or a YAML file gives it)."""
    encoded = (config_map.get("binaryData") or {}).get(KEY)
    if not isinstance(encoded, str):
        raise StoreError(
            f"ConfigMap {name}: binaryData.{KEY} is missing; make it with "
            f"`enduro generate ... --out FILE.yaml --out-configmap {name}`"
        )
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise StoreError(f"ConfigMap {name}: binaryData.{KEY} is not base64") from None


def unpack_set(
    data: bytes, into: Path, *, name: str, digest: str | None, generator: GeneratorSpec
) -> Path:
    """The set of ConfigMap ``name`` (``data``: its packed bytes), verified, in ``into``
    (reused when it already holds that set)."""
    from enduro.storage.checkpoints import unpack

    where = f"ConfigMap {name}"
    if (into / "manifest.json").is_file():
        try:
            loaded = load_set(into)
        except StoreError:
            loaded = None
        if loaded is not None and digest in (None, loaded.manifest.digest):
            _check(loaded.spec, generator, where)
            return into
        shutil.rmtree(into)
    tmp = into.parent / f".{into.name}.partial-{secrets.token_hex(4)}"
    try:
        try:
            unpack(data, tmp)
        except Exception as exc:
            raise StoreError(f"{where}: binaryData.{KEY} is not a packed set ({exc})") from None
        try:
            loaded = load_set(tmp)
        except StoreError as exc:
            raise StoreError(f"{where}: {str(exc).replace(f'{tmp}/', '')}") from None
        if digest is not None and loaded.manifest.digest != digest:
            raise StoreError(
                f"{where}: manifest.json: the set digest is {loaded.manifest.digest}, "
                f"expected {digest} (source.digest)"
            )
        _check(loaded.spec, generator, where)
        into.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(into)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return into


def _check(stored: GeneratorSpec, generator: GeneratorSpec, where: str) -> None:
    if stored != generator:
        made = stored.model_dump(mode="json", by_alias=True)
        raise StoreError(
            f"{where}: the stored set was generated with {made}, but the Benchmark's "
            "generator differs; copy the set's generator into spec.generator"
        )
