"""What a sandbox may see and do, and the bubblewrap command line that enforces it.

A sandbox starts from an empty root: system directories read-only, a fresh `/proc` (a
new PID namespace: nothing in it outlives its first process, and no process outside is
visible), a minimal `/dev`, a private `/tmp`, and then only the directories the policy
names. Binds come from file descriptors the trusted parent opened (`--ro-bind-fd`), so
a directory the sandbox user could not reach by path (under `/root`) can still be
lent, and nothing next to it comes along.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from enduro.sandbox.cgroups import ProcessLimits
from enduro.sandbox.egress import Route

SYSTEM_DIRS = ("/usr", "/etc", "/opt")
# Debian and most distributions merge these into /usr; elsewhere they are real dirs.
USR_MERGED = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SANDBOX_UID = 1000  # the uid inside, as in the step pods (runAsUser)
PRIVATE_TMP_BYTES = 512 * 1024 * 1024


class Isolation(StrEnum):
    """How a step's untrusted processes are confined; recorded with every run."""

    POD = "pod"  # Kubernetes: the pod is the sandbox (non-root, no capabilities, own netns)
    BWRAP = "bwrap"  # one machine: bubblewrap, see `Confinement`
    NONE = "none"  # not confined: only trusted baselines, or `enduro run --unsandboxed`

    @property
    def tamper_proof(self) -> bool:
        return self is not Isolation.NONE


@dataclass(frozen=True)
class Confinement:
    """What one sandboxed process sees. Everything not named here does not exist inside."""

    cwd: Path
    writable: tuple[Path, ...] = ()
    """Bound read-write at the same path."""
    readable: tuple[Path, ...] = ()
    """Bound read-only at the same path."""
    lent: tuple[tuple[Path, Path], ...] = ()
    """(host path, path inside): bound read-only somewhere else."""
    share_network: bool = True
    """Share the caller's network namespace (the test runner's holds only loopback, and
    the server shares that one), or get one holding only loopback."""
    egress: tuple[Route, ...] | None = None
    """Set: the network namespace shared is one of the sandbox's own that reaches only
    these routes (`enduro.sandbox.egress`: the agent and its model endpoints)."""
    limits: ProcessLimits = field(default_factory=ProcessLimits)
    """Processes and memory of everything inside (`enduro.sandbox.cgroups`)."""

    def binds(self) -> list[tuple[Path, Path, bool]]:
        """(host path, path inside, writable) for every bind, outermost first, so a
        writable directory inside a readable one is bound after it and wins."""
        seen: dict[Path, tuple[Path, bool]] = {}
        for inside, path in ((path, path) for path in self.readable):
            seen.setdefault(inside, (path, False))
        for host, inside in self.lent:
            seen.setdefault(inside, (host, False))
        for path in self.writable:
            seen[path] = (path, True)
        ordered = sorted(seen.items(), key=lambda item: (len(item[0].parts), str(item[0])))
        return [(host, inside, writable) for inside, (host, writable) in ordered]


def bwrap_argv(
    confinement: Confinement,
    argv: list[str],
    fds: dict[Path, int],
    *,
    existing: frozenset[str],
    masked: tuple[tuple[str, bool], ...] = (),
    hosts: int | None = None,
    seccomp: int | None = None,
) -> list[str]:
    """The `bwrap` command running `argv` under `confinement`.

    `fds` maps every bound host path to an open descriptor of it; `existing` says which
    of `SYSTEM_DIRS` and `USR_MERGED` exist on this machine (a symlink as
    `"/bin->usr/bin"`), so this stays a pure function. `masked` lists (path, is a
    directory) under the system directories that only their owner may read: hidden
    behind an empty file or directory, since inside, root's files look like the
    sandbox user's own. `hosts`: a descriptor of the `/etc/hosts` the sandbox sees
    instead of the machine's (one naming the egress routes' hosts). `seccomp`: one of
    the filter of system calls the sandbox may not make (`enduro.sandbox.seccomp`).
    """
    args = [
        "bwrap",
        "--die-with-parent",  # the sandbox ends with the step command that started it
        "--new-session",  # no ioctl(TIOCSTI) into a terminal outside
        "--unshare-user",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--disable-userns",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--cap-drop",
        "ALL",
    ]
    if not confinement.share_network:
        args.append("--unshare-net")
    if seccomp is not None:
        args += ["--seccomp", str(seccomp)]
    for directory in SYSTEM_DIRS:
        if directory in existing:
            args += ["--ro-bind", directory, directory]
    for entry in sorted(existing):
        if "->" in entry:
            link, target = entry.split("->", 1)
            args += ["--symlink", target, link]
        elif entry in USR_MERGED:
            args += ["--ro-bind", entry, entry]
    for path, is_dir in masked:
        args += ["--tmpfs", path] if is_dir else ["--ro-bind", "/dev/null", path]
    if hosts is not None and "/etc" in existing:
        args += ["--ro-bind-fd", str(hosts), "/etc/hosts"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(PRIVATE_TMP_BYTES), "--tmpfs", "/tmp"]
    for host, inside, writable in confinement.binds():
        args += ["--bind-fd" if writable else "--ro-bind-fd", str(fds[host]), str(inside)]
    args += ["--chdir", str(confinement.cwd), "--", *argv]
    return args
