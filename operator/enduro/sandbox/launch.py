"""Starting a process under a `Confinement`: the machine-dependent half of the sandbox.

`sandbox_problem` says once per process whether bubblewrap can run here, and if not,
how to fix it. `prepared` opens every directory the sandbox borrows (as root we can
open what the sandbox user could not reach) and yields the command line and the
`Popen` arguments. Inside, the process is `SANDBOX_UID` in a user namespace of its own,
with no capability over anything outside; files it creates belong to whoever started
the run.

The system directories are bound whole, so a folder that must stay hidden and lies
inside one (Enduro installed under `/opt` or `/usr`, as in its own image; a run's
output folder under `/opt`) is masked by an empty one: Enduro's own installation always,
and what the step command registered with `hide_from_sandboxes` (its artifact root and
the run's output folder).
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from enduro.sandbox import seccomp
from enduro.sandbox.egress import Route, forwarded, hosts_file
from enduro.sandbox.policy import SYSTEM_DIRS, USR_MERGED, Confinement, bwrap_argv

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap), or pass --unsandboxed to run without it (scores are then marked as not "
    "tamper-proof)"
)
USERNS_HINT = (
    "enable unprivileged user namespaces (sysctl -w user.max_user_namespaces=15000; on "
    "Debian/Ubuntu also kernel.unprivileged_userns_clone=1 and, on Ubuntu 24.04+, "
    "kernel.apparmor_restrict_unprivileged_userns=0), or pass --unsandboxed"
)
# What a server (and an agent trying its own server) needs besides the standard library.
SERVER_PACKAGES = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")
TOOLS_INSIDE = Path("/run/enduro")
PYTHON_INSIDE = TOOLS_INSIDE / "python"
BIN_INSIDE = TOOLS_INSIDE / "bin"
PROBE_TIMEOUT_SECONDS = 30


_HIDDEN: list[Path] = []  # this process's step command: see `hide_from_sandboxes`
HIDDEN_ENV = "ENDURO_SANDBOX_HIDDEN"
"""Folders (``os.pathsep``-separated) that no sandbox of a step may show: `enduro run`
gives its steps the run's output folder here."""


class SandboxError(RuntimeError):
    """A sandbox cannot be created here; the message says why and how to fix it."""


@dataclass(frozen=True)
class Launch:
    """A confined command, ready for `subprocess.Popen(argv, **popen_kwargs)`."""

    argv: list[str]
    pass_fds: tuple[int, ...]
    egress: tuple[Route, ...] | None = None

    def popen_kwargs(self) -> dict[str, Any]:
        return {"pass_fds": self.pass_fds}

    def in_network(self, argv: list[str]) -> list[str]:
        """`argv` (this launch's command, perhaps wrapped to join cgroups) started in
        the sandbox's own network namespace when it has egress routes; the forwarder
        itself stays outside the sandbox and its cgroups."""
        return argv if self.egress is None else forwarded(self.egress, argv)


def _existing_system_dirs() -> frozenset[str]:
    found = {d for d in SYSTEM_DIRS if os.path.isdir(d)}
    for d in USR_MERGED:
        if os.path.islink(d):
            found.add(f"{d}->{os.readlink(d)}")
        elif os.path.isdir(d):
            found.add(d)
    return frozenset(found)


