"""Snapshots keep the agent's code and leave out what could fill the disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from enduro.workspace import snapshot as snap


def test_snapshot_copies_code_and_skips_huge_files_and_caches(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "pkg").mkdir(parents=True)
    (ws / "app.py").write_text("print('hi')\n")
    (ws / "pkg" / "mod.py").write_text("x = 1\n")
    (ws / "node_modules" / "dep").mkdir(parents=True)
    (ws / "node_modules" / "dep" / "index.js").write_text("//")
    with (ws / "huge.bin").open("wb") as fh:
        fh.truncate(snap.FILE_CAP_BYTES + 1)  # sparse: costs no disk in the test
    (ws / "link").symlink_to("/etc/passwd")

    skipped = snap.snapshot(ws, tmp_path / "out")

    out = tmp_path / "out"
    assert (out / "app.py").read_text() == "print('hi')\n"
    assert (out / "pkg" / "mod.py").exists()
    assert not (out / "huge.bin").exists()
    assert not (out / "node_modules").exists()
    assert not (out / "link").exists()
    listed = (out / snap.SKIPPED_LIST).read_text()
    assert "huge.bin" in listed and "node_modules/" in listed and "link" in listed
    assert len(skipped) == 3


def test_snapshot_stops_at_the_total_cap(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(snap, "TOTAL_CAP_BYTES", 250)
    ws = tmp_path / "ws"
    ws.mkdir()
    for i in range(5):
        (ws / f"f{i}.txt").write_text("x" * 100)
    snap.snapshot(ws, tmp_path / "out")
    copied = sorted(p.name for p in (tmp_path / "out").glob("f*.txt"))
    assert copied == ["f0.txt", "f1.txt"]


def test_a_million_empty_files_stop_at_the_file_count_cap_and_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snap, "FILE_COUNT_CAP", 3)
    monkeypatch.setattr(snap, "SKIPPED_NAMED", 2)
    ws = tmp_path / "ws"
    ws.mkdir()
    for i in range(8):
        (ws / f"empty{i}").touch()
    skipped = snap.snapshot(ws, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").glob("empty*")) == [
        "empty0", "empty1", "empty2",
    ]  # fmt: skip
    assert len(skipped) == 5
    listed = (tmp_path / "out" / snap.SKIPPED_LIST).read_text().splitlines()
    assert listed == [
        "empty3 (snapshot full at 3 files)", "empty4 (snapshot full at 3 files)", "... and 3 more",
    ]  # fmt: skip
