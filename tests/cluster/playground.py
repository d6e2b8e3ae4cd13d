"""`enduro dev cluster`: the emulated cluster as a playground for people without one.

The emulated API server, the process kubelet (pods run as local processes, volumes as
folders under the work directory) and the operator, all in this process; the CRDs are
installed and a kubeconfig is written for the real `kubectl`. Ctrl-C stops everything.
"""

from __future__ import annotations

import pathlib
import signal
import threading
from collections.abc import Callable

from cluster.enduro_cluster import EnduroCluster


def usage(kubeconfig: pathlib.Path, url: str, kubectl: str = "kubectl") -> str:
    return "\n".join(
        [
            f"Enduro's emulated cluster is serving on {url}",
            "(API server, process kubelet and operator; pods run as local processes).",
            "",
            "In another shell:",
            f"  export KUBECONFIG={kubeconfig}",
            f"  {kubectl} apply -f examples/quickstart.yaml",
            f"  {kubectl} get enduro",
            f"  {kubectl} get br -o wide",
            f"  {kubectl} wait br/quickstart --for=condition=Succeeded --timeout=10m",
            "",
            "Press Ctrl-C to stop.",
        ]
    )


def serve(
    workdir: pathlib.Path,
    *,
    port: int | None = None,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    kubectl: str = "kubectl",
) -> None:
    """Run until Ctrl-C or SIGTERM (or until `stop` is set, for tests)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # Explicit handlers: a shell starts background jobs with SIGINT ignored.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    with EnduroCluster(workdir, isolate_ports=(8000,), port=port) as cluster:
        cluster.start_operator()
        echo(usage(cluster.cluster.kubeconfig, cluster.cluster.url, kubectl))
        while not stop.wait(0.5):
            pass
        echo("\nStopping the operator, the kubelet and the API server...")
    echo("Stopped.")