@functools.cache
def _owner_only() -> tuple[tuple[str, bool], ...]:
    """Files and directories under the system directories that others may not read
    (/etc/shadow, private keys). The sandbox's user maps to their owner when we are
    root, so they are masked; found once per process."""
    if os.geteuid() != 0:
        return ()
    found: list[tuple[str, bool]] = []
    stack = [d for d in SYSTEM_DIRS if d != "/usr" and os.path.isdir(d)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                if mode & stat.S_IXOTH and mode & stat.S_IROTH:
                    stack.append(entry.path)
                else:
                    found.append((entry.path, True))
            elif stat.S_ISREG(mode) and not mode & stat.S_IROTH:
                found.append((entry.path, False))
    return tuple(sorted(found))


@contextmanager
def prepared(confinement: Confinement, argv: list[str]) -> Iterator[Launch]:
    """The bubblewrap command for `argv`; the borrowed directories stay open until the
    block ends (start the process inside it)."""
    fds: dict[Path, int] = {}
    hosts_path = None
    filter_fd = None
    try:
        for host, _inside, _writable in confinement.binds():
            fds[host] = os.open(host, os.O_PATH | os.O_CLOEXEC)
        if (syscall_filter := _syscall_filter()) is not None:
            filter_fd = os.memfd_create("enduro-seccomp", os.MFD_CLOEXEC)
            os.write(filter_fd, syscall_filter)
            os.lseek(filter_fd, 0, os.SEEK_SET)
        hosts = None
        if confinement.egress is not None:
            handle, name = tempfile.mkstemp(prefix="enduro-hosts-")
            hosts_path = Path(name)
            os.write(handle, hosts_file(confinement.egress).encode())
            os.fchmod(handle, 0o644)
            os.close(handle)
            hosts = fds[hosts_path] = os.open(hosts_path, os.O_PATH | os.O_CLOEXEC)
        named = os.environ.get(HIDDEN_ENV, "").split(os.pathsep)
        hidden = (*_own_installation(), *_HIDDEN, *(Path(p) for p in named if p))
        masked = _owner_only() + masks_for(hidden)
        command = bwrap_argv(
            confinement,
            argv,
            fds,
            existing=_existing_system_dirs(),
            masked=masked,
            hosts=hosts,
            seccomp=filter_fd,
        )
        passed = (*fds.values(), *([] if filter_fd is None else [filter_fd]))
        yield Launch(command, passed, confinement.egress)
    finally:
        for fd in fds.values():
            os.close(fd)
        if filter_fd is not None:
            os.close(filter_fd)
        if hosts_path is not None:
            hosts_path.unlink(missing_ok=True)


@functools.cache
def _syscall_filter() -> bytes | None:
    return seccomp.program(platform.machine())


@functools.cache
def sandbox_problem() -> str | None:
    """None when a sandbox can be created here; otherwise what is wrong and the fix.
    The probe is an agent's sandbox, network of its own and forwarder included."""
    if shutil.which("bwrap") is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    with tempfile.TemporaryDirectory(prefix="enduro-probe-") as tmp:
        probe = Confinement(cwd=Path(tmp), writable=(Path(tmp),), egress=())
        with prepared(probe, ["sh", "-c", "echo ok > probe"]) as launch:
            try:
                done = subprocess.run(
                    launch.in_network(launch.argv),
                    capture_output=True,
                    text=True,
                    timeout=PROBE_TIMEOUT_SECONDS,
                    check=False,
                    **launch.popen_kwargs(),
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"bubblewrap could not start ({exc}): {USERNS_HINT}"
        if done.returncode != 0 or not (Path(tmp) / "probe").is_file():
            detail = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
            return f"bubblewrap cannot create a sandbox here ({detail}): {USERNS_HINT}"
    return None


def require_sandbox() -> None:
    """Raise `SandboxError` when no sandbox can be created here."""
    problem = sandbox_problem()
    if problem is not None:
        raise SandboxError(problem)


@functools.cache
def _python_tools() -> Path:
    """A directory with `python` and `python3` that see the server packages (and not
    this environment: no enduro, no generator). Made once per process."""
    tools = Path(tempfile.mkdtemp(prefix="enduro-python-"))
    os.chmod(tools, 0o755)
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    script = (
        f'#!/bin/sh\nPYTHONPATH="{PYTHON_INSIDE}${{PYTHONPATH:+:$PYTHONPATH}}" exec "{base}" "$@"\n'
    )
    for name in ("python", "python3"):
        (tools / name).write_text(script)
        (tools / name).chmod(0o755)
    return tools


def python_for_servers(
    packages: tuple[str, ...] = SERVER_PACKAGES,
) -> tuple[tuple[Path, ...], tuple[tuple[Path, Path], ...]]:
    """(readable, lent) that give a sandbox `python` with Flask (or `packages`) on
    `BIN_INSIDE`: the base interpreter read-only, and only those packages (not this
    virtualenv)."""
    lent: list[tuple[Path, Path]] = [(_python_tools(), BIN_INSIDE)]
    for name in packages:
        spec = find_spec(name)
        if spec is None:
            continue
        if spec.submodule_search_locations:
            package = Path(next(iter(spec.submodule_search_locations)))
            lent.append((package, PYTHON_INSIDE / name))
        elif spec.origin is not None and spec.origin.endswith(".py"):
            package = Path(spec.origin)  # a one-file module (pytest's `py` shim)
            lent.append((package, PYTHON_INSIDE / package.name))
        else:
            continue
        # Its metadata too: Werkzeug asks importlib.metadata for its own version.
        lent += [(info, PYTHON_INSIDE / info.name) for info in _dist_info(package.parent, name)]
    base = Path(sys.base_prefix)
    readable = () if _under_system(base) else (base,)
    return readable, tuple(lent)


def _dist_info(site: Path, name: str) -> list[Path]:
    prefix = name.lower() + "-"
    return [
        entry
        for entry in site.iterdir()
        if entry.name.lower().startswith(prefix) and entry.name.endswith(".dist-info")
    ]


def _under_system(path: Path) -> bool:
    return any(path == Path(d) or Path(d) in path.parents for d in (*SYSTEM_DIRS, *USR_MERGED))


def tool_dirs(path_value: str, *, hidden: tuple[Path, ...]) -> tuple[Path, ...]:
    """The install roots of the programs on `path_value` (PATH) that a sandbox may read:
    a virtualenv's root and the interpreter it was made from, an npm prefix's
    `node_modules`, or the directory itself; never a system directory (bound anyway)
    nor anything under `hidden` (this environment, the output folder)."""
    found: list[Path] = []
    for entry in path_value.split(os.pathsep):
        if not entry or not os.path.isabs(entry) or not os.path.isdir(entry):
            continue
        directory = Path(os.path.realpath(entry))
        if _under_system(directory) or any(
            h == directory or h in directory.parents for h in hidden
        ):
            continue
        root = directory
        if directory.name in ("bin", ".bin") and (
            (directory.parent / "pyvenv.cfg").is_file() or directory.parent.name == "node_modules"
        ):
            root = directory.parent
        found.append(root)
        found.extend(_venv_home(root))
    return tuple(dict.fromkeys(p for p in found if not _under_system(p)))


def _within(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def overlaps(path: Path, hidden: Path) -> bool:
    """Lending `path` would show (part of) `hidden`: one holds the other."""
    return _within(path, hidden) or _within(hidden, path)


def _venv_home(root: Path) -> list[Path]:
    """The base installation a virtualenv's interpreter links to (`home` in pyvenv.cfg)."""
    cfg = root / "pyvenv.cfg"
    if not cfg.is_file():
        return []
    for line in cfg.read_text(errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            home = Path(value.strip())
            return [home.parent if home.name == "bin" else home]
    return []


def hide_from_sandboxes(*folders: Path) -> None:
    """Every sandbox this process starts from now on shows none of ``folders``, even
    where a system directory holds them (elsewhere nothing lends them anyway)."""
    _HIDDEN.extend(folders)


@functools.cache
def _own_installation() -> tuple[Path, ...]:
    """Enduro's package (the generator, the runner, the renderers) and its environment."""
    import enduro

    return (Path(enduro.__file__).resolve().parent, *hidden_paths())


def masks_for(folders: tuple[Path, ...]) -> tuple[tuple[str, bool], ...]:
    """The masks (path, is a directory) that hide those of ``folders`` inside a bound
    system directory; not a system directory itself (nothing would run without it)."""
    masks: dict[str, bool] = {}
    system = {Path(d) for d in (*SYSTEM_DIRS, *USR_MERGED)}
    for folder in folders:
        real = Path(os.path.realpath(folder))
        if real.is_dir() and _under_system(real) and real not in system:
            masks[str(real)] = True
    return tuple(masks.items())


def hidden_paths(*extra: Path) -> tuple[Path, ...]:
    """What no sandbox may borrow: this Python environment (enduro and the generator
    live there) and the given folders (the output folder)."""
    own = Path(sys.prefix)
    return (own, *extra) if own != Path(sys.base_prefix) else tuple(extra)


def confined_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with `BIN_INSIDE` first on PATH (python with Flask)."""
    path = env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    return {**env, "PATH": f"{BIN_INSIDE}{os.pathsep}{path}"}
