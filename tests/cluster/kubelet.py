"""A pod executor that plays the scheduler and the kubelet for the emulated cluster.

It watches pods in the emulator (in the emulator's own loop) and, for each new pod:

* waits for its PersistentVolumeClaims (a pod with a missing claim stays Pending with
  an Unschedulable condition, as the scheduler reports it);
* maps volumes to local folders under `root`: a PVC is one folder per claim name
  (subPath honoured), a ConfigMap is materialised from the stored object, an emptyDir is
  a fresh folder; each container's terminationMessagePath gets its own file; a folder
  of the image that only holds mounts (`/artifacts` of `/artifacts/trajectory`) is the
  container's own, never the node's;
* runs init containers in order, starts native sidecars (init containers with
  `restartPolicy: Always`) in the background, runs the main containers as local
  processes — command, args, env and workingDir with every mount path rewritten to
  its local folder, `$(VAR)` references expanded;
* enforces `activeDeadlineSeconds`, stops sidecars once the main containers are done,
  and writes container statuses (exit codes, `terminated.message` read from the
  termination-message file, at most 4 KiB like the kubelet) and the pod phase.

Fault injection: `Fault("evict" | "image_pull" | "unschedulable", pods=<glob>, times=n)`.
Canned mode: `Canned(results)` completes every pod at once with given exit codes and
termination messages, without running anything (for the operator's benchmarks).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import fnmatch
import hashlib
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Literal

from cluster.emulator import Obj, RealisticEmulator, WatchEvent, now_iso

PODS = ("", "v1", "pods")
PVCS = ("", "v1", "persistentvolumeclaims")
TERMINATION_MESSAGE_LIMIT = 4096
GATED = "Scheduling is blocked due to non-empty scheduling gates"
UNSCHEDULABLE = "0/1 nodes are available: 1 Insufficient cpu. preemption: not helpful."


@dataclasses.dataclass
class Fault:
    kind: Literal["evict", "image_pull", "unschedulable"]
    pods: str = "*"  # glob on the pod name
    times: int = 1  # how many matching pods get it (then pods run normally again)
    after: float = 0.05  # evict: seconds after the containers started


@dataclasses.dataclass
class ContainerResult:
    exit_code: int
    message: str = ""


@dataclasses.dataclass
class Canned:
    """results(pod) -> {main container name: result}; missing containers exit 0."""

    results: Callable[[Obj], dict[str, ContainerResult]]
    delay: float = 0.0
    jitter: float = 0.0  # each pod takes delay x uniform(1 - jitter, 1 + jitter), seeded
    rng: random.Random = dataclasses.field(default_factory=lambda: random.Random(0))
    # Pods that run until deleted or evicted, as long-lived ones (environments) do.
    lasts: Callable[[Obj], bool] = lambda pod: False

    def duration(self, pod: Obj) -> float | None:
        if self.lasts(pod):
            return None
        return self.delay * self.rng.uniform(1 - self.jitter, 1 + self.jitter)


class PodFailedError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclasses.dataclass
class _Run:
    """One running container process."""

    name: str
    process: asyncio.subprocess.Process
    termination_file: pathlib.Path
    started_at: str
    policy: str


def _enduro_executable() -> str:
    found = shutil.which("enduro") or str(pathlib.Path(sys.executable).with_name("enduro"))
    return found


class PodExecutor:
    def __init__(
        self,
        emulator: RealisticEmulator,
        root: pathlib.Path,
        *,
        canned: Canned | None = None,
        faults: list[Fault] | None = None,
        extra_env: dict[str, str] | None = None,
        isolate_ports: tuple[int, ...] = (),
    ) -> None:
        self.emulator = emulator
        self.root = root
        self.canned = canned
        self.faults = list(faults or [])
        self.extra_env = dict(extra_env or {})
        # Pods share the host's network here, unlike on a node: each pod gets its own free
        # port in place of these (in env values and in args), as its network namespace would.
        self.isolate_ports = isolate_ports
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.started: list[str] = []  # pod names in the order they started
        self.finished_at: dict[str, float] = {}  # pod name -> monotonic time of its last status
        self._evictions: dict[str, asyncio.Event] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._port_maps: dict[str, dict[int, int]] = {}
        self._gated: set[tuple[str, str]] = set()  # pods that waited for their gates
        # (namespace, claim) -> the volume provisioned for it: a claim deleted and created
        # again gets a new, empty volume (its folder is emptied), as a provisioner gives.
        self._provisioned: dict[tuple[str, str], str] = {}

    # -- lifecycle (call from the emulator's loop) -------------------------------------

    def log_file(self, namespace: str, pod: str, container: str) -> pathlib.Path | None:
        """Where a container's output goes (what `kubectl logs` shows)."""
        path = self.root / "pods" / f"{namespace}_{pod}" / f"{container}.log"
        return path if path.exists() else None

    async def start(self) -> None:
        self.emulator.log_files = self.log_file
        replay, queue = self.emulator.subscribe(PODS)
        for event in replay:
            self._on_event(event)
        self._watcher = asyncio.create_task(self._watch(queue))

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    def evict(self, name: str) -> None:
        """Evict a running pod now (as the kubelet does under node pressure)."""
        self._evictions.setdefault(name, asyncio.Event()).set()

    async def _watch(self, queue: asyncio.Queue[WatchEvent | None]) -> None:
        try:
            while (event := await queue.get()) is not None:
                self._on_event(event)
        finally:
            self.emulator.unsubscribe(PODS, queue)

    def _on_event(self, event: WatchEvent) -> None:
        meta = event.object["metadata"]
        key = (meta["namespace"], meta["name"])
        if event.type == "DELETED" or "deletionTimestamp" in meta:
            task = self.tasks.pop(key, None)
            if task is not None:
                task.cancel()
            return
        phase = event.object.get("status", {}).get("phase", "Pending")
        if key in self.tasks or phase != "Pending":
            return
        if event.object["spec"].get("schedulingGates"):
            # The scheduler leaves a gated pod alone (Kueue removes its gate on admission).
            if event.type == "ADDED":
                self._gated.add(key)
                gated = _condition("PodScheduled", "False", "SchedulingGated", GATED)
                self._status(event.object, _pending(gated))
            return
        if event.type == "ADDED" or key in self._gated:
            self._gated.discard(key)
            self.tasks[key] = asyncio.create_task(self._run_pod(event.object))

    # -- status writes -------------------------------------------------------------------

    def _status(self, pod: Obj, status: Obj) -> bool:
        meta = pod["metadata"]
        _with_images(pod, status)
        try:
            self.emulator.write(
                PODS, meta["namespace"], meta["name"], {"status": status}, status=True
            )
        except Exception:  # the pod is gone: nothing to report to
            return False
        if status.get("phase") in ("Succeeded", "Failed"):
            self.finished_at[meta["name"]] = time.monotonic()
        return True

    def _fault(self, pod: Obj) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fnmatch.fnmatch(pod["metadata"]["name"], fault.pods):
                fault.times -= 1
                return fault
        return None

    # -- one pod -------------------------------------------------------------------------

    async def _run_pod(self, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        fault = self._fault(pod)
        if fault is not None and fault.kind == "unschedulable":
            self._status(
                pod, _pending(_condition("PodScheduled", "False", "Unschedulable", UNSCHEDULABLE))
            )
            return
        if not await self._wait_for_claims(pod):
            return
        if fault is not None and fault.kind == "image_pull":
            await self._image_pull_backoff(pod)
            return
        self.started.append(name)
        start = now_iso()
        if fault is not None and fault.kind == "evict":
            asyncio.get_running_loop().call_later(fault.after, self.evict, name)
        try:
            if self.canned is not None:
                await self._run_canned(pod, start)
            else:
                await self._run_processes(pod, start)
        except PodFailedError as failure:
            self._status(
                pod,
                {
                    "phase": "Failed",
                    "reason": failure.reason,
                    "message": failure.message,
                    "startTime": start,
                    "containerStatuses": [
                        _terminated(c["name"], 137, "Error", "", start)
                        for c in pod["spec"]["containers"]
                    ],
                },
            )

    async def _wait_for_claims(self, pod: Obj) -> bool:
        namespace = pod["metadata"]["namespace"]
        claims = [
            v["persistentVolumeClaim"]["claimName"]
            for v in pod["spec"].get("volumes", [])
            if "persistentVolumeClaim" in v
        ]
        reported = False
        while True:
            missing = [c for c in claims if (PVCS, namespace, c) not in self.emulator.store]
            if not missing:
                for claim in claims:
                    self._bind(namespace, claim)
                return True
            if not reported:
                message = f'persistentvolumeclaim "{missing[0]}" not found'
                reported = self._status(
                    pod, _pending(_condition("PodScheduled", "False", "Unschedulable", message))
                )
                if not reported:
                    return False
            await asyncio.sleep(0.1)

    def _bind(self, namespace: str, claim: str) -> None:
        """Provision a volume for a claim on its first consumer (WaitForFirstConsumer)."""
        pvc = self.emulator.store.get((PVCS, namespace, claim))
        if pvc is None or pvc.get("status", {}).get("phase") == "Bound":
            return
        spec = pvc.get("spec", {})
        volume = f"pvc-{pvc['metadata']['uid']}"
        previous = self._provisioned.get((namespace, claim))
        if previous is not None and previous != volume:
            shutil.rmtree(self.root / "pvc" / namespace / claim, ignore_errors=True)
        self._provisioned[(namespace, claim)] = volume
        self.emulator.write(PVCS, namespace, claim, {"spec": {"volumeName": volume}})
        status = {
            "phase": "Bound",
            "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
            "capacity": {"storage": spec.get("resources", {}).get("requests", {}).get("storage")},
        }
        self.emulator.write(PVCS, namespace, claim, {"status": status}, status=True)

    async def _image_pull_backoff(self, pod: Obj) -> None:
        spec = pod["spec"]
        stage = "initContainerStatuses" if spec.get("initContainers") else "containerStatuses"
        containers = spec.get("initContainers") or spec["containers"]
        scheduled = _condition("PodScheduled", "True")
        for reason in ("ErrImagePull", "ImagePullBackOff"):
            # As the kubelet words it, each container naming its own image.
            waiting = [
                {
                    "name": c["name"],
                    "ready": False,
                    "restartCount": 0,
                    "image": c.get("image", ""),
                    "state": {
                        "waiting": {
                            "reason": reason,
                            "message": f'Back-off pulling image "{c.get("image", "")}"',
                        }
                    },
                }
                for c in containers
            ]
            if not self._status(pod, {**_pending(scheduled), stage: waiting}):
                return
            await asyncio.sleep(0.05)

    async def _run_canned(self, pod: Obj, start: str) -> None:
        assert self.canned is not None
        running = {
            "phase": "Running",
            "startTime": start,
            "conditions": [_condition("PodScheduled", "True")],
            "containerStatuses": [
                {
                    "name": c["name"],
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": start}},
                }
                for c in pod["spec"]["containers"]
            ],
        }
        if not self._status(pod, running):
            return
        eviction = self._evictions.setdefault(pod["metadata"]["name"], asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(eviction.wait(), self.canned.duration(pod))
        if eviction.is_set():
            raise PodFailedError("Evicted", "The node was low on resource: ephemeral-storage.")
        results = self.canned.results(pod)
        statuses = []
        for container in pod["spec"]["containers"]:
            result = results.get(container["name"], ContainerResult(0))
            reason = "Completed" if result.exit_code == 0 else "Error"
            statuses.append(
                _terminated(container["name"], result.exit_code, reason, result.message, start)
            )
        failed = any(s["state"]["terminated"]["exitCode"] != 0 for s in statuses)
        self._status(
            pod,
            {
                "phase": "Failed" if failed else "Succeeded",
                "startTime": start,
                "conditions": [_condition("PodScheduled", "True")],
                "containerStatuses": statuses,
            },
        )

    async def _run_processes(self, pod: Obj, start: str) -> None:
        spec = pod["spec"]
        meta = pod["metadata"]
        pod_dir = self.root / "pods" / f"{meta['namespace']}_{meta['name']}"
        pod_dir.mkdir(parents=True, exist_ok=True)
        volumes = self._volumes(pod, pod_dir)
        deadline = (
            time.monotonic() + spec["activeDeadlineSeconds"]
            if spec.get("activeDeadlineSeconds")
            else None
        )
        eviction = self._evictions.setdefault(meta["name"], asyncio.Event())
        sidecars: list[_Run] = []
        spawned: list[_Run] = []  # everything started, killed if the pod goes away
        init_statuses: list[Obj] = []
        scheduled = _condition("PodScheduled", "True")
        self._status(pod, {"phase": "Pending", "startTime": start, "conditions": [scheduled]})
        try:
            for container in spec.get("initContainers", []):
                run = await self._spawn(pod, container, volumes, pod_dir)
                spawned.append(run)
                if container.get("restartPolicy") == "Always":
                    sidecars.append(run)
                    continue
                code = await self._wait([run], deadline, eviction)
                status = _finished(run, code[0])
                init_statuses.append(status)
                if code[0] != 0:
                    self._status(
                        pod,
                        {
                            "phase": "Failed",
                            "startTime": start,
                            "initContainerStatuses": init_statuses,
                            "containerStatuses": [
                                _waiting(c["name"], "PodInitializing") for c in spec["containers"]
                            ],
                        },
                    )
                    return
            mains = [await self._spawn(pod, c, volumes, pod_dir) for c in spec["containers"]]
            spawned.extend(mains)
            self._status(
                pod,
                {
                    "phase": "Running",
                    "startTime": start,
                    "conditions": [scheduled],
                    "initContainerStatuses": init_statuses + [_running(run) for run in sidecars],
                    "containerStatuses": [_running(run) for run in mains],
                },
            )
            codes = await self._wait(mains, deadline, eviction)
            await self._terminate(sidecars)
            statuses = [_finished(run, code) for run, code in zip(mains, codes, strict=True)]
            side_statuses = [
                _finished(run, _exit_code(run.process.returncode or 0)) for run in sidecars
            ]
            self._status(
                pod,
                {
                    "phase": "Succeeded" if all(c == 0 for c in codes) else "Failed",
                    "startTime": start,
                    "conditions": [scheduled],
                    "initContainerStatuses": init_statuses + side_statuses,
                    "containerStatuses": statuses,
                },
            )
        finally:
            await self._terminate([run for run in spawned if run.process.returncode is None], 0)

    async def _wait(
        self, runs: list[_Run], deadline: float | None, eviction: asyncio.Event
    ) -> list[int]:
        waits = [asyncio.ensure_future(run.process.wait()) for run in runs]
        evicted = asyncio.ensure_future(eviction.wait())
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            await asyncio.wait(
                [asyncio.gather(*waits), evicted],
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            evicted.cancel()
        if all(w.done() for w in waits):
            return [_exit_code(w.result()) for w in waits]
        await self._terminate(runs, grace=0)
        if eviction.is_set():
            raise PodFailedError("Evicted", "The node was low on resource: ephemeral-storage.")
        raise PodFailedError(
            "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
        )

    async def _terminate(self, runs: list[_Run], grace: float = 2.0) -> None:
        for run in runs:
            if run.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(run.process.pid, signal.SIGTERM)
        for run in runs:
            try:
                await asyncio.wait_for(run.process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(run.process.pid, signal.SIGKILL)
                await run.process.wait()

    # -- volumes and processes -----------------------------------------------------------

    def _volumes(self, pod: Obj, pod_dir: pathlib.Path) -> dict[str, pathlib.Path]:
        namespace = pod["metadata"]["namespace"]
        folders: dict[str, pathlib.Path] = {}
        for volume in pod["spec"].get("volumes", []):
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                folder = self.root / "pvc" / namespace / claim
            elif "configMap" in volume:
                folder = pod_dir / "configmaps" / volume["name"]
                folder.mkdir(parents=True, exist_ok=True)
                key = (("", "v1", "configmaps"), namespace, volume["configMap"]["name"])
                config_map = self.emulator.store.get(key, {})
                for file, text in (config_map.get("data") or {}).items():
                    (folder / file).write_text(text)
                for file, data in (config_map.get("binaryData") or {}).items():
                    (folder / file).write_bytes(base64.b64decode(data))
            else:  # emptyDir and anything else: a fresh folder per pod
                folder = pod_dir / "volumes" / volume["name"]
            folder.mkdir(parents=True, exist_ok=True)
            folders[volume["name"]] = folder
        return folders

    def _ports(self, pod: Obj) -> dict[int, int]:
        """The pod's own stand-ins for the isolated ports (stable for the pod's life)."""
        key = pod["metadata"]["uid"]
        if key not in self._port_maps:
            self._port_maps[key] = {port: _free_port() for port in self.isolate_ports}
        return self._port_maps[key]

    def _host_env(self, pod: Obj) -> dict[str, str]:
        """The variables the node gives every container (the image's environment)."""
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
        env.update(HOSTNAME=pod["metadata"]["name"], HOME=str(self.root / "home"))
        return {**env, **self.extra_env}

    def _env(self, pod: Obj, container: Obj) -> dict[str, str]:
        meta = pod["metadata"]
        env = self._host_env(pod)
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = _expand(item["value"], env)
                continue
            source = item.get("valueFrom", {})
            if "fieldRef" in source:
                field = source["fieldRef"]["fieldPath"]
                value = {
                    "metadata.name": meta["name"],
                    "metadata.namespace": meta["namespace"],
                    "status.podIP": "127.0.0.1",
                }.get(field, "")
                env[item["name"]] = value
            elif "secretKeyRef" in source or "configMapKeyRef" in source:
                ref = source.get("secretKeyRef") or source["configMapKeyRef"]
                plural = "secrets" if "secretKeyRef" in source else "configmaps"
                obj = self.emulator.store.get((("", "v1", plural), meta["namespace"], ref["name"]))
                data = (obj or {}).get("data", {})
                if ref["key"] in data:
                    raw = data[ref["key"]]
                    env[item["name"]] = (
                        base64.b64decode(raw).decode() if plural == "secrets" else raw
                    )
                elif not ref.get("optional"):
                    raise PodFailedError(
                        "CreateContainerConfigError",
                        f"{plural} {ref['name']!r} has no key {ref['key']!r}",
                    )
        return env

    async def _spawn(
        self, pod: Obj, container: Obj, volumes: dict[str, pathlib.Path], pod_dir: pathlib.Path
    ) -> _Run:
        mounts: dict[str, pathlib.Path] = {}
        for mount in container.get("volumeMounts", []):
            folder = volumes[mount["name"]] / mount.get("subPath", "")
            folder.mkdir(parents=True, exist_ok=True)
            mounts[mount["mountPath"].rstrip("/") or "/"] = folder
        mounts.update(_mount_parents(mounts, pod_dir / "rootfs" / container["name"]))
        termination_file = pod_dir / f"{container['name']}.termination-log"
        termination_file.write_text("")
        mounts[container.get("terminationMessagePath", "/dev/termination-log")] = termination_file
        rewrite = _path_rewriter(mounts, self._ports(pod))
        # What the node itself provides (PATH, HOME...) is the image's, never under a volume:
        # only the container's own variables name mount paths (a checkout under /tmp must
        # not lose its PATH to a /tmp emptyDir).
        host = self._host_env(pod)
        env = {
            k: v if k in host and host[k] == v else rewrite(v)
            for k, v in self._env(pod, container).items()
        }
        argv = [
            rewrite(_expand(a, env))
            for a in container.get("command", []) + container.get("args", [])
        ]
        if not argv:
            raise PodFailedError(
                "CreateContainerError",
                f"container {container['name']} has no command: image entrypoints are not emulated",
            )
        if argv[0] == "enduro":
            argv[0] = _enduro_executable()
        workdir = rewrite(container["workingDir"]) if container.get("workingDir") else str(pod_dir)
        log = (pod_dir / f"{container['name']}.log").open("wb")
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise PodFailedError("StartError", f"container {container['name']}: {exc}") from exc
        finally:
            log.close()
        return _Run(
            container["name"],
            process,
            termination_file,
            now_iso(),
            container.get("terminationMessagePolicy", "File"),
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _exit_code(returncode: int) -> int:
    """A process killed by signal N exits, as a container, with 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


# Top-level folders every image has: the node's own stand in for them.
IMAGE_ROOTS = frozenset(
    [
        "bin",
        "boot",
        "dev",
        "etc",
        "home",
        "lib",
        "lib64",
        "media",
        "mnt",
        "opt",
        "proc",
        "root",
        "run",
        "sbin",
        "srv",
        "sys",
        "tmp",
        "usr",
        "var",
    ]
)


def _mount_parents(
    mounts: dict[str, pathlib.Path], rootfs: pathlib.Path
) -> dict[str, pathlib.Path]:
    """The container's own folders for the image directories that hold its mounts.

    In a real pod, `/artifacts` holds the mounts `/artifacts/logs` and `/artifacts/trace`
    although nothing is mounted at `/artifacts` itself; a process told `--out /artifacts`
    writes through it into the volumes. Rewriting paths alone would leave `/artifacts`
    naming the node's own folder, shared by every pod. So each such parent becomes a
    folder of this container's, its mounted children linked in. Parents the node has as
    well (`/etc` of `/etc/app/config`) stay the node's: the image's files live there."""
    parents: dict[str, pathlib.Path] = {}
    for path in mounts:
        parts = pathlib.PurePosixPath(path).parts
        for depth in range(2, len(parts)):
            parent = str(pathlib.PurePosixPath(*parts[:depth]))
            if parent in mounts or parent in parents:
                continue
            if parts[1] in IMAGE_ROOTS and pathlib.Path(parent).is_dir():
                continue
            parents[parent] = rootfs / parent.lstrip("/")
            parents[parent].mkdir(parents=True, exist_ok=True)
    for path, folder in mounts.items():
        parent = str(pathlib.PurePosixPath(path).parent)
        if parent in parents:
            link = parents[parent] / pathlib.PurePosixPath(path).name
            if not link.exists():
                link.symlink_to(folder)
    return parents


def _path_rewriter(
    mounts: dict[str, pathlib.Path], ports: dict[int, int] | None = None
) -> Callable[[str], str]:
    """Replace each mount path (as a whole path prefix) with its local folder, longest first,
    and each isolated port (a whole value, or after a colon) with the pod's own port."""
    ordered = sorted(mounts, key=len, reverse=True)
    pattern = (
        re.compile("|".join(re.escape(m) + r"(?![\w.-])" for m in ordered)) if ordered else None
    )
    port_map = ports or {}

    def rewrite(text: str) -> str:
        if pattern is not None:
            text = pattern.sub(lambda match: str(mounts[match.group(0)]), text)
        for old, new in port_map.items():
            text = str(new) if text == str(old) else re.sub(rf":{old}\b", f":{new}", text)
        return text

    return rewrite


def _expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion in command/args/env values (`$$(VAR)` escapes it)."""
    return re.sub(
        r"\$?\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
        lambda m: (
            m.group(0)[1:] if m.group(0).startswith("$$") else env.get(m.group(1), m.group(0))
        ),
        text,
    )


def _condition(type_: str, status: str, reason: str = "", message: str = "") -> Obj:
    condition = {"type": type_, "status": status, "lastTransitionTime": now_iso()}
    if reason:
        condition.update(reason=reason, message=message)
    return condition


def _with_images(pod: Obj, status: Obj) -> None:
    """Every container status names its image and image ID, as a real kubelet's do (typed
    clients refuse statuses without them)."""
    spec = pod["spec"]
    images = {
        c["name"]: c.get("image", "")
        for c in [*spec.get("initContainers", []), *spec.get("containers", [])]
    }
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(key, []):
            image = entry.setdefault("image", images.get(entry["name"], ""))
            pulled = "running" in entry["state"] or "terminated" in entry["state"]
            entry.setdefault("imageID", f"sha256:{_image_digest(image)}" if pulled else "")


def _image_digest(image: str) -> str:
    return hashlib.sha256(image.encode()).hexdigest()


def _pending(condition: Obj) -> Obj:
    return {"phase": "Pending", "conditions": [condition]}


def _waiting(name: str, reason: str) -> Obj:
    return {
        "name": name,
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
    }


def _running(run: _Run) -> Obj:
    return {
        "name": run.name,
        "ready": True,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": run.started_at}},
    }


def _terminated(name: str, code: int, reason: str, message: str, started: str) -> Obj:
    terminated: Obj = {
        "exitCode": code,
        "reason": reason,
        "startedAt": started,
        "finishedAt": now_iso(),
    }
    if message:
        terminated["message"] = message
    return {
        "name": name,
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {"terminated": terminated},
    }


def _finished(run: _Run, code: int) -> Obj:
    message = run.termination_file.read_bytes()[-TERMINATION_MESSAGE_LIMIT:].decode(
        errors="replace"
    )
    if not message and code != 0 and run.policy == "FallbackToLogsOnError":
        log = run.termination_file.with_name(f"{run.name}.log").read_bytes()
        message = b"\n".join(log.splitlines()[-80:])[-2048:].decode(errors="replace")
    return _terminated(
        run.name, code, "Completed" if code == 0 else "Error", message, run.started_at
    )
