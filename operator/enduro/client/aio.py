"""`AsyncEnduro`: the async Python client, shaped like Runloop's so a script written for
it translates line by line (docs/scenarios.md):

    async with await AsyncEnduro.connect(namespace="team") as enduro:
        page = await enduro.benchmarks.list(public=True, limit=20)
        run = await enduro.benchmarks.start_run("fixes")          # agent: {external: true}
        for name in run.pending_scenarios:
            sr = await enduro.scenarios.start_run(name, benchmark_run=run.name)
            await enduro.scenario_runs.await_environment_ready(sr.name)
            ...                                                   # your agent works
            await enduro.scenario_runs.score_and_complete(sr.name)
        await enduro.benchmark_runs.complete(run.name)

Everything goes through the Kubernetes API (`kubernetes-asyncio`): a request is a spec
field (`score`, `complete`, `cancel`) the operator acts on; waits poll the status.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Self

from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException

from enduro.api.benchmark import PUBLIC_LABEL, BenchmarkSpec
from enduro.api.benchmarkrun import BenchmarkRunSpec, RunPhase
from enduro.api.resources import (
    BENCHMARK,
    BENCHMARK_RUN,
    GROUP,
    SCENARIO,
    SCENARIO_RUN,
    SCORER,
    VERSION,
    Resource,
)
from enduro.api.scenario import ExplicitScenario, ScorerResourceSpec, custom_scorer_names
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec
from enduro.api.settings import RunSettings
from enduro.client.views import (
    Benchmark,
    BenchmarkRun,
    EnduroError,
    Page,
    RunEndedError,
    Scenario,
    ScenarioRun,
)
from enduro.operator.children import BENCHMARK_LABEL, BENCHMARK_RUN_LABEL, SCENARIO_LABEL
from enduro.operator.pods import owner_reference
from enduro.steps.names import scenario_run_name

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
DEFAULT_TIMEOUT = 3600.0
_BAD_ENDS = (ScenarioPhase.FAILED, ScenarioPhase.TIMED_OUT, ScenarioPhase.CANCELED)


class _Objects:
    """The few custom-object calls the client makes, in one namespace."""

    def __init__(self, api: k8s.CustomObjectsApi, namespace: str) -> None:
        self.api = api
        self.namespace = namespace

    async def get(self, resource: Resource, name: str) -> Obj:
        result: Obj = await self._call(
            self.api.get_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            resource.plural,
            name,
        )
        return result

    async def list(
        self,
        resource: Resource,
        *,
        labels: Mapping[str, str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        all_namespaces: bool = False,
    ) -> tuple[list[Obj], str | None]:
        options: dict[str, Any] = {}
        if labels:
            options["label_selector"] = ",".join(f"{k}={v}" for k, v in labels.items())
        if limit:
            options["limit"] = limit
        if cursor:
            options["_continue"] = cursor
        if all_namespaces:
            result: Obj = await self._call(
                self.api.list_cluster_custom_object, GROUP, VERSION, resource.plural, **options
            )
        else:
            result = await self._call(
                self.api.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                resource.plural,
                **options,
            )
        return list(result.get("items") or []), (result.get("metadata") or {}).get("continue")

    async def create(self, resource: Resource, body: Obj) -> Obj:
        result: Obj = await self._call(
            self.api.create_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            resource.plural,
            body,
        )
        return result

    async def patch_spec(self, resource: Resource, name: str, spec: Obj) -> Obj:
        result: Obj = await self._call(
            self.api.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            resource.plural,
            name,
            {"spec": spec},
            _content_type=MERGE_PATCH,
        )
        return result

    async def _call(self, method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except ApiException as error:
            raise EnduroError(f"Kubernetes API {error.status}: {_api_message(error)}") from error


def _api_message(error: ApiException) -> str:
    """The apiserver's own message (it names the field and the rule), else the reason."""
    body = error.body.decode() if isinstance(error.body, bytes) else str(error.body or "")
    try:
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return str(error.reason)


class _Waiter:
    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds

    async def until[T](
        self, what: str, read: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float
    ) -> T:
        """Poll `read` until `done` (which may raise to stop early)."""
        deadline = time.monotonic() + timeout
        while True:
            value = await read()
            if done(value):
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
            await asyncio.sleep(self.poll_seconds)


