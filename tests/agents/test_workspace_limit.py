"""`agent.limits.workspaceMib`, held while the agent runs and once it has ended."""

from __future__ import annotations

import sys
from pathlib import Path

from enduro.agents.process import run_process
from enduro.agents.workspace_limit import MIB, growth_watch, left_over_limit, tree_bytes


def test_sizes_count_as_the_files_say_links_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "code.py").write_bytes(b"x" * 10)
    with (tmp_path / "sparse").open("wb") as handle:
        handle.truncate(5 * MIB)  # no block on disk, five MiB all the same
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "big").write_bytes(b"y" * 1000)
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    assert tree_bytes(tmp_path) == 5 * MIB + 10
    assert tree_bytes(tmp_path, stop_above=1) <= 5 * MIB + 10
    assert tree_bytes(tmp_path / "missing") == 0
    assert left_over_limit(tmp_path, 6) is None
    assert left_over_limit(tmp_path, 4) == (
        "the workspace is 5.0 MiB, over the limit agent.limits.workspaceMib = 4 MiB"
    )


def test_the_watch_counts_the_folders_together(tmp_path: Path) -> None:
    workspace, scratch = tmp_path / "workspace", tmp_path / "scratch"
    workspace.mkdir()
    scratch.mkdir()
    (workspace / "half").write_bytes(b"x" * (MIB // 2 + 1))
    watch = growth_watch((workspace, scratch), 1)
    assert watch() is None
    (scratch / "half").write_bytes(b"x" * (MIB // 2 + 1))
    assert watch() == (
        "stopped: the agent's files grew past the limit agent.limits.workspaceMib = 1 MiB "
        "while it ran"
    )


def test_a_process_its_watch_stops_is_stopped_with_the_reason_not_timed_out(
    tmp_path: Path,
) -> None:
    looks: list[int] = []

    def watch() -> str | None:
        looks.append(1)
        return "enough" if len(looks) == 2 else None

    finished = run_process(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        cwd=tmp_path,
        env={},
        timeout=120,
        stdout=tmp_path / "out.log",
        watch=watch,
    )
    assert (finished.stopped, finished.timed_out, len(looks)) == ("enough", False, 2)
    assert finished.returncode is not None and finished.returncode < 0  # its group killed


def test_without_a_reason_to_stop_the_watch_changes_nothing(tmp_path: Path) -> None:
    finished = run_process(
        [sys.executable, "-c", "import time; time.sleep(1.5); print('done')"],
        cwd=tmp_path,
        env={},
        timeout=60,
        stdout=tmp_path / "out.log",
        watch=lambda: None,
    )
    assert (finished.stopped, finished.timed_out, finished.returncode) == (None, False, 0)
    assert (tmp_path / "out.log").read_text() == "done\n"
