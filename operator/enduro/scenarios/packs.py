"""A scenario's files as one deterministic zip archive: its *pack*.

A set at paper scale is tens of thousands of files, most of them near copies of the
turn before (documents and modules that grow by a few sections a turn). Files one by one
cost the kernel a file and folder each and keep every byte; a pack per scenario is one
file, every member deflated (level 1: about six times smaller, and cheap to make).

Each distinct content is compressed once: a later path with the same bytes (an unchanged
suite module, ``run.sh``) gets a member of its own holding the same compressed bytes, so
any zip tool lists and extracts the scenario's whole tree (``unzip scenario_000.zip``),
and reading a path is one seek. Members carry no time and a fixed mode, so the pack's
bytes are a function of its members and their order (and of the deflate library: the
set's identity is its files' digests, not its packs'). The writer is our own (the zip
format's plain subset: no ZIP64, no data descriptors) because ``zipfile`` compresses
every member it writes; ``zipfile`` reads packs, checking each member's CRC.

The deflate is libdeflate's (the ``deflate`` package), not zlib's: at level 1 it writes
a stream a little smaller than zlib's level 1 about 1.5 times faster (compression was a
fifth of an export's CPU), and its output is a function of its input and its version.
ISA-L's (``isal``), faster still, was tried and dropped: about one member in a million
came out different, for the same input, in another process. Any inflater reads either.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from pathlib import Path

import deflate

SUFFIX = ".zip"
NAME = re.compile(r"scenario_\d{3,}\.zip")
"""What a pack may be called: the manifest names packs, and a reader opens no other file."""

_LOCAL_START = struct.Struct("<I")  # signature
_CENTRAL_START = struct.Struct("<IH")  # signature, made by
_FIELDS = struct.Struct("<HHHHHIIIHH")
_CENTRAL_END = struct.Struct("<HHHII")  # comment length, disk, attributes, offset
_END = struct.Struct("<IHHHHIIH")
_LOCAL_SIGNATURE = 0x04034B50
_CENTRAL_SIGNATURE = 0x02014B50
_END_SIGNATURE = 0x06054B50
_VERSION = 20  # deflate, no ZIP64
_MADE_BY = (3 << 8) | _VERSION  # on unix: the external attributes hold a file mode
_UTF8_NAMES = 0x0800
_DEFLATED = 8
_DOS_DATE = (1 << 5) | 1  # 1980-01-01 00:00, the format's earliest: members carry no time
_FILE_MODE = 0o100644 << 16
_MEMBERS = 0xFFFF  # past these a zip needs ZIP64
_BYTES = 0xFFFFFFFF
_FLUSH = 4 * 1024 * 1024
_IOV_MAX = 1024  # pieces one writev takes (Linux's limit)


class PackTooLargeError(ValueError):
    """A pack would need ZIP64 (more than 65,535 members or 4 GiB)."""


class PackWriter:
    """Writes ``path`` member by member; ``close`` adds the central directory and gives
    the pack's SHA-256. ``add`` takes the content's digest, which the caller has for the
    manifest anyway, and compresses each digest's bytes once."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        # Pieces waiting to be written, each hashed and written as it is (one writev),
        # not copied into one growing buffer.
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._offset = 0
        self._sha = hashlib.sha256()
        self._central: list[bytes] = []
        self._deflated: dict[str, tuple[int, int, bytes]] = {}

    def add(self, name: str, data: bytes, digest: str) -> None:
        deflated = self._deflated.get(digest)
        if deflated is None:
            deflated = (deflate.crc32(data), len(data), bytes(deflate.deflate_compress(data, 1)))
            self._deflated[digest] = deflated
        crc, size, body = deflated
        encoded = name.encode("utf-8")
        if len(self._central) == _MEMBERS or self._offset > _BYTES:
            raise PackTooLargeError(f"{name}: a pack holds at most {_MEMBERS} members and 4 GiB")
        # The fields both headers carry alike: version needed, flags, method, time,
        # date, CRC, sizes, name length, no extra field.
        fields = _FIELDS.pack(
            _VERSION, _UTF8_NAMES, _DEFLATED, 0, _DOS_DATE, crc, len(body), size, len(encoded), 0
        )
        self._central.append(
            _CENTRAL_START.pack(_CENTRAL_SIGNATURE, _MADE_BY)
            + fields
            + _CENTRAL_END.pack(0, 0, 0, _FILE_MODE, self._offset)
            + encoded
        )
        self._write(_LOCAL_START.pack(_LOCAL_SIGNATURE) + fields + encoded)
        self._write(body)

    def close(self) -> str:
        """Finish the pack; its SHA-256 hex digest."""
        start = self._offset
        for entry in self._central:
            self._write(entry)
        if self._offset > _BYTES:
            raise PackTooLargeError(f"a pack holds at most {_MEMBERS} members and 4 GiB")
        count = len(self._central)
        self._write(_END.pack(_END_SIGNATURE, 0, 0, count, count, self._offset - start, start, 0))
        self._flush()
        return self._sha.hexdigest()

    def __enter__(self) -> PackWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def _write(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_bytes += len(data)
        self._offset += len(data)
        if self._pending_bytes >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        for piece in self._pending:
            self._sha.update(piece)
        views = [memoryview(piece) for piece in self._pending]
        start = 0
        while start < len(views):
            written = os.writev(self._fd, views[start : start + _IOV_MAX])
            while start < len(views) and written >= len(views[start]):
                written -= len(views[start])
                start += 1
            if written:
                views[start] = views[start][written:]
        self._pending.clear()
        self._pending_bytes = 0
