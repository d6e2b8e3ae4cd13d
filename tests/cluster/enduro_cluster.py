"""The emulated cluster with Enduro's CRDs, pod executor and operator: what the operator's
end-to-end tests and benchmarks run against."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
from collections.abc import Callable

from cluster.cluster import EmulatedCluster, KubeClient
from cluster.emulator import Obj
from cluster.kubelet import Canned, ContainerResult, Fault, PodExecutor
from cluster.kueue import EmulatedKueue
from cluster.operator_thread import OperatorThread

BENCHMARKS = "enduro.dev/v1alpha1/benchmarks"
AGENTS = "enduro.dev/v1alpha1/agents"
BENCHMARK_RUNS = "enduro.dev/v1alpha1/benchmarkruns"
SCENARIO_RUNS = "enduro.dev/v1alpha1/scenarioruns"
SCENARIOS = "enduro.dev/v1alpha1/scenarios"
SCORERS = "enduro.dev/v1alpha1/scorers"
PODS = "v1/pods"
PVCS = "v1/persistentvolumeclaims"


def labels_of(pod: Obj) -> dict[str, str]:
    labels: dict[str, str] = pod["metadata"].get("labels", {})
    return labels


def scripted_results(
    passed: Callable[[int, int, int], tuple[int, int]],
) -> Callable[[Obj], dict[str, ContainerResult]]:
    """Canned pod results: every agent step ends cleanly; a test step of (scenario run,
    turn, attempt) scores `passed(scenario, turn, attempt)` = (passed, total); any other
    pod exits 0 with no output."""

    def results(pod: Obj) -> dict[str, ContainerResult]:
        labels = labels_of(pod)
        role = labels.get("enduro.dev/role")
        if role == "agent":
            outcome = {"exitCode": 0, "failure": "none", "steps": 1, "seconds": 0.1}
            return {"agent": ContainerResult(0, json.dumps(outcome))}
        if role != "test":
            return {}  # not a step (a report's reader pod...): its containers exit 0
        scenario = int(labels["enduro.dev/scenario-run"].rsplit("-s", 1)[-1])
        ok, total = passed(
            scenario, int(labels["enduro.dev/turn"]), int(labels["enduro.dev/attempt"])
        )
        summary = {"passed": ok, "failed": total - ok, "total": total}
        return {"test-runner": ContainerResult(0, json.dumps(summary))}

    return results


def oracle(scenario: int, turn: int, attempt: int) -> tuple[int, int]:
    return 5, 5


class EnduroCluster:
    """`with EnduroCluster(tmp_path) as c:` then `c.start_operator()`, `c.kube`..."""

    def __init__(
        self,
        workdir: pathlib.Path,
        *,
        canned: Canned | None = None,
        faults: list[Fault] | None = None,
        extra_env: dict[str, str] | None = None,
        isolate_ports: tuple[int, ...] = (),
        port: int | None = None,
        kueue: bool = False,
        namespaces: tuple[str, ...] = ("default",),
        watch: tuple[str, ...] | None = None,
    ) -> None:
        self.workdir = workdir
        self.namespaces = namespaces  # created
        self.watch = namespaces if watch is None else watch  # served by the operator
        self.cluster = EmulatedCluster(workdir, namespaces=namespaces, port=port)
        self.executor = PodExecutor(
            self.cluster.emulator,
            workdir / "node",
            canned=canned,
            faults=faults,
            extra_env=extra_env,
            isolate_ports=isolate_ports,
        )
        self.operator: OperatorThread | None = None
        self.kueue = EmulatedKueue(self.cluster.emulator) if kueue else None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> EnduroCluster:
        self._stack.enter_context(self.cluster)
        self.cluster.start_executor(self.executor)
        if self.kueue is not None:
            self.cluster.call(self.kueue.install)
        self.kube: KubeClient = self.cluster.client()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.operator is not None:
            self.operator.stop()
        self._stack.__exit__(*exc)

    def start_operator(self) -> OperatorThread:
        import kopf

        import enduro.operator.handlers  # noqa: F401  (registers the handlers)

        os.environ["KUBECONFIG"] = str(self.cluster.kubeconfig)
        settings = kopf.OperatorSettings()
        self.operator = OperatorThread(
            self.cluster.url, namespaces=self.watch, settings=settings, login=False
        )
        self.operator.__enter__()
        return self.operator

    def stop_operator(self) -> None:
        assert self.operator is not None
        self.operator.stop()
        self.operator = None

    def apply(self, *objects: Obj) -> None:
        for obj in objects:
            plural = {
                "Benchmark": BENCHMARKS,
                "Agent": AGENTS,
                "BenchmarkRun": BENCHMARK_RUNS,
                "ScenarioRun": SCENARIO_RUNS,
                "Scenario": SCENARIOS,
                "Scorer": SCORERS,
            }[obj["kind"]]
            self.kube.create(plural, obj)

    def apply_unvalidated(self, *objects: Obj) -> None:
        """Create objects the CRD schema would reject, as if an older, laxer CRD had been
        installed when they were created (to test the operator's own checks)."""
        emulator = self.cluster.emulator
        self.cluster.call(setattr, emulator, "admission", False)
        try:
            self.apply(*objects)
        finally:
            self.cluster.call(setattr, emulator, "admission", True)

    def wait_for_run(self, name: str, phase: str = "Succeeded", timeout: float = 60) -> Obj:
        def reached() -> Obj | None:
            run = self.kube.get(BENCHMARK_RUNS, name)
            return run if run.get("status", {}).get("phase") == phase else None

        return self.kube.wait_for(f"BenchmarkRun {name} to be {phase}", reached, timeout)
