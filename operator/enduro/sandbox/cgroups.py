"""Process-count and memory limits of a sandbox, through cgroups where we may make them.

bubblewrap has no such limits, and `RLIMIT_NPROC` counts every process of the invoking
user, so a sandbox joins fresh cgroups (v1 `pids` and `memory` hierarchies, or one v2
group) before it starts: a shell writes its own pid into them, then execs bubblewrap, so
nothing untrusted runs outside them. Creating cgroups needs root (or a delegated v2
subtree); where that is not possible the limits are not applied, and
`cgroup_problem()` says so (docs/security.md). The groups are removed, and anything
left in them killed, when the sandboxed process is done.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PREFIX = "enduro-"
_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|K|M|G|T)?$")
_FACTORS = {
    None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}  # fmt: skip


@dataclass(frozen=True)
class ProcessLimits:
    processes: int | None = None
    """At most this many processes and threads at once (a fork bomb stops there)."""
    memory_bytes: int | None = None
    """Memory of all its processes together; past it the kernel kills one (OOM)."""


def parse_quantity(text: str) -> int:
    """Bytes of a Kubernetes memory quantity (`512Mi`, `2G`, `1000000`)."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a memory quantity like 512Mi or 2Gi")
    return int(match.group(1)) * _FACTORS[match.group(2)]


def _v2() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").is_file()


def _parents(limits: ProcessLimits) -> list[tuple[Path, dict[str, str]]]:
    """(parent group, {file: value}) per hierarchy the limits need."""
    if _v2():
        files = {}
        if limits.processes is not None:
            files["pids.max"] = str(limits.processes)
        if limits.memory_bytes is not None:
            files["memory.max"] = str(limits.memory_bytes)
            files["memory.swap.max"] = "0"
        return [(CGROUP_ROOT, files)] if files else []
    found = []
    if limits.processes is not None:
        found.append((CGROUP_ROOT / "pids", {"pids.max": str(limits.processes)}))
    if limits.memory_bytes is not None:
        found.append((CGROUP_ROOT / "memory", {"memory.limit_in_bytes": str(limits.memory_bytes)}))
    return found


@functools.cache
def cgroup_problem() -> str | None:
    """None when limits can be applied here; otherwise why not."""
    probe = ProcessLimits(processes=64, memory_bytes=64 * 2**20)
    try:
        groups = _create(probe)
    except OSError as exc:
        return f"cannot create cgroups under {CGROUP_ROOT} ({exc}): run as root, or delegate one"
    for group in groups:
        _remove(group)
    return None if groups else "no pids or memory cgroup controller here"


def _create(limits: ProcessLimits) -> list[Path]:
    created: list[Path] = []
    name = GROUP_PREFIX + uuid.uuid4().hex[:12]
    try:
        for parent, files in _parents(limits):
            group = parent / name
            group.mkdir()
            created.append(group)
            for file, value in files.items():
                if (group / file).exists():
                    (group / file).write_text(value)
    except OSError:
        for group in created:
            _remove(group)
        raise
    return created


def _remove(group: Path) -> None:
    """Kill what is left in `group`, then remove it."""
    for _ in range(50):
        with contextlib.suppress(OSError):
            group.rmdir()
            return
        with contextlib.suppress(OSError):
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)
        os.sched_yield()


@contextmanager
def limited(limits: ProcessLimits, argv: list[str]) -> Iterator[list[str]]:
    """`argv` made to run inside fresh cgroups with `limits` (unchanged where cgroups
    cannot be made here); keep the block open until the process has ended."""
    if cgroup_problem() is not None or (limits.processes is None and limits.memory_bytes is None):
        yield argv
        return
    groups = _create(limits)
    try:
        procs = [str(group / "cgroup.procs") for group in groups]
        joins = " && ".join(f'echo $$ > "${i}"' for i in range(1, len(procs) + 1))
        yield ["sh", "-c", f'{joins} && shift {len(procs)} && exec "$@"', "sh", *procs, *argv]
    finally:
        for group in groups:
            _remove(group)
