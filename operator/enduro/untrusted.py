"""Reading and replacing files in a folder that untrusted code can write.

The workspace is the agent's, and on Kubernetes the agent's server writes the workspace
and its log folder while the test runner reads them. Anything there may be a link to a
file the trusted step can read and the agent cannot (the suite, the ground truth, the
runner's own environment under ``/proc/self``), a FIFO that blocks whoever opens it, or
a regular file that becomes one of those between a check and its use. So a trusted
step never checks a path first and then opens it. It opens the entry itself without
following a link (``O_NOFOLLOW``) and without waiting on a FIFO (``O_NONBLOCK``), then
looks at what it opened (``fstat``). A walk goes from an open directory to the next one
the same way, so a directory that is turned into a link after it was listed is not
entered. Writing there replaces the entry by a rename (`write_text_atomic`), and removing
an entry removes the entry, never what a link names.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from enduro.artifacts import write_text_atomic

# Deeper folders are skipped: no source tree needs more, and each level holds a descriptor.
MAX_DEPTH = 64
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_OPEN_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_DIRECTORY


def open_regular(path: Path | str, *, dir_fd: int | None = None) -> BinaryIO | None:
    """``path`` opened for reading if it is a regular file, not a link to one; ``None``
    for anything else (a link, a FIFO, a socket, a device, a folder, nothing)."""
    try:
        fd = os.open(path, _OPEN_FILE, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_tail(path: Path, max_bytes: int) -> bytes | None:
    """The last ``max_bytes`` of ``path`` as `open_regular` opens it (``None``: not a
    regular file)."""
    handle = open_regular(path)
    if handle is None:
        return None
    with handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - max_bytes))
        return handle.read(max_bytes)


def read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of an opened file, with a line saying so when it holds more
    (a sparse file of a terabyte costs its reader nothing past the cap)."""
    data = handle.read(max_bytes + 1)
    if len(data) <= max_bytes:
        return data
    return data[:max_bytes] + b"\n[enduro: truncated at %d bytes]\n" % max_bytes


def remove(path: Path) -> None:
    """Remove the entry ``path`` (a file, a link, a FIFO, a folder and all it holds)
    if there is one; a link is removed itself, what it names is left alone."""
    mode = _lstat_mode(path)
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)  # removes links inside, never follows them
    elif mode:
        path.unlink(missing_ok=True)


def place_text(path: Path, text: str) -> None:
    """Make ``path`` a regular file holding ``text``, whatever entry was there: a folder
    is removed first, anything else is replaced by the rename of `write_text_atomic`."""
    if stat.S_ISDIR(_lstat_mode(path)):
        shutil.rmtree(path)
    write_text_atomic(path, text)


def drop_setid(root: Path) -> None:
    """Clear the set-user-ID and set-group-ID bits of everything under ``root``. Whatever
    an untrusted process left there lies on the machine's disk, owned by whoever started
    the run (root, often): a set-user-ID copy of a shell would let any local user who
    reaches it act as them. GNU ``chmod -R`` follows no link and reaches any depth (a
    walk by path would miss what lies past ``PATH_MAX``)."""
    if root.is_dir():
        subprocess.run(["chmod", "-R", "ug-s", "--", str(root)], capture_output=True, check=False)


def _lstat_mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class Entry:
    """One entry of a walked folder: ``rel`` from the walk's root. A directory (which
    the walk ``entered`` or not), or anything else, which `open` opens while the walk
    stands at it."""

    rel: PurePosixPath
    is_dir: bool
    parent_fd: int
    name: str
    entered: bool = False

    def open(self) -> BinaryIO | None:
        """The entry opened for reading if it is a regular file (see `open_regular`);
        only valid before the walk moves on."""
        return open_regular(self.name, dir_fd=self.parent_fd)


def walk(root: Path, skip_dirs: frozenset[str] = frozenset()) -> Iterator[Entry]:
    """Every entry under ``root`` (itself trusted), in the order of sorted paths, a
    folder before what it holds. Links are entries, never followed; folders named in
    ``skip_dirs`` and those deeper than `MAX_DEPTH` are listed but not entered. A
    ``root`` that does not exist holds nothing."""
    yield from _from_root(root, lambda fd: _walk(fd, PurePosixPath(), skip_dirs))


def _walk(dir_fd: int, rel: PurePosixPath, skip_dirs: frozenset[str]) -> Iterator[Entry]:
    try:
        with os.scandir(dir_fd) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError:  # not listable (its mode, or gone meanwhile): it holds nothing to read
        return
    for name in names:
        try:
            # A real directory opens; a link to one (or anything else) does not.
            child_fd = os.open(name, _OPEN_DIR, dir_fd=dir_fd)
        except OSError:
            yield Entry(rel / name, False, dir_fd, name)
            continue
        try:
            enter = name not in skip_dirs and len(rel.parts) + 1 < MAX_DEPTH
            yield Entry(rel / name, True, dir_fd, name, entered=enter)
            if enter:
                yield from _walk(child_fd, rel / name, skip_dirs)
        finally:
            os.close(child_fd)


def glob(root: Path, pattern: str) -> Iterator[Entry]:
    """The entries under ``root`` (itself trusted) whose path from it matches
    ``pattern``, part by part as `fnmatch` matches (``*`` never crosses a ``/``), in the
    order of sorted paths. Only real folders whose name matches a part are entered, as
    `walk` enters them: a link is a match at the last part at most, never a way in."""
    parts = PurePosixPath(pattern).parts
    if not parts or PurePosixPath(pattern).is_absolute() or ".." in parts:
        raise ValueError(f"{pattern!r}: a pattern relative to the folder, without '..'")
    yield from _from_root(root, lambda fd: _glob(fd, PurePosixPath(), parts))


def _from_root(root: Path, entries: Callable[[int], Iterator[Entry]]) -> Iterator[Entry]:
    """``entries`` of the folder ``root`` opened (a missing one holds nothing)."""
    try:
        fd = os.open(root, _OPEN_DIR & ~os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        yield from entries(fd)
    finally:
        os.close(fd)


def _glob(dir_fd: int, rel: PurePosixPath, parts: tuple[str, ...]) -> Iterator[Entry]:
    head, rest = parts[0], parts[1:]
    try:
        with os.scandir(dir_fd) as entries:
            names = sorted(e.name for e in entries if fnmatch.fnmatchcase(e.name, head))
    except OSError:
        return
    for name in names:
        try:
            child_fd = os.open(name, _OPEN_DIR, dir_fd=dir_fd)
        except OSError:
            if not rest:
                yield Entry(rel / name, False, dir_fd, name)
            continue
        try:
            if rest:
                yield from _glob(child_fd, rel / name, rest)
            else:
                yield Entry(rel / name, True, dir_fd, name)
        finally:
            os.close(child_fd)
