"""A bounded copy of the workspace after the agent (``A/agent_code/...``).

An agent can leave anything in its workspace, including a huge file or a dependency
tree: the snapshot keeps source-sized files only and never more than a fixed total,
and lists what it left out, so recording an attempt can never fill the disk.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from enduro.untrusted import walk

FILE_CAP_BYTES = 1024 * 1024
TOTAL_CAP_BYTES = 32 * 1024 * 1024
FILE_COUNT_CAP = 10_000  # a million empty files would cost nothing in bytes
SKIPPED_NAMED = 1_000  # lines of the skipped list; the rest is counted
SKIP_DIRS = frozenset(
    {".git", "__pycache__", "node_modules", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
)
SKIPPED_LIST = "SNAPSHOT_SKIPPED.txt"


def snapshot(workspace: Path, dest: Path) -> list[str]:
    """Copy ``workspace`` to ``dest`` within the caps; returns what was skipped and why.

    The workspace is read as `enduro.untrusted` reads: on Kubernetes the agent's server
    runs beside the runner and may turn a file into a link or a FIFO at any moment."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    skipped: list[str] = []
    total = copied = 0
    for entry in walk(workspace, SKIP_DIRS):
        if entry.is_dir:
            if not entry.entered:
                skipped.append(f"{entry.rel}/ (directory skipped)")
            continue
        if copied == FILE_COUNT_CAP:
            skipped.append(f"{entry.rel} (snapshot full at {FILE_COUNT_CAP} files)")
            continue
        handle = entry.open()
        if handle is None:
            skipped.append(f"{entry.rel} (not a regular file)")
            continue
        with handle:
            data = handle.read(FILE_CAP_BYTES + 1)  # the file may grow while it is read
        if len(data) > FILE_CAP_BYTES:
            skipped.append(f"{entry.rel} (over {FILE_CAP_BYTES} bytes)")
            continue
        if total + len(data) > TOTAL_CAP_BYTES:
            skipped.append(f"{entry.rel} (snapshot full at {TOTAL_CAP_BYTES} bytes)")
            continue
        target = dest.joinpath(*entry.rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        total += len(data)
        copied += 1
    if skipped:
        named = skipped[:SKIPPED_NAMED]
        if len(skipped) > SKIPPED_NAMED:
            named.append(f"... and {len(skipped) - SKIPPED_NAMED} more")
        (dest / SKIPPED_LIST).write_text("\n".join(named) + "\n")
    return skipped
