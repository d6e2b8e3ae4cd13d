"""Where and how one scorer process runs: a sandbox that sees the workspace read-only.

Each scoring function gets a fresh private folder of its own (`Place`): `work/` is the
scorer's writable directory (`$ENDURO_SCORER_DIR`, where test files are written when
scoring starts), `script/` holds its script, read-only inside, and `logs/` its output,
never visible inside. Confined, the process runs under bubblewrap with the workspace
read-only, a private `/tmp`, a network namespace of its own (loopback only), no
enduro checkout, output folder or artifacts, and an environment of our choosing (no
secrets). Its score is parsed only from its own stdout.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from enduro.agents.process import run_process
from enduro.sandbox.cgroups import ProcessLimits
from enduro.sandbox.launch import BIN_INSIDE, SERVER_PACKAGES, python_for_servers
from enduro.sandbox.policy import Confinement

OUTPUT_KEEP_BYTES = 64 * 1024  # of a scorer's output kept in its result
STDERR_KEEP_BYTES = 16 * 1024  # of those, at most this much of stderr
NOTE_BYTES = 256  # room for the notes that say what was cut
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# pytest besides Flask, so a test-based scorer can say `python -m pytest`.
SCORER_PACKAGES = (
    *SERVER_PACKAGES,
    "pytest",
    "_pytest",
    "pluggy",
    "iniconfig",
    "packaging",
    "pygments",
    "py",
)
SCORER_LIMITS = ProcessLimits(processes=512, memory_bytes=4 * 2**30)


@dataclass(frozen=True)
class Place:
    """One scoring function's private folder and the workspace it scores."""

    workspace: Path
    workdir: Path
    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def script(self) -> Path:
        return self.root / "script"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


@contextmanager
def private_place(workspace: Path, workdir: Path) -> Iterator[Place]:
    """A fresh mode-0700 folder outside the workspace, removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="enduro-scorer-"))
    place = Place(workspace=workspace, workdir=workdir, root=root)
    try:
        for directory in (place.work, place.script, place.logs):
            directory.mkdir()
        yield place
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class Tools:
    """Programs a scorer needs besides the sandbox's Python: directories put first on
    PATH and made readable (a requirements virtualenv), files lent (ast-grep)."""

    path: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = ()
    lent: tuple[tuple[Path, Path], ...] = ()


NO_TOOLS = Tools()


@dataclass(frozen=True)
class Ran:
    """How a scorer process ended, and what it printed."""

    exit_code: int | None
    timed_out: bool
    seconds: float
    start_error: str | None
    stdout: str = ""
    """The last 64 KiB of stdout: where its score is."""
    output: str = ""
    """Its output for the result: the end of stdout and of stderr, within the cap."""


def run_scorer(
    argv: Sequence[str],
    place: Place,
    *,
    timeout: float,
    confined: bool,
    env: Mapping[str, str] | None = None,
    tools: Tools = NO_TOOLS,
) -> Ran:
    """Run `argv` in the workspace's working directory; never raises for what it does."""
    readable, lent = python_for_servers(SCORER_PACKAGES) if confined else ((), ())
    confinement = Confinement(
        cwd=place.workdir,
        writable=(place.work,),
        readable=(place.workspace, place.script, *readable, *tools.readable),
        lent=(*lent, *tools.lent),
        share_network=False,
        limits=SCORER_LIMITS,
    )
    finished = run_process(
        argv,
        cwd=place.workdir,
        env=_environment(place, confined, tools, env or {}),
        timeout=timeout,
        stdout=place.logs / "stdout.log",
        stderr=place.logs / "stderr.log",
        confinement=confinement if confined else None,
    )
    return Ran(
        exit_code=finished.returncode,
        timed_out=finished.timed_out,
        seconds=round(finished.seconds, 3),
        start_error=finished.start_error,
        stdout=finished.tail,
        output=_kept_output(place.logs, finished.tail),
    )


def _environment(
    place: Place, confined: bool, tools: Tools, extra: Mapping[str, str]
) -> dict[str, str]:
    """Only what a scorer needs: nothing of ours (no credentials) is passed on."""
    python_dir = str(BIN_INSIDE) if confined else str(Path(sys.executable).parent)
    path = os.pathsep.join([*map(str, tools.path), python_dir, SYSTEM_PATH])
    return {
        **extra,
        "PATH": path,
        "HOME": str(place.work),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # the workspace is read-only
        "ENDURO_SCORER_DIR": str(place.work),
    }


def _kept_output(logs: Path, stdout_tail: str) -> str:
    stderr = _tail(logs / "stderr.log", STDERR_KEEP_BYTES)
    room = OUTPUT_KEEP_BYTES - len(stderr.encode()) - NOTE_BYTES
    stdout_log = logs / "stdout.log"
    printed = stdout_log.stat().st_size if stdout_log.exists() else 0
    stdout = stdout_tail.encode()[-room:].decode("utf-8", errors="ignore")
    if printed > len(stdout.encode()):
        stdout = f"[... cut: only the last {room // 1024} KiB of stdout are kept ...]\n{stdout}"
    return stdout + (f"\n--- stderr ---\n{stderr}" if stderr else "")


def _tail(path: Path, keep: int) -> str:
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - keep))
            data = fh.read()
    except OSError:
        return ""
    prefix = b"[... stderr cut ...]\n" if size > keep else b""
    return (prefix + data).decode("utf-8", errors="replace")
