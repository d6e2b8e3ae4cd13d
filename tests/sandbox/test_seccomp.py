"""The system calls a sandbox may not make (`enduro.sandbox.seccomp`): the filter read
instruction by instruction, then mounted against the calls an agent would use."""

from __future__ import annotations

import ctypes
import errno
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from confined import run_confined

from enduro.sandbox import launch
from enduro.sandbox.launch import sandbox_problem
from enduro.sandbox.seccomp import AUDIT_ARCH_X86_64, DENIED_X86_64, RET_ALLOW, RET_ERRNO, program

DENIED = RET_ERRNO | errno.EPERM
AUDIT_ARCH_I386 = 0x40000003
ALLOWED_X86_64 = {"read": 0, "write": 1, "openat": 257, "clone": 56, "execve": 59, "ptrace": 101}


def _run_filter(filter_program: bytes, arch: int, nr: int) -> int:
    """What the kernel would return for a call: the filter's classic BPF, interpreted
    (only the instructions it uses)."""
    ops = [
        struct.unpack("=HBBI", filter_program[i : i + 8]) for i in range(0, len(filter_program), 8)
    ]
    data = {0: nr, 4: arch}
    accumulator, pc = 0, 0
    while True:
        code, jump_true, jump_false, k = ops[pc]
        if code == 0x20:
            accumulator = data[k]
        elif code == 0x06:
            return k
        elif code in (0x15, 0x35):
            taken = accumulator == k if code == 0x15 else accumulator >= k
            pc += jump_true if taken else jump_false
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")
        pc += 1


def test_the_filter_denies_exactly_its_list_on_x86_64() -> None:
    filter_program = program("x86_64")
    assert filter_program is not None
    for name, nr in DENIED_X86_64.items():
        assert _run_filter(filter_program, AUDIT_ARCH_X86_64, nr) == DENIED, name
    for name, nr in ALLOWED_X86_64.items():
        assert _run_filter(filter_program, AUDIT_ARCH_X86_64, nr) == RET_ALLOW, name
    denied_count = sum(
        _run_filter(filter_program, AUDIT_ARCH_X86_64, nr) == DENIED for nr in range(512)
    )
    assert denied_count == len(DENIED_X86_64)


def test_another_abi_on_x86_64_cannot_reach_a_denied_call_by_its_own_number() -> None:
    """i386's `int 0x80` numbers keyctl 288 and x32 sets a high bit: both denied whole."""
    filter_program = program("x86_64")
    assert filter_program is not None
    assert _run_filter(filter_program, AUDIT_ARCH_I386, 288) == DENIED
    assert _run_filter(filter_program, AUDIT_ARCH_I386, 3) == DENIED
    assert _run_filter(filter_program, AUDIT_ARCH_X86_64, 0x40000000 | 250) == DENIED


def test_an_architecture_whose_numbers_are_not_known_gets_no_filter() -> None:
    assert program("riscv64") is None


KEY_PROBE = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
key = libc.syscall(250, 10, -3, b"user", b"enduro-test-canary", 0)  # keyctl SEARCH, session
if key < 0:
    print("keyring:", os.strerror(ctypes.get_errno()))
else:
    buf = ctypes.create_string_buffer(64)
    size = libc.syscall(250, 11, key, buf, 64)  # keyctl READ
    print("keyring:", buf.raw[:size].decode())
for name, nr, args in (("io_uring_setup", 425, (8, 0)), ("bpf", 321, (0, 0, 0)),
                       ("perf_event_open", 298, (0, 0, -1, -1, 0)), ("userfaultfd", 323, (0,))):
    result = libc.syscall(nr, *args)
    print(f"{name}:", "made" if result >= 0 else os.strerror(ctypes.get_errno()))
"""


@pytest.fixture
def session_key() -> Iterator[None]:
    """A secret in this process's session keyring, which every child inherits."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    key = libc.syscall(248, b"user", b"enduro-test-canary", b"the-secret", 10, -3)
    assert key > 0, "the kernel keyring is not available here"
    yield
    libc.syscall(250, 21, key)  # KEYCTL_INVALIDATE


def _probe(tmp_path: Path) -> list[str]:
    problem = sandbox_problem()
    if problem is not None:
        pytest.fail(f"this test needs bubblewrap here: {problem}")
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    (workspace / "probe.py").write_text(KEY_PROBE)
    done = run_confined(workspace, ["python", "probe.py"])
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_sandbox_reads_no_key_of_the_session_that_started_it(
    tmp_path: Path, session_key: None
) -> None:
    assert _probe(tmp_path) == [
        "keyring: Operation not permitted",
        "io_uring_setup: Operation not permitted",
        "bpf: Operation not permitted",
        "perf_event_open: Operation not permitted",
        "userfaultfd: Operation not permitted",
    ]


def test_without_the_filter_the_same_probe_reads_the_key(
    tmp_path: Path, session_key: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack the filter stops: namespaces alone leave the keyring shared."""
    monkeypatch.setattr(launch, "_syscall_filter", lambda: None)
    assert _probe(tmp_path)[0] == "keyring: the-secret"
