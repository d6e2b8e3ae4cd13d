"""A network namespace of the test runner's own: only loopback, shared with the server
(the agent's forwarder makes one the same way, `enduro.sandbox.forwarder`).

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


SIOCSIFADDR = 0x8916
SIOCSIFNETMASK = 0x891C


def add_loopback_alias(address: str, index: int) -> None:
    """Give this namespace's `lo` the IPv4 `address` too (as `lo:<index>`), so a process
    here that connects to it reaches a listener here."""
    name = f"lo:{index}".encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for request, value in ((SIOCSIFADDR, address), (SIOCSIFNETMASK, "255.255.255.255")):
            sockaddr = struct.pack("=H2s4s8s", socket.AF_INET, b"", socket.inet_aton(value), b"")
            fcntl.ioctl(sock, request, struct.pack("16s16s", name, sockaddr))
