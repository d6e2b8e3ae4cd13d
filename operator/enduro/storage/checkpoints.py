"""Turn checkpoints: the workspace as the agent left it at the end of each scored turn.

After a turn is scored, the workspace is packed into a deterministic gzip tarball
(entries sorted, times, owners and modes normalised: the same files give the same
bytes and the same digest) at ``<scenario>/checkpoints/turn_<ttt>.tar.gz``, and
``<scenario>/checkpoints/index.json`` records each turn's SHA-256 and size. Both go to
the artifact store with the scenario's other outputs, so
``enduro workspace restore RUN SCENARIO TURN DIR`` gives a human the workspace at any
turn, from a run directory or from ``s3://``, refusing a tarball whose digest differs.
A scenario whose workspace was lost (a deleted PVC on a cluster, an emptied folder of a
resumed local run) starts its turn again from the last checkpoint: the engine decides it
(``WorkspaceLost``) and ``restore_workspace`` does it in the next agent step's
``prepare-workspace``, from the S3 store on a cluster, from the run folder locally.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

from enduro.artifacts import turn_tag
from enduro.storage.base import ArtifactStore, StorageError, join_key
from enduro.untrusted import walk

FOLDER = "checkpoints"
INDEX = f"{FOLDER}/index.json"
SKIPPED = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})


def checkpoint_key(turn: int) -> str:
    return f"{FOLDER}/{turn_tag(turn)}.tar.gz"


def pack(workspace: Path) -> bytes:
    """The workspace as a deterministic ``.tar.gz``: its folders and regular files, read
    as `enduro.untrusted` reads (links, FIFOs and devices are left out, and so is a file
    that turns into one while the server still runs beside the runner on Kubernetes)."""
    raw = io.BytesIO()
    first_names: dict[tuple[int, int], str] = {}  # a file's inode -> its first name
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in walk(workspace, SKIPPED):
            if entry.name in SKIPPED:
                continue
            info = tarfile.TarInfo(entry.rel.as_posix())
            if entry.is_dir:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            handle = entry.open()
            if handle is None:
                continue
            with handle:
                found = os.fstat(handle.fileno())
                info.mode = 0o755 if found.st_mode & 0o111 else 0o644
                inode = (found.st_ino, found.st_dev)
                if found.st_nlink > 1 and inode in first_names:  # as tarfile stores hard links
                    info.type, info.linkname = tarfile.LNKTYPE, first_names[inode]
                    tar.addfile(info)
                    continue
                first_names[inode] = info.name
                data = handle.read()
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def unpack(data: bytes, into: Path) -> None:
    """Extract a checkpoint into ``into`` (paths outside it, links, devices are refused)."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(into, filter="data")


def write_checkpoint(scenario_dir: Path, workspace: Path, turn: int) -> str:
    """Pack ``workspace`` as turn ``turn``'s checkpoint under ``scenario_dir``; return its
    digest (also recorded in the index)."""
    data = pack(workspace)
    digest = hashlib.sha256(data).hexdigest()
    target = scenario_dir / checkpoint_key(turn)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    index = read_index_file(scenario_dir)
    index[turn_tag(turn)] = {"sha256": digest, "bytes": len(data)}
    tmp = scenario_dir / f"{INDEX}.tmp"
    tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
    tmp.replace(scenario_dir / INDEX)
    return digest


def read_index_file(scenario_dir: Path) -> dict[str, dict[str, object]]:
    path = scenario_dir / INDEX
    if not path.is_file():
        return {}
    data: dict[str, dict[str, object]] = json.loads(path.read_text())
    return data


def checkpointed_turns(scenario_dir: Path) -> list[int]:
    return sorted(int(tag.removeprefix("turn_")) for tag in read_index_file(scenario_dir))


def restore(store: ArtifactStore, scenario: str, turn: int, into: Path) -> str:
    """Turn ``turn``'s checkpoint of ``scenario`` (``scenario_<i>``) from ``store``,
    checked against its digest, extracted into the empty or new directory ``into``."""
    if into.exists() and any(into.iterdir()):
        raise StorageError(f"{into}: not empty; restore into a new directory")
    data, digest = fetch_checkpoint(store, scenario, turn, _index(store, scenario))
    unpack(data, into)
    return digest


def fetch_checkpoint(
    store: ArtifactStore, scenario: str, turn: int, index: dict[str, dict[str, object]]
) -> tuple[bytes, str]:
    """The tarball of turn ``turn`` and its digest, refused (naming it) unless the digest
    is the one ``index`` records."""
    entry = index.get(turn_tag(turn))
    if entry is None:
        turns = ", ".join(t.removeprefix("turn_").lstrip("0") for t in sorted(index)) or "none"
        raise StorageError(f"{scenario} has no checkpoint of turn {turn} (turns: {turns})")
    key = join_key(scenario, checkpoint_key(turn))
    data = store.get_bytes(key)
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise StorageError(
            f"{store.url}/{key}: digest {digest} does not match {entry['sha256']} in the index"
        )
    return data, digest


def _index(store: ArtifactStore, scenario: str) -> dict[str, dict[str, object]]:
    try:
        index: dict[str, dict[str, object]] = json.loads(store.get_bytes(join_key(scenario, INDEX)))
    except StorageError as exc:
        raise StorageError(f"{scenario or store.url} has no checkpoints ({exc})") from None
    return index


def restore_workspace(
    store: ArtifactStore, scenario: str, turn: int, workspace: Path, scenario_dir: Path
) -> str:
    """After a lost volume: the workspace (emptied first: a retried step may have left a
    partial one) becomes turn ``turn``'s checkpoint from ``store``, digest checked, and the
    store's checkpoint index is merged into ``scenario_dir``'s, so the checkpoints of
    later turns extend it instead of replacing it. Returns the digest."""
    index = _index(store, scenario)
    data, digest = fetch_checkpoint(store, scenario, turn, index)  # checked before any change
    workspace.mkdir(parents=True, exist_ok=True)
    for child in list(workspace.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    unpack(data, workspace)
    merged = {**index, **read_index_file(scenario_dir)}
    target = scenario_dir / INDEX
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = scenario_dir / f"{INDEX}.tmp"
    tmp.write_text(json.dumps(merged, indent=1, sort_keys=True))
    tmp.replace(target)
    return digest
