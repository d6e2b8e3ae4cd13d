"""Running the operator: `enduro operator` (kopf run of this package's handlers)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import threading
from collections.abc import Sequence

import kopf

# Collections of the youngest generation, then of the older two, in allocations.
GC_THRESHOLDS = (20_000, 10, 10)


def collect_garbage_for_watch_events() -> None:
    """Every watch event is a fresh tree of dicts (a ScenarioRun's spec and status, a
    pod's), most freed by reference counting within milliseconds. With Python's default
    thresholds (700, 10, 10) the collector ran about once per step, promoting bodies in
    flight into the older generations and then walking the whole heap (the imported
    modules too) about once per 150 steps: a tenth of the operator's CPU. The objects
    alive once every module is imported never become garbage: frozen, no collection
    walks them; and the youngest generation is collected 30 times less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_operator(
    namespaces: Sequence[str],
    *,
    all_namespaces: bool = False,
    liveness_endpoint: str | None = None,
    verbose: bool = False,
    stop_flag: threading.Event | None = None,
    peering: str | None = None,
    priority: int | None = None,
) -> None:
    """Run until stopped (SIGINT/SIGTERM, or `stop_flag`), namespaced or cluster-wide;
    Prometheus metrics on the configured port. Without `peering`, standalone (one
    replica). With it, replicas coordinate through the kopf peering object of that name:
    the one with the highest `priority` (random when not given, so replicas differ)
    acts, the others pause, and one of them takes over when it stops renewing its record
    (`ENDURO_PEERING_SECONDS`, default 60)."""
    if all_namespaces == bool(namespaces):
        raise ValueError("give either --namespace (one or more) or --all-namespaces, not both")
    import enduro.operator.handlers  # noqa: F401  (registers the handlers with kopf)
    from enduro.operator import metrics
    from enduro.operator.config import OperatorConfig

    config = OperatorConfig.from_env(dict(os.environ))
    if config.metrics_port:
        metrics.serve(config.metrics_port)

    kopf.configure(verbose=verbose, log_format=kopf.LogFormat.PLAIN)
    collect_garbage_for_watch_events()
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(
        kopf.operator(
            standalone=peering is None,
            peering_name=peering,
            priority=(priority or random.randint(1, 2**31)) if peering else None,
            clusterwide=all_namespaces,
            namespaces=list(namespaces),
            liveness_endpoint=liveness_endpoint,
            stop_flag=stop_flag,
        )
    )
