"""Copy a run's outputs into an artifact store, under the same keys as the local layout.

``<store>/<run>/`` mirrors ``enduro run``'s output directory: ``plan.json``,
``report.json``, ``report.md`` (and its plots), and per scenario ``scenario_<i>/`` with
``state.json`` and the StaminaBench-compatible folders of docs/steps.md. Keys depend only
on the run name, the scenario, the turn and the attempt, so a retried or resumed step
overwrites its objects and never adds new ones. The workspace itself is not copied (the
test step's ``agent_code/`` snapshots are); runtime step logs are.
"""

from __future__ import annotations

import threading
from pathlib import Path

from enduro.storage.base import ArtifactStore, join_key

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

    def _changed(self, path: Path) -> bool:
        stat = path.stat()
        signature = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            return self._seen.get(path) != signature

    def _upload(self, path: Path) -> None:
        if self.store is None:
            return
        if not path.is_file() or path.name.startswith(".") or not self._changed(path):
            return
        stat = path.stat()
        key = join_key(self.run, path.relative_to(self.out).as_posix())
        self.store.put_file(key, path)
        with self._lock:
            self._seen[path] = (stat.st_size, stat.st_mtime_ns)

    def ref(self, directory: Path) -> str:
        """The URL of a scenario's artifacts in the store (``status.artifactsRef``)."""
        if self.store is None:
            return str(directory)
        return f"{self.url}/{directory.relative_to(self.out).as_posix()}"

    def scenario(self, directory: Path) -> None:
        """A scenario's outputs after a step (its folder under the run's output)."""
        for folder in SCENARIO_FOLDERS:
            base = directory / folder
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    self._upload(path)
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
