"""A container runtime in a few lines of shell, for an image's root filesystem on this host.

What a kubelet and its runtime do with a container of a pod spec, done with util-linux and
coreutils as root: a fresh mount and PID namespace; the image's root filesystem bound
read-only when `readOnlyRootFilesystem` says so; `/proc`, a minimal `/dev`, the
termination-message file, an `emptyDir` per scratch path and each `volumeMount` (its
`subPath`, read-only if it says so) mounted at the paths the spec names; then `chroot`
with the pod's uid, gid and fsGroup, no new privileges (no capabilities are left once the
uid is not 0), the image's environment plus the container's, its working directory, and
its command (or the image's entry point). The pod's containers share a network namespace
(`pod_command`), as in a pod; a lone container (`container_command`) keeps the host's, so
it reaches an API server on localhost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Mount:
    source: pathlib.Path
    target: str
    read_only: bool = False


@dataclasses.dataclass(frozen=True)
class Container:
    rootfs: pathlib.Path
    argv: list[str]
    env: dict[str, str]
    uid: int
    gid: int
    groups: tuple[int, ...] = ()
    workdir: str = "/"
    mounts: tuple[Mount, ...] = ()
    scratch: tuple[str, ...] = ()  # emptyDirs: a fresh tmpfs each
    read_only_root: bool = True
    termination_log: tuple[pathlib.Path, str] | None = None  # host file, path inside


@dataclasses.dataclass(frozen=True)
class ImageConfig:
    """What `buildah inspect` says the image runs."""

    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    user: str
    workdir: str

    @classmethod
    def from_inspect(cls, inspected: Obj) -> ImageConfig:
        config = inspected["OCIv1"]["config"]
        env = dict(item.split("=", 1) for item in config.get("Env", []))
        return cls(
            config.get("Entrypoint") or [],
            config.get("Cmd") or [],
            env,
            config.get("User", ""),
            config.get("WorkingDir", "/"),
        )


def _home(rootfs: pathlib.Path, uid: int) -> str:
    """HOME as a runtime sets it: the account's home in the image's /etc/passwd, else /."""
    for line in (rootfs / "etc" / "passwd").read_text().splitlines():
        fields = line.split(":")
        if len(fields) > 5 and fields[2] == str(uid):
            return fields[5]
    return "/"


def _field(pod: Obj, path: str) -> str:
    return {
        "metadata.name": pod["metadata"]["name"],
        "metadata.namespace": pod["metadata"].get("namespace", "default"),
        "status.podIP": "127.0.0.1",
    }[path]


def from_pod(
    rootfs: pathlib.Path,
    image: ImageConfig,
    pod: Obj,
    container: Obj,
    volumes: Mapping[str, pathlib.Path],
    *,
    termination_log: pathlib.Path | None = None,
    extra_mounts: tuple[Mount, ...] = (),
    extra_env: Mapping[str, str] | None = None,
) -> Container:
    """The container `container` of `pod`, as a runtime would start it from `image`;
    `volumes` maps each non-emptyDir volume to a host folder (emptyDirs are tmpfs)."""
    spec = pod["spec"]
    pod_security = spec.get("securityContext", {})
    security = container.get("securityContext", {})
    uid = security.get("runAsUser", pod_security.get("runAsUser"))
    gid = security.get("runAsGroup", pod_security.get("runAsGroup"))
    image_uid, _, image_gid = image.user.partition(":")
    uid = int(image_uid or 0) if uid is None else uid
    gid = int(image_gid or 0) if gid is None else gid
    if security.get("runAsNonRoot", pod_security.get("runAsNonRoot")):
        assert uid != 0, f"{container['name']}: runAsNonRoot, but it would run as root"
    env = {**image.env, "HOSTNAME": pod["metadata"]["name"], "HOME": _home(rootfs, uid)}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "fieldRef" in item.get("valueFrom", {}):
            env[item["name"]] = _field(pod, item["valueFrom"]["fieldRef"]["fieldPath"])
        else:
            raise AssertionError(f"{container['name']}: no stand-in for {item}")
    env.update(extra_env or {})
    empty_dirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    mounts: list[Mount] = []
    scratch: list[str] = []
    for mount in container.get("volumeMounts", []):
        if mount["name"] in empty_dirs:
            scratch.append(mount["mountPath"])
            continue
        source = volumes[mount["name"]] / mount.get("subPath", "")
        source.mkdir(parents=True, exist_ok=True)
        mounts.append(Mount(source, mount["mountPath"], bool(mount.get("readOnly"))))
    command = container.get("command") or image.entrypoint
    args = container.get("args") or ([] if container.get("command") else image.cmd)
    log = None
    if termination_log is not None:
        log = (termination_log, container.get("terminationMessagePath", "/dev/termination-log"))
    fs_group = pod_security.get("fsGroup")
    return Container(
        rootfs=rootfs,
        argv=[*command, *args],
        env=env,
        uid=uid,
        gid=gid,
        groups=(fs_group,) if fs_group is not None else (),
        workdir=container.get("workingDir") or image.workdir or "/",
        mounts=(*mounts, *extra_mounts),
        scratch=tuple(scratch),
        read_only_root=bool(security.get("readOnlyRootFilesystem")),
        termination_log=log,
    )


def _checked(rootfs: pathlib.Path, path: str) -> str:
    """`path`, refused if a symbolic link in the image is on its way (the host would follow
    it out of the root filesystem: Debian's /var/run points at the host's /run)."""
    here = rootfs
    for part in pathlib.PurePosixPath(path).parts[1:]:
        here = here / part
        assert not here.is_symlink(), f"{path}: {here} is a symbolic link in the image"
    return path


def _script(c: Container) -> str:
    """Shell run as root in a fresh mount and PID namespace: set up, then become `c`."""
    for target in (*c.scratch, *(m.target for m in c.mounts), "/proc", "/dev"):
        _checked(c.rootfs, target)
    if c.termination_log is not None:
        _checked(c.rootfs, c.termination_log[1])
    q = shlex.quote
    root = q(str(c.rootfs))
    lines = [
        "set -e",
        f"R={root}",
        'mount --bind "$R" "$R"',
        'mount -t proc proc "$R/proc"',
        'mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"',
        'for d in null zero full random urandom tty; do touch "$R/dev/$d"; '
        'mount --bind "/dev/$d" "$R/dev/$d"; done',
        'mkdir "$R/dev/shm" && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"',
        'ln -s /proc/self/fd "$R/dev/fd"',
    ]
    for path in c.scratch:
        lines.append(f'mkdir -p "$R"{q(path)}')
        lines.append(f'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R"{q(path)}')
    for m in c.mounts:
        kind = "-d" if m.source.is_dir() else "-f"
        make = f'mkdir -p "$R"{q(m.target)}' if kind == "-d" else f'touch "$R"{q(m.target)}'
        lines.append(f'[ -e "$R"{q(m.target)} ] || {make}')
        lines.append(f'mount --bind {q(str(m.source))} "$R"{q(m.target)}')
        if m.read_only:
            lines.append(f'mount -o remount,bind,ro "$R"{q(m.target)}')
    if c.termination_log is not None:
        host, inside = c.termination_log
        lines.append(f'touch "$R"{q(inside)} && mount --bind {q(str(host))} "$R"{q(inside)}')
    if c.read_only_root:
        lines.append('mount -o remount,bind,ro "$R"')
    groups = ",".join(str(g) for g in (c.gid, *c.groups))
    env = [f"{k}={v}" for k, v in c.env.items()]
    become = [
        "setpriv", "--no-new-privs", "--",
        "chroot", f"--userspec={c.uid}:{c.gid}", f"--groups={groups}", str(c.rootfs),
        "/usr/bin/env", "-i", f"--chdir={c.workdir}", *env, *c.argv,
    ]  # fmt: skip
    lines.append("exec " + shlex.join(become))
    return "\n".join(lines)


def container_command(c: Container, stop: str = "SIGTERM") -> list[str]:
    """argv that runs `c` (in the host's network namespace). `unshare` ignores SIGTERM:
    SIGKILL it (`stop_container`) and the container's first process gets `stop` (it is
    PID 1 of its namespace: a shell there ignores SIGTERM, so a container that has no
    handler to wait for is given SIGKILL)."""
    for tool in ("unshare", "mount", "chroot", "setpriv"):
        assert shutil.which(tool), f"{tool} is needed to run an image's root filesystem"
    return [
        "unshare", "--mount", "--propagation", "private", "--pid", "--fork",
        f"--kill-child={stop}", "sh", "-c", _script(c),
    ]  # fmt: skip


def pod_command(main: Container, sidecars: list[Container]) -> list[str]:
    """argv that runs a pod: one network namespace (loopback up), the sidecars started
    first in the background, the main container in the foreground; once it exits the
    sidecars are killed, and the pod exits with the main container's code."""
    q = shlex.join
    lines = ["ip link set lo up", "sidecars="]
    for sidecar in sidecars:
        lines += [f"{q(container_command(sidecar, stop='SIGKILL'))} &", 'sidecars="$sidecars $!"']
    lines += [f"{q(container_command(main))} && rc=0 || rc=$?"]
    lines += ['[ -z "$sidecars" ] || kill -KILL $sidecars', "wait", "exit $rc"]
    return ["unshare", "--net", "sh", "-c", "\n".join(lines)]


def stop_container(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop what `container_command` started: its first process gets the stop signal and
    is waited for (as the kubelet waits for the grace period), then it is killed."""
    task = pathlib.Path(f"/proc/{process.pid}/task/{process.pid}/children")
    children = [int(pid) for pid in task.read_text().split()] if task.exists() else []
    process.kill()
    process.wait()
    deadline = time.monotonic() + timeout
    for pid in children:
        while pathlib.Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def fs_group(folder: pathlib.Path, gid: int) -> None:
    """What the kubelet does to a volume for a pod's fsGroup: group-owned, group-writable,
    new files inheriting the group."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        os.chown(path, -1, gid)
        mode = path.stat().st_mode
        extra = 0o2070 if path.is_dir() else (0o060 | (0o010 if mode & 0o100 else 0))
        path.chmod(mode | extra)
