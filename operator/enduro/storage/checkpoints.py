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
from typing import Any, BinaryIO

from enduro.artifacts import turn_tag
from enduro.storage.base import ArtifactStore, StorageError, join_key
from enduro.untrusted import walk

FOLDER = "checkpoints"
INDEX = f"{FOLDER}/index.json"
SKIPPED = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})
# Past the default workspace limit (`agent.limits.workspaceMib`, an agent's failure already).
MAX_BYTES = 1024 * 1024 * 1024
MAX_ENTRIES = 100_000
LEFT_OUT_NAMED = 20  # what the index names of what a checkpoint left out


def checkpoint_key(turn: int) -> str:
    return f"{FOLDER}/{turn_tag(turn)}.tar.gz"


def pack(workspace: Path) -> bytes:
    """The workspace as a deterministic ``.tar.gz`` (see `pack_into`), in memory."""
    out = io.BytesIO()
    pack_into(workspace, out)
    return out.getvalue()


def pack_into(workspace: Path, out: BinaryIO) -> list[str]:
    """Write the workspace to ``out`` as a deterministic ``.tar.gz``: its folders and
    regular files, read as `enduro.untrusted` reads (links, FIFOs and devices are left
    out, and so is a file that turns into one while the server still runs beside the
    runner on Kubernetes), streamed, never held whole. The agent may leave a terabyte
    of sparse files or a million empty ones: past `MAX_BYTES` of content or `MAX_ENTRIES`
    entries the rest is left out. Returns what was left out."""
    left_out: list[str] = []
    total = entries = 0
    first_names: dict[tuple[int, int], str] = {}  # a file's inode -> its first name
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for entry in walk(workspace, SKIPPED):
            if entry.name in SKIPPED:
                continue
            if entries == MAX_ENTRIES:
                left_out.append(f"{entry.rel} (past {MAX_ENTRIES} entries)")
                continue
            info = tarfile.TarInfo(entry.rel.as_posix())
            if entry.is_dir:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                entries += 1
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
                elif total + found.st_size > MAX_BYTES:
                    left_out.append(f"{entry.rel} (past {MAX_BYTES} bytes in all)")
                    continue
                else:
                    first_names[inode] = info.name
                    info.size = found.st_size
                    total += found.st_size
                tar.addfile(info, _Exactly(handle, info.size) if info.size else None)
                entries += 1
    return left_out


class _Exactly(io.RawIOBase):
    """``size`` bytes of ``handle``: the file as it was when looked at, even if a server
    still running beside the runner makes it grow or shrink meanwhile (zeros then)."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle, self._left = handle, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._left)
        data = self._handle.read(want) if want else b""
        data += bytes(want - len(data))
        buffer[:want] = data
        self._left -= want
        return want


def unpack(data: bytes, into: Path) -> None:
    """Extract a checkpoint into ``into`` (paths outside it, links, devices are refused)."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(into, filter="data")


def write_checkpoint(scenario_dir: Path, workspace: Path, turn: int) -> str:
    """Pack ``workspace`` as turn ``turn``'s checkpoint under ``scenario_dir``; return its
    digest (also recorded in the index, with what was left out, if anything)."""
    target = scenario_dir / checkpoint_key(turn)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("wb") as out:
        left_out = pack_into(workspace, out)
    digest, size = _digest(tmp)
    tmp.replace(target)
    index = read_index_file(scenario_dir)
    entry: dict[str, object] = {"sha256": digest, "bytes": size}
    if left_out:
        entry |= {"leftOut": len(left_out), "leftOutFirst": left_out[:LEFT_OUT_NAMED]}
    index[turn_tag(turn)] = entry
    tmp = scenario_dir / f"{INDEX}.tmp"
    tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
    tmp.replace(scenario_dir / INDEX)
    return digest


def _digest(path: Path) -> tuple[str, int]:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest(), handle.tell()


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
