"""Walking and opening a folder untrusted code can write (`enduro.untrusted`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from enduro import untrusted
from enduro.workspace.snapshot import snapshot


def test_a_walk_lists_sorted_paths_and_never_follows_a_link(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.py").write_text("x")
    (tmp_path / "a-c").write_text("y")
    (tmp_path / "cache" / "inner").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("s")
    (tmp_path / "z").symlink_to(tmp_path / "outside", target_is_directory=True)
    os.mkfifo(tmp_path / "pipe")

    entries = list(untrusted.walk(tmp_path, frozenset({"cache"})))

    names = [str(entry.rel) for entry in entries]
    assert names == [
        "a", "a/b", "a/b/f.py", "a-c", "cache", "outside", "outside/secret", "pipe", "z",
    ]  # fmt: skip
    kinds = {str(entry.rel): (entry.is_dir, entry.entered) for entry in entries}
    assert kinds["cache"] == (True, False) and kinds["a"] == (True, True)
    assert kinds["z"] == (False, False), "a link to a folder is an entry, not a folder"


def test_only_regular_files_open(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("content")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()

    opened = {e.name: e.open() for e in untrusted.walk(tmp_path)}

    handle = opened.pop("file")
    assert handle is not None and handle.read() == b"content"
    handle.close()
    assert opened == {"folder": None, "link": None, "pipe": None}
    assert untrusted.open_regular(tmp_path / "missing") is None


def test_a_tree_deeper_than_the_limit_is_cut_there_and_listed(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    deep = ws.joinpath(*["d"] * (untrusted.MAX_DEPTH + 10))
    deep.mkdir(parents=True)
    (deep / "bottom.py").write_text("x")

    entries = list(untrusted.walk(ws))

    assert max(len(entry.rel.parts) for entry in entries) == untrusted.MAX_DEPTH
    assert not entries[-1].entered
    skipped = snapshot(ws, tmp_path / "out")
    assert skipped == ["/".join(["d"] * untrusted.MAX_DEPTH) + "/ (directory skipped)"]


def test_a_missing_folder_holds_nothing(tmp_path: Path) -> None:
    assert list(untrusted.walk(tmp_path / "gone")) == []


def test_removing_an_entry_never_touches_what_a_link_names(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "file").write_text("k")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "tests").symlink_to(kept, target_is_directory=True)

    untrusted.remove(tmp_path / "ws" / "tests")
    untrusted.remove(tmp_path / "ws" / "never-there")

    assert not os.path.lexists(tmp_path / "ws" / "tests")
    assert (kept / "file").read_text() == "k"


def test_set_id_bits_are_cleared_at_any_depth_and_links_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.write_text("not the workspace's")
    outside.chmod(0o4755)
    (root / "link").symlink_to(outside)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(30):  # 30 x 200 characters: past PATH_MAX, where no path reaches
        os.mkdir("d" * 200, dir_fd=fd)
        deeper = os.open("d" * 200, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = deeper
    program = os.open("rootsh", os.O_WRONLY | os.O_CREAT, 0o755, dir_fd=fd)
    os.fchmod(program, 0o6755)
    os.fchmod(fd, 0o2755)

    untrusted.drop_setid(root)

    assert os.fstat(program).st_mode & 0o7777 == 0o755
    assert os.fstat(fd).st_mode & 0o7777 == 0o755
    assert outside.stat().st_mode & 0o7777 == 0o4755
    os.close(program)
    os.close(fd)


def test_a_folder_that_cannot_be_listed_holds_nothing_to_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.py").write_text("x")
    listed = os.scandir

    def refuse_inner(fd: int) -> Iterator[os.DirEntry[str]]:
        with listed(fd) as entries:
            if any(entry.name == "inside.py" for entry in entries):
                raise PermissionError("mode 0300, or removed meanwhile")
        return listed(fd)

    monkeypatch.setattr(untrusted.os, "scandir", refuse_inner)

    assert [str(entry.rel) for entry in untrusted.walk(tmp_path)] == ["locked"]


def test_a_glob_matches_part_by_part_and_never_enters_a_link(tmp_path: Path) -> None:
    for folder in ("logs/one", "logs/two", "outside"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "logs/one/state.json").write_text("1")
    (tmp_path / "logs/two/state.json").write_text("2")
    (tmp_path / "logs/two/other.txt").write_text("-")
    (tmp_path / "outside/state.json").write_text("secret")
    (tmp_path / "logs/three").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "logs/one/linked.json").symlink_to(tmp_path / "outside/state.json")

    found = [str(e.rel) for e in untrusted.glob(tmp_path, "logs/*/*.json")]
    assert found == ["logs/one/linked.json", "logs/one/state.json", "logs/two/state.json"]
    opened = {str(e.rel): e.open() for e in untrusted.glob(tmp_path, "logs/one/*")}
    assert opened.pop("logs/one/linked.json") is None  # a match, never read through
    assert [handle.read() for handle in opened.values() if handle] == [b"1"]
    assert list(untrusted.glob(tmp_path / "missing", "*")) == []
    with pytest.raises(ValueError, match=r"without '\.\.'"):
        list(untrusted.glob(tmp_path, "../outside/*"))


def test_a_capped_read_says_where_it_cut(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as handle:
        handle.truncate(1 << 30)
    with sparse.open("rb") as handle:
        assert untrusted.read_capped(handle, 4) == b"\0" * 4 + b"\n[enduro: truncated at 4 bytes]\n"
    (tmp_path / "small").write_bytes(b"abcd")
    with (tmp_path / "small").open("rb") as handle:
        assert untrusted.read_capped(handle, 4) == b"abcd"
