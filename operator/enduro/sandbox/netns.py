"""A network namespace of the test runner's own: only loopback, shared with the server.

The runner (trusted) enters it before it starts the agent's server, so the server can
reach nothing but the runner, and the runner's suite reaches the server on loopback.
As root one `unshare(CLONE_NEWNET)` does it; otherwise a user namespace comes first.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def enter_private_network() -> None:
    """Move this process into a new network namespace with loopback up. Raises OSError
    when the kernel refuses (the caller reports an infrastructure failure)."""
    if os.geteuid() == 0:
        os.unshare(os.CLONE_NEWNET)
    else:
        uid, gid = os.getuid(), os.getgid()
        os.unshare(os.CLONE_NEWUSER | os.CLONE_NEWNET)
        with open("/proc/self/setgroups", "w") as fh:
            fh.write("deny")
        with open("/proc/self/uid_map", "w") as fh:
            fh.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as fh:
            fh.write(f"{gid} {gid} 1")
    _loopback_up()


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))
