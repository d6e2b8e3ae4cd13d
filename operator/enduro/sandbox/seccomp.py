"""The system calls a sandbox may not make: a seccomp filter, as pods get `RuntimeDefault`.

Namespaces hide files, processes and the network, but some kernel state is shared with
whoever runs `enduro run`: the kernel keyrings (a sandboxed process could read the keys
of the session it was started from: Kerberos tickets, tokens kept there), and interfaces
that are mostly kernel attack surface (io_uring, eBPF, userfaultfd, perf events). bwrap
loads this filter before it starts the sandboxed command (`--seccomp FD`); a denied call
fails with EPERM, as under Docker's default profile, and nothing else changes. Calls
that need capabilities the sandbox does not have (mounts, modules, reboot) are denied
too: one more layer.

The filter is classic BPF, built here without libseccomp. Syscall numbers are the
architecture's: only x86_64's are known (`program` returns None elsewhere, and the
sandbox runs without a filter, which docs/security.md says). On x86_64 a call through
another ABI (i386's `int 0x80`, x32) has other numbers, so it is denied whole.
"""

from __future__ import annotations

import errno
import struct

# linux/audit.h; syscall numbers from asm/unistd_64.h.
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
DENIED_X86_64 = {
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "acct": 163,
    "quotactl": 179,
    "syslog": 103,
}
ARCHES = {"x86_64": (AUDIT_ARCH_X86_64, DENIED_X86_64)}

# Classic BPF (linux/filter.h, linux/seccomp.h).
LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
JUMP_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JUMP_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
RETURN = 0x06  # BPF_RET | BPF_K
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
NR_OFFSET, ARCH_OFFSET = 0, 4  # in struct seccomp_data


def _op(code: int, k: int, jump_true: int = 0, jump_false: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jump_true, jump_false, k)


def program(machine: str) -> bytes | None:
    """The filter for `machine` (`platform.machine()`), or None where its syscall
    numbers are not known here."""
    if machine not in ARCHES:
        return None
    arch, denied = ARCHES[machine]
    numbers = sorted(set(denied.values()))
    # Laid out as: arch check, load nr, x32 check, one test per denied call, allow, deny.
    # A jump's offset counts the instructions it skips after itself.
    tests = len(numbers)
    to_deny = tests + 1  # from after the x32 check: every test, then the allow
    ops = [
        _op(LOAD_WORD, ARCH_OFFSET),
        _op(JUMP_EQUAL, arch, 0, to_deny + 2),  # another ABI: its numbers differ
        _op(LOAD_WORD, NR_OFFSET),
        _op(JUMP_AT_LEAST, X32_SYSCALL_BIT, to_deny, 0),
    ]
    for index, number in enumerate(numbers):
        ops.append(_op(JUMP_EQUAL, number, tests - index, 0))
    ops += [_op(RETURN, RET_ALLOW), _op(RETURN, RET_ERRNO | errno.EPERM)]
    return b"".join(ops)