class Benchmarks:
    def __init__(self, objects: _Objects, waiter: _Waiter) -> None:
        self._objects = objects
        self._wait = waiter

    async def get(self, name: str) -> Benchmark:
        return Benchmark.of(await self._objects.get(BENCHMARK, name))

    async def list(
        self,
        *,
        public: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
        all_namespaces: bool | None = None,
    ) -> Page[Benchmark]:
        """A page of Benchmarks: this namespace's, or with `public=True` the public
        catalogue (label `enduro.dev/public=true`, in every namespace unless
        `all_namespaces=False`). `all_namespaces=True`: every namespace's."""
        labels = {PUBLIC_LABEL: "true"} if public else None
        everywhere = bool(public) if all_namespaces is None else all_namespaces
        items, next_cursor = await self._objects.list(
            BENCHMARK, labels=labels, limit=limit, cursor=cursor, all_namespaces=everywhere
        )
        return Page([Benchmark.of(i) for i in items], next_cursor)

    async def start_run(
        self,
        benchmark: str,
        *,
        run_name: str | None = None,
        agent: str | None = None,
        timeout: float = 60.0,
        **settings: Any,
    ) -> BenchmarkRun:
        """Start a BenchmarkRun: with your own agent (`agent=None`: `agent: {external:
        true}`; start its scenarios with `scenarios.start_run`), or with the Agent
        `agent` (the operator runs everything). `settings`: BenchmarkRun spec fields in
        camelCase or snake_case (`timeouts`, `attemptLimit`...). With your own agent it
        returns once the operator listed the `pending_scenarios`, and raises naming the
        problem when the run cannot start (e.g. a generated benchmark)."""
        name = run_name or f"{benchmark}-{uuid.uuid4().hex[:6]}"
        who: Obj = {"agentRef": {"name": agent}} if agent else {"agent": {"external": True}}
        spec = BenchmarkRunSpec.model_validate(
            {"benchmarkRef": {"name": benchmark}, **who, **settings}
        )
        body = {
            "apiVersion": BENCHMARK_RUN.api_version,
            "kind": BENCHMARK_RUN.kind,
            "metadata": {"name": name, "labels": {BENCHMARK_LABEL: benchmark}},
            "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        created = BenchmarkRun.of(await self._objects.create(BENCHMARK_RUN, body))
        if agent is not None:
            return created
        planned = await self._wait.until(
            f"BenchmarkRun {name} to be planned",
            lambda: self._run(name),
            lambda r: r.status.observed_generation is not None,
            timeout,
        )
        ready = next((c for c in planned.status.conditions if c.type == "Ready"), None)
        if ready is not None and ready.status == "False":
            raise EnduroError(f"BenchmarkRun {name} cannot start: {planned.status.message}")
        return planned

    async def _run(self, name: str) -> BenchmarkRun:
        return BenchmarkRun.of(await self._objects.get(BENCHMARK_RUN, name))


class Scenarios:
    def __init__(self, objects: _Objects) -> None:
        self._objects = objects

    async def get(self, name: str) -> Scenario:
        return Scenario.of(await self._objects.get(SCENARIO, name))

    async def list(self, *, limit: int = 50, cursor: str | None = None) -> Page[Scenario]:
        items, next_cursor = await self._objects.list(SCENARIO, limit=limit, cursor=cursor)
        return Page([Scenario.of(i) for i in items], next_cursor)

    async def start_run(
        self,
        scenario: str,
        *,
        benchmark_run: str | None = None,
        run_name: str | None = None,
        **settings: Any,
    ) -> ScenarioRun:
        """Start a ScenarioRun of `scenario` for your own agent: the operator starts its
        environment. In a BenchmarkRun it takes the run's settings, belongs to it and is
        named `<run>-s<index>` (a scenario starts once per run); alone, `run_name` or a
        generated name, and `settings` (ScenarioRun spec fields)."""
        definition = await self._snapshot(scenario)
        labels: dict[str, str] = {}
        owners: list[Obj] = []
        base: Obj = dict(settings)
        if benchmark_run is not None:
            run_obj = await self._objects.get(BENCHMARK_RUN, benchmark_run)
            run = BenchmarkRun.of(run_obj)
            if not run.spec.external:
                raise EnduroError(
                    f"BenchmarkRun {benchmark_run} runs an Agent: the operator starts its "
                    "scenarios (start your own in a run with agent: {external: true})"
                )
            index = await self._index(run.spec.benchmark_ref.name, scenario, run.status.scenarios)
            inherited = run.spec.model_dump(
                mode="json", by_alias=True, exclude_none=True, include=set(RunSettings.model_fields)
            )
            base = {**inherited, **settings}
            base["benchmarkRun"] = benchmark_run
            labels = {
                BENCHMARK_RUN_LABEL: benchmark_run,
                BENCHMARK_LABEL: run.spec.benchmark_ref.name,
                SCENARIO_LABEL: str(index),
            }
            owners = [owner_reference(run_obj)]
            name = scenario_run_name(benchmark_run, index)
        else:
            name = run_name or f"{scenario}-{uuid.uuid4().hex[:6]}"
        spec = ScenarioRunSpec.model_validate(
            {**base, "definition": definition, "externalAgent": {"external": True}}
        )
        metadata: Obj = {"name": name, "labels": labels}
        if owners:
            metadata["ownerReferences"] = owners
        if run_name is not None:
            metadata["annotations"] = {"enduro.dev/run-name": run_name}
        body = {
            "apiVersion": SCENARIO_RUN.api_version,
            "kind": SCENARIO_RUN.kind,
            "metadata": metadata,
            "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        return ScenarioRun.of(await self._objects.create(SCENARIO_RUN, body))

    async def _snapshot(self, scenario: str) -> Obj:
        """The Scenario and the custom Scorers it names, as the run's `definition`."""
        found = await self.get(scenario)
        scorers = {
            name: ScorerResourceSpec.model_validate(
                (await self._objects.get(SCORER, name)).get("spec") or {}
            )
            for name in custom_scorer_names(found.spec)
        }
        snapshot = ExplicitScenario(name=scenario, spec=found.spec, scorers=scorers)
        result: Obj = snapshot.model_dump(mode="json", by_alias=True, exclude_none=True)
        return result

    async def _index(self, benchmark: str, scenario: str, pinned: Sequence[str] | None) -> int:
        """The scenario's position in its benchmark (the run's child label and name): in
        the Scenarios the run pinned once started (`status.scenarios`), else in the
        Benchmark's selection now."""
        if pinned is not None:
            if scenario not in pinned:
                raise EnduroError(
                    f"Scenario {scenario} is not in this run (it plays {', '.join(pinned)})"
                )
            return pinned.index(scenario)
        selection = BenchmarkSpec.model_validate(
            (await self._objects.get(BENCHMARK, benchmark)).get("spec") or {}
        ).scenarios
        if selection is None:
            raise EnduroError(
                f"Benchmark {benchmark} is generated: an external agent plays explicit "
                "scenarios only (Benchmark.spec.scenarios)"
            )
        labels = selection.match_labels
        names = selection.names or [
            item["metadata"]["name"]
            for item in (await self._objects.list(SCENARIO, labels=labels))[0]
        ]
        ordered = selection.order(list(names))
        if scenario not in ordered:
            raise EnduroError(f"Scenario {scenario} is not in Benchmark {benchmark}")
        return ordered.index(scenario)


class ScenarioRuns:
    def __init__(self, objects: _Objects, waiter: _Waiter) -> None:
        self._objects = objects
        self._wait = waiter

    async def get(self, name: str) -> ScenarioRun:
        return ScenarioRun.of(await self._objects.get(SCENARIO_RUN, name))

    async def await_environment_ready(
        self, name: str, *, timeout: float = DEFAULT_TIMEOUT
    ) -> ScenarioRun:
        """Wait until the environment of the current turn runs (`EnvironmentReady`)."""
        return await self._until(name, "its environment", lambda r: r.environment_ready, timeout)

    async def score(self, name: str) -> ScenarioRun:
        """Ask to score the current turn (`spec.score: true` in a new generation)."""
        run = await self.get(name)
        if run.spec.score:  # a request of an earlier turn: a new one needs a new generation
            await self._objects.patch_spec(SCENARIO_RUN, name, {"score": False})
        return ScenarioRun.of(await self._objects.patch_spec(SCENARIO_RUN, name, {"score": True}))

    async def await_scored(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> ScenarioRun:
        """Wait until the last score request was served: the turn is scored (Scored after
        the last turn, Running on the next one otherwise)."""
        requested = (await self.get(name)).generation

        def served(run: ScenarioRun) -> bool:
            if run.status.score_generation is None or run.status.score_generation < requested:
                return run.state in (ScenarioPhase.COMPLETED,)
            return run.state is not ScenarioPhase.SCORING

        return await self._until(name, "its score", served, timeout)

    async def score_and_await(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> ScenarioRun:
        await self.score(name)
        return await self.await_scored(name, timeout=timeout)

    async def score_and_complete(
        self, name: str, *, timeout: float = DEFAULT_TIMEOUT
    ) -> ScenarioRun:
        """Score the current turn, then end the run and free its environment."""
        await self.score(name)
        await self._objects.patch_spec(SCENARIO_RUN, name, {"complete": True})
        return await self._until(
            name, "Completed", lambda r: r.state is ScenarioPhase.COMPLETED, timeout
        )

    async def complete(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> ScenarioRun:
        """End the run (unscored turns score 0) and free its environment."""
        await self._objects.patch_spec(SCENARIO_RUN, name, {"complete": True})
        return await self._until(
            name, "Completed", lambda r: r.state is ScenarioPhase.COMPLETED, timeout
        )

    async def cancel(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> ScenarioRun:
        await self._objects.patch_spec(SCENARIO_RUN, name, {"cancel": True})
        return await self._until(name, "its end", lambda r: r.state.terminal, timeout, ok_end=True)

    async def _until(
        self,
        name: str,
        what: str,
        done: Callable[[ScenarioRun], bool],
        timeout: float,
        *,
        ok_end: bool = False,
    ) -> ScenarioRun:
        def check(run: ScenarioRun) -> bool:
            if done(run):
                return True
            if run.state.terminal and not ok_end:
                kind = "ScenarioRun"
                raise RunEndedError(kind, name, run.state.value, run.status.message)
            return False

        return await self._wait.until(
            f"ScenarioRun {name}: {what}", lambda: self.get(name), check, timeout
        )


class BenchmarkRuns:
    def __init__(self, objects: _Objects, waiter: _Waiter) -> None:
        self._objects = objects
        self._wait = waiter

    async def get(self, name: str) -> BenchmarkRun:
        return BenchmarkRun.of(await self._objects.get(BENCHMARK_RUN, name))

    async def list_scenario_runs(
        self, name: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[ScenarioRun]:
        items, next_cursor = await self._objects.list(
            SCENARIO_RUN, labels={BENCHMARK_RUN_LABEL: name}, limit=limit, cursor=cursor
        )
        return Page([ScenarioRun.of(i) for i in items], next_cursor)

    async def complete(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> BenchmarkRun:
        """End the run now: running scenarios are completed, the rest stay unscored."""
        await self._objects.patch_spec(BENCHMARK_RUN, name, {"complete": True})
        return await self._ended(name, timeout)

    async def cancel(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> BenchmarkRun:
        await self._objects.patch_spec(BENCHMARK_RUN, name, {"cancel": True})
        return await self._ended(name, timeout)

    async def await_completed(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> BenchmarkRun:
        return await self._ended(name, timeout)

    async def _ended(self, name: str, timeout: float) -> BenchmarkRun:
        ended = (RunPhase.SUCCEEDED, RunPhase.FAILED, RunPhase.CANCELED)
        return await self._wait.until(
            f"BenchmarkRun {name} to end",
            lambda: self.get(name),
            lambda r: r.state in ended,
            timeout,
        )


class AsyncEnduro:
    """Enduro on a Kubernetes cluster, in one namespace (see the module's docstring)."""

    def __init__(
        self, api_client: k8s.ApiClient, *, namespace: str = "default", poll_seconds: float = 1.0
    ) -> None:
        self.api_client = api_client
        self.namespace = namespace
        objects = _Objects(k8s.CustomObjectsApi(api_client), namespace)
        waiter = _Waiter(poll_seconds)
        self.benchmarks = Benchmarks(objects, waiter)
        self.scenarios = Scenarios(objects)
        self.scenario_runs = ScenarioRuns(objects, waiter)
        self.benchmark_runs = BenchmarkRuns(objects, waiter)

    @classmethod
    async def connect(
        cls,
        *,
        namespace: str = "default",
        kubeconfig: str | None = None,
        context: str | None = None,
        poll_seconds: float = 1.0,
    ) -> Self:
        """Connect as kubectl does: `kubeconfig` (else $KUBECONFIG or ~/.kube/config), or
        the pod's service account inside a cluster."""
        try:
            api_client = await k8s_config.new_client_from_config(
                config_file=kubeconfig, context=context
            )
        except k8s_config.ConfigException:
            k8s_config.load_incluster_config()  # type: ignore[no-untyped-call]
            api_client = k8s.ApiClient()
        return cls(api_client, namespace=namespace, poll_seconds=poll_seconds)

    async def close(self) -> None:
        await self.api_client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
