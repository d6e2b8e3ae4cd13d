"""Copy a run's outputs into an artifact store, under the same keys as the local layout.

``<store>/<run>/`` mirrors ``enduro run``'s output directory: ``plan.json``,
``report.json``, ``report.md`` (and its plots), and per scenario ``scenario_<i>/`` with
``state.json`` and the StaminaBench-compatible folders of docs/steps.md. Keys depend only
on the run name, the scenario, the turn and the attempt, so a retried or resumed step
overwrites its objects and never adds new ones. The workspace itself is not copied (the
test step's ``agent_code/`` snapshots are); runtime step logs are.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import BinaryIO

from enduro.storage.base import ArtifactStore, join_key
from enduro.untrusted import open_regular, walk

SCENARIO_FOLDERS = (
    "changes",
    "schemas",
    "test_suites",
    "ground_truth",
    "agent_code",
    "agent_logs",
    "trajectory",
    "server_logs",
    "test_results",
    "step_logs",
    "checkpoints",
)
# What the agent (its container, on Kubernetes) or its server can write: a sparse
# terabyte or a million files there must not become as many uploads.
UNTRUSTED_FOLDERS = frozenset({"agent_logs", "trajectory", "server_logs"})
UNTRUSTED_FILE_BYTES = 64 * 1024 * 1024
UNTRUSTED_FILES = 10_000  # per folder
SCENARIO_FILES = ("state.json",)
RUN_FILES = ("plan.json", "report.json", "report.md")


class RunUploader:
    """After each step: uploads what changed since the last call (without a store:
    nothing; the test step writes the turn checkpoints). Safe to call from scenario
    threads."""

    def __init__(self, store: ArtifactStore | None, run: str, out: Path) -> None:
        self.store = store
        self.run = run
        self.out = out
        self._seen: dict[Path, tuple[int, int]] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        if self.store is None:
            return str(self.out)
        return f"{self.store.url.rstrip('/')}/{self.run}"

    def _upload(self, path: Path) -> None:
        if self.store is not None and not path.name.startswith("."):
            self._put(path, open_regular(path))

    def _put(self, path: Path, handle: BinaryIO | None) -> None:
        """Upload the regular file open as ``handle`` (None: not one) as ``path``'s key,
        through its descriptor: on a cluster the agent wrote its log folders and the
        server still writes its own, and a link there must not upload what it names (the
        runner's files, its /proc/self; `enduro.untrusted`)."""
        if self.store is None or handle is None:
            return
        with handle:
            stat = os.fstat(handle.fileno())
            signature = (stat.st_size, stat.st_mtime_ns)
            with self._lock:
                if self._seen.get(path) == signature:
                    return
            key = join_key(self.run, path.relative_to(self.out).as_posix())
            self.store.put_file(key, Path(f"/proc/self/fd/{handle.fileno()}"))
        with self._lock:
            self._seen[path] = signature

    def ref(self, directory: Path) -> str:
        """The URL of a scenario's artifacts in the store (``status.artifactsRef``)."""
        if self.store is None:
            return str(directory)
        return f"{self.url}/{directory.relative_to(self.out).as_posix()}"

    def scenario(self, directory: Path) -> None:
        """A scenario's outputs after a step (its folder under the run's output)."""
        for folder in SCENARIO_FOLDERS:
            base = directory / folder
            if self.store is None or base.is_symlink() or not base.is_dir():
                continue
            bounded = folder in UNTRUSTED_FOLDERS
            files = 0
            for entry in walk(base):
                if entry.is_dir or entry.name.startswith("."):
                    continue
                handle = entry.open()
                if bounded and handle is not None and not _within_caps(handle, files):
                    handle.close()
                    continue
                files += handle is not None
                self._put(base.joinpath(*entry.rel.parts), handle)
        for name in SCENARIO_FILES:
            self._upload(directory / name)

    def finish(self) -> None:
        """Everything once more (a step cut short may have left files) and the reports."""
        for directory in sorted(self.out.glob("scenario_*")):
            if directory.is_dir():
                self.scenario(directory)
        for name in RUN_FILES:
            self._upload(self.out / name)
        for plot in sorted(self.out.glob("*.png")):
            self._upload(plot)


def _within_caps(handle: BinaryIO, uploaded: int) -> bool:
    """Whether a file of a folder untrusted code writes is uploaded: within the size cap,
    and while the folder's count is under its cap."""
    return uploaded < UNTRUSTED_FILES and os.fstat(handle.fileno()).st_size <= (
        UNTRUSTED_FILE_BYTES
    )
