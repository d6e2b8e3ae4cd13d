"""`agent.limits.workspaceMib`: the most an agent may keep in the folders it writes.

Held twice, by the same measure: while the agent runs, its step looks every second
(`enduro.agents.process.Watch`) and stops it once its workspace and its scratch folder
hold more, so an agent writing without end (a million files, a sparse terabyte: sizes
count as the files say, not as the disk holds them) cannot go on to fill the disk; and
once it has ended, on the workspace it leaves. Either way the attempt is the agent's
failure, its reason naming the limit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from enduro.agents.process import Watch

MIB = 1024 * 1024


def tree_bytes(root: Path, stop_above: int | None = None) -> int:
    """Bytes of every regular file under `root` (links are not followed); the walk ends
    as soon as the sum is past `stop_above`."""
    total = 0
    pending = [str(root)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:  # gone meanwhile
                        continue
        except OSError:  # not listable, or gone meanwhile
            continue
        if stop_above is not None and total > stop_above:
            break
    return total


def left_over_limit(workspace: Path, limit_mib: int) -> str | None:
    """Why the workspace an agent left is too large, or None."""
    size = tree_bytes(workspace)
    if size <= limit_mib * MIB:
        return None
    return (
        f"the workspace is {size / MIB:.1f} MiB, over the limit "
        f"agent.limits.workspaceMib = {limit_mib} MiB"
    )


def growth_watch(folders: Sequence[Path], limit_mib: int) -> Watch:
    """A watch that stops the agent once `folders` hold more than the limit together."""

    def over() -> str | None:
        limit = limit_mib * MIB
        total = 0
        for folder in folders:
            total += tree_bytes(folder, stop_above=limit - total)
            if total > limit:
                return (
                    f"stopped: the agent's files grew past the limit "
                    f"agent.limits.workspaceMib = {limit_mib} MiB while it ran"
                )
        return None

    return over
