"""A stored scenario set's files changed the way a corrupt or hand-edited set looks."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from enduro.scenarios.store import MANIFEST, set_digest


def pack_and_member(rel: str) -> tuple[str, str]:
    """``scenario_000/turn_002/SPEC.md`` -> (``scenario_000.zip``, ``turn_002/SPEC.md``)."""
    folder, _, member = rel.partition("/")
    return f"{folder}.zip", member


def member_of(pack: bytes, rel: str) -> bytes:
    """The bytes of the set's file ``rel`` in ``pack``, read by the standard library."""
    with zipfile.ZipFile(io.BytesIO(pack)) as opened:
        return opened.read(pack_and_member(rel)[1])


def repacked(pack: bytes, rel: str, data: bytes | None) -> bytes:
    """``pack`` with the member of ``rel`` holding ``data`` (None: without it), written by
    the standard library's zip writer."""
    member = pack_and_member(rel)[1]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(pack)) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            if info.filename != member:
                new.writestr(info, old.read(info))
        if data is not None:
            new.writestr(member, data)
    return out.getvalue()


def edit(root: Path, rel: str, data: bytes | None, *, listed: bool = False) -> None:
    """Change the set's file ``rel`` inside its pack (None: remove it). The manifest
    lists the pack's new digest; with ``listed`` also the file's new digest and the set
    digest, as a bad hand-made set would."""
    name = pack_and_member(rel)[0]
    pack = repacked((root / name).read_bytes(), rel, data)
    (root / name).write_bytes(pack)
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["packs"][name] = hashlib.sha256(pack).hexdigest()
    if listed and data is not None:
        manifest["files"][rel] = hashlib.sha256(data).hexdigest()
        manifest["digest"] = set_digest(manifest["files"])
    (root / MANIFEST).write_text(json.dumps(manifest))
