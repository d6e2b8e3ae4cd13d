"""Waiting for a step's processes: the moment one exits is seen at once, as the kernel
reports it, not at the next look of a polling loop."""

from __future__ import annotations

import os
import resource
import subprocess
import time

import pytest

from enduro.procgroup import kill_group, wait_for


def no_polling(seconds: float) -> None:
    raise AssertionError(f"polled: slept {seconds} s")


def test_a_process_that_exits_is_seen_without_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = subprocess.Popen(["sh", "-c", "sleep 0.2; exit 3"])
    monkeypatch.setattr(time, "sleep", no_polling)  # Popen.wait(timeout) sleeps between looks

    assert wait_for(proc, 30) == 3
    assert proc.returncode == 3


def test_a_process_still_running_at_the_timeout_raises_as_popen_does() -> None:
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            wait_for(proc, 0.05)
        assert proc.returncode is None
    finally:
        kill_group(proc, grace=1)
    assert proc.returncode is not None


def test_a_process_already_reaped_gives_its_exit_code() -> None:
    proc = subprocess.Popen(["sh", "-c", "exit 5"])
    proc.wait()

    assert wait_for(proc, 1) == 5


def test_a_stopped_group_is_reaped_without_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    monkeypatch.setattr(time, "sleep", no_polling)

    kill_group(proc, grace=5)

    assert proc.returncode == -15


def test_a_process_with_descriptors_past_1024_still_waits_without_polling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """select() cannot watch a descriptor past 1024; a busy step may hold that many."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        proc = subprocess.Popen(["sh", "-c", "exit 4"], close_fds=True)
        monkeypatch.setattr(time, "sleep", no_polling)
        assert wait_for(proc, 30) == 4
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
