"""The emulated cluster: the emulator served over HTTP from its own thread and loop.

Tests, the operator (in another thread, see `operator_thread.py`) and the pod executor
(in the emulator's own loop) all talk to it. `KubeClient` is the synchronous client a
test uses the way a user uses kubectl.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import pathlib
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import attrs
import kmock
import requests
import yaml

from cluster.emulator import Obj, RealisticEmulator, ResKey
from cluster.kubelet import PodExecutor

T = TypeVar("T")
CRDS = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")

REPO = pathlib.Path(__file__).resolve().parents[2]


def resource_key(text: str) -> ResKey:
    """'v1/pods' or 'enduro.dev/v1alpha1/scenarioruns' -> (group, version, plural)."""
    parts = text.split("/")
    return ("", parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[1], parts[2])


@functools.cache
def _bundled_resources() -> dict[Any, Any]:
    """kmock's bundled discovery data for the built-in resources (parsed once)."""
    bundle = kmock.KubernetesEmulator().resources
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # kmock 0.8 uses read_binary
        bundle.load_bundled()
    return {resource: bundle[resource] for resource in bundle}


def our_crds() -> list[Obj]:
    """The project's CRDs from crds/ (generated from the pydantic models)."""
    return [
        doc
        for path in sorted((REPO / "crds").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == "CustomResourceDefinition"
    ]


class EmulatedCluster:
    """`with EmulatedCluster(tmp_path) as cluster:` — a live API server on localhost."""

    def __init__(
        self,
        workdir: pathlib.Path,
        crds: list[Obj] | None = None,
        namespaces: tuple[str, ...] = ("default",),
        port: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = port
        self.crds = our_crds() if crds is None else crds
        self.emulator = RealisticEmulator()
        for resource, info in _bundled_resources().items():
            self.emulator.resources[resource] = attrs.evolve(info)
        for crd in self.crds:  # installed, as `kubectl apply -f crds/` would
            self.emulator.create(CRDS, None, crd)
        for namespace in namespaces:
            self.emulator.create(("", "v1", "namespaces"), None, {"metadata": {"name": namespace}})
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="emulated-apiserver", daemon=True)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.url = ""
        self.kubeconfig = workdir / "kubeconfig"
        self._executors: list[PodExecutor] = []

    def __enter__(self) -> EmulatedCluster:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the emulated API server did not start in 10 s")
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "emulated",
                    "clusters": [{"name": "emulated", "cluster": {"server": self.url}}],
                    "contexts": [
                        {
                            "name": "emulated",
                            "context": {"cluster": "emulated", "user": "u", "namespace": "default"},
                        }
                    ],
                    "users": [{"name": "u", "user": {"token": "emulated"}}],
                }
            )
        )
        return self

    def start_executor(self, executor: PodExecutor) -> PodExecutor:
        """Start the kubelet stand-in in the server's loop; it stops with the cluster."""
        self.run(executor.start())
        self._executors.append(executor)
        return executor

    def __exit__(self, *_: object) -> None:
        for executor in self._executors:
            self.run(executor.stop())
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with self.emulator, kmock.Server(self.emulator, port=self.port) as server:
            self.url = str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()
            self.emulator.close_watches()
            await asyncio.sleep(0.05)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine in the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a function in the server's loop (the store is only touched from there)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def target() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(target)
        return future.result(30)

    def objects(self, resource: str, namespace: str | None = None) -> list[Obj]:
        """A snapshot of the stored objects (no API request, so not counted)."""
        return self.call(self.emulator.objects, resource_key(resource), namespace)

    def client(self, agent: str = "enduro-test") -> KubeClient:
        return KubeClient(self.url, agent)


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class KubeClient:
    """A tiny synchronous API client (what kubectl does, minus the niceties)."""

    def __init__(self, url: str, agent: str = "enduro-test", namespace: str = "default") -> None:
        self.url = url
        self.namespace = namespace
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"{agent}/1"

    def _path(self, resource: str, namespace: str | None, name: str | None = None) -> str:
        group, version, plural = resource_key(resource)
        base = f"/apis/{group}/{version}" if group else f"/api/{version}"
        ns = f"/namespaces/{namespace}" if namespace else ""
        return f"{self.url}{base}{ns}/{plural}" + (f"/{name}" if name else "")

    def _do(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.session.request(method, url, timeout=30, **kwargs)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    def create(self, resource: str, body: Obj, namespace: str | None = None) -> Obj:
        ns = namespace or body.get("metadata", {}).get("namespace") or self.namespace
        result: Obj = self._do("POST", self._path(resource, ns), json=body)
        return result

    def create_cluster_scoped(self, resource: str, body: Obj) -> Obj:
        result: Obj = self._do("POST", self._path(resource, None), json=body)
        return result

    def get(self, resource: str, name: str, namespace: str | None = None) -> Obj:
        result: Obj = self._do("GET", self._path(resource, namespace or self.namespace, name))
        return result

    def list(
        self, resource: str, namespace: str | None = None, selector: str | None = None
    ) -> list[Obj]:
        params = {"labelSelector": selector} if selector else {}
        body = self._do("GET", self._path(resource, namespace or self.namespace), params=params)
        items: list[Obj] = body["items"]
        return items

    def patch(
        self,
        resource: str,
        name: str,
        patch: Obj,
        namespace: str | None = None,
        *,
        status: bool = False,
    ) -> Obj:
        url = self._path(resource, namespace or self.namespace, name) + (
            "/status" if status else ""
        )
        headers = {"Content-Type": "application/merge-patch+json"}
        result: Obj = self._do("PATCH", url, json=patch, headers=headers)
        return result

    def replace(self, resource: str, name: str, body: Obj, namespace: str | None = None) -> Obj:
        result: Obj = self._do(
            "PUT", self._path(resource, namespace or self.namespace, name), json=body
        )
        return result

    def delete(self, resource: str, name: str, namespace: str | None = None) -> Obj:
        result: Obj = self._do("DELETE", self._path(resource, namespace or self.namespace, name))
        return result

    def wait_for(
        self,
        what: str,
        check: Callable[[], T | None],
        timeout: float = 30,
        interval: float = 0.05,
    ) -> T:
        """Poll `check` until it returns something truthy; fail saying what we waited for."""
        deadline = time.monotonic() + timeout
        last: T | None = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
