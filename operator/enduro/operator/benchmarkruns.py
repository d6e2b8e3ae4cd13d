"""Driving one BenchmarkRun: a loop per BenchmarkRun (a kopf daemon) that plans
(`runplan.plan_run`: pure), creates the ScenarioRuns it may start, cancels the ones it
must, and patches its status when it changed. It wakes on its ScenarioRuns' events and
on Benchmark/Agent/Scenario/Scorer events (so a reference that appears later is picked
up at once)."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import kopf
from pydantic import ValidationError

from enduro.api.benchmarkrun import BenchmarkRunSpec
from enduro.api.conditions import Condition, set_condition
from enduro.api.resources import BENCHMARK_RUN, SCENARIO_RUN
from enduro.api.scenariorun import ScenarioRunStatus
from enduro.api.storage import S3Location
from enduro.engine.catalogue import required_secrets
from enduro.engine.runplan import (
    Catalogue,
    Child,
    RunPlan,
    child_turns,
    plan_external_run,
    plan_run,
)
from enduro.operator import kueue, metrics
from enduro.operator.children import build_scenario_run
from enduro.operator.config import OperatorConfig
from enduro.operator.essence import handled
from enduro.operator.kubeapi import ApiError, KubeApi
from enduro.operator.wakeups import Wakeups
from enduro.sandbox.policy import Isolation
from enduro.steps.names import scenario_run_name
from enduro.storage.cluster import StorageError, artifacts_condition, publish_cluster_report
from enduro.storage.sets import source_condition

KIND = "benchmarkrun"
Lookup = Callable[[str], Mapping[str, Any] | None]


@dataclass
class BenchmarkRunDriver:
    body: kopf.Body  # live
    api: KubeApi
    config: OperatorConfig
    wakeups: Wakeups
    # (namespace, name) -> the Benchmark's labels and spec
    benchmarks: Callable[[str, str], tuple[Mapping[str, str], Mapping[str, Any]] | None]
    agents: Lookup  # name -> Agent spec in this namespace
    catalogue: Callable[[str], Catalogue]  # a namespace's Scenarios and Scorers
    children: Callable[[], Mapping[int, Child]]  # this run's ScenarioRuns as observed
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger]

    def __post_init__(self) -> None:
        self.name: str = self.body["metadata"]["name"]
        self.namespace: str = self.body["metadata"]["namespace"]
        self.written: dict[str, Any] | None = self.body.get("status")
        self.created: dict[int, Child] = {}  # created here, maybe not observed yet
        self.canceled: set[int] = set()
        self.completed: set[int] = set()  # external agents: asked to complete
        self.artifacts_ok = False  # the bucket of artifacts.s3 was checked
        self.set_ok = False  # the Benchmark's stored set (spec.source) was checked
        self.secrets_found: set[str] = set()  # required Secrets seen (or not checkable)

    async def run(self, stopped: kopf.DaemonStopped) -> None:
        while not stopped:
            with metrics.time_reconcile("BenchmarkRun"):
                queue = await self._missing_queue()
                plan = self._plan(queue)
                if missing := await self._missing_secrets(plan):
                    plan = self._plan(queue, missing)
                await self._act(plan)
            if plan.finished and not plan.cancel:
                await self._publish(plan)
                return
            await self.wakeups.wait(KIND, self.namespace, self.name, self.config.poll_seconds)
            # Every ScenarioRun event wakes the run, and a plan looks at all of them: let a
            # burst of events settle into one plan instead of one plan per event.
            await asyncio.sleep(self.config.run_settle_seconds)

    async def _missing_queue(self) -> str | None:
        """The run's Kueue LocalQueue if it does not exist (None: no queue, or it exists)."""
        spec = self.body.get("spec") or {}
        queue = kueue.queue_for(spec.get("queueName"), self.config.default_queue_name)
        if queue is None:
            return None
        try:
            found = await self.api.get(
                kueue.LOCAL_QUEUE_API_VERSION, kueue.LOCAL_QUEUES, self.namespace, queue
            )
        except ApiError as error:  # e.g. 403: not allowed to look; let Kueue decide
            self.logger.warning(f"cannot check LocalQueue {queue!r}: {error}")
            return None
        return queue if found is None else None

    async def _missing_secrets(self, plan: RunPlan) -> list[str]:
        """The Secrets the scenarios require that do not exist, checked only while
        ScenarioRuns are to be created (a Secret seen once is not looked up again)."""
        if not plan.create or plan.contents is None:
            return []
        missing = []
        for name in required_secrets(plan.contents):
            if name in self.secrets_found:
                continue
            try:
                found = await self.api.get("v1", "secrets", self.namespace, name)
            except ApiError as error:
                # 403 unless the chart's rbac.checkRequiredSecrets: the step pods will
                # say it (CreateContainerConfigError); warn once, not on every plan.
                self.logger.warning(f"cannot check Secret {name!r}: {error}")
                self.secrets_found.add(name)
                continue
            if found is None:
                missing.append(name)
            else:
                self.secrets_found.add(name)
        return missing

    def _plan(
        self, missing_queue: str | None = None, missing_secrets: list[str] | None = None
    ) -> RunPlan:
        spec = self.body.get("spec") or {}
        ref = spec.get("benchmarkRef") or {}
        home = ref.get("namespace") or self.namespace
        if home != self.namespace:
            self.wakeups.follow(KIND, self.namespace, self.name, home)
        found = self.benchmarks(home, ref.get("name", ""))
        labels, benchmark = found if found is not None else ({}, None)
        agent = self.agents((spec.get("agentRef") or {}).get("name", ""))
        observed = dict(self.children())
        children = {**self.created, **observed}
        children = {
            i: replace(c, cancel=c.cancel or i in self.canceled) for i, c in children.items()
        }
        run = {"metadata": self.body["metadata"], "spec": spec, "status": self.written}
        now = datetime.datetime.now(tz=datetime.UTC)
        catalogue = replace(self.catalogue(home), missing_secrets=missing_secrets or ())
        if spec.get("agent"):  # {external: true}: the user's client starts the ScenarioRuns
            return plan_external_run(
                run, benchmark, catalogue, children, now, benchmark_labels=labels
            )
        return plan_run(
            run,
            benchmark,
            agent,
            children,
            now,
            missing_queue=missing_queue,
            catalogue=catalogue,
            benchmark_labels=labels,
        )

    async def _act(self, plan: RunPlan) -> None:
        plan = await self._check_artifacts(plan)
        plan = await self._check_source(plan)
        if plan.create and plan.contents is not None and plan.agent is not None:
            for index in plan.create:
                manifest = build_scenario_run(self.body, plan.contents, plan.agent, index)
                await self.api.create(SCENARIO_RUN.plural, handled(manifest))
                self.created[index] = Child(ScenarioRunStatus(), turns=plan.contents.turns(index))
            # One Event per batch, not per ScenarioRun: each Event is an API write.
            first, last = plan.create[0], plan.create[-1]
            kopf.event(
                self.body,
                type="Normal",
                reason="ScenarioCreated",
                message=f"{len(plan.create)} scenarios ({first}..{last})",
            )
        for index in plan.cancel:
            await self.api.patch(
                SCENARIO_RUN.api_version,
                SCENARIO_RUN.plural,
                self.namespace,
                scenario_run_name(self.name, index),
                {"spec": {"cancel": True}},
            )
            self.canceled.add(index)
        for index in plan.complete:
            if index not in self.completed:
                await self.api.patch(
                    SCENARIO_RUN.api_version,
                    SCENARIO_RUN.plural,
                    self.namespace,
                    scenario_run_name(self.name, index),
                    {"spec": {"complete": True}},
                )
                self.completed.add(index)
        status = plan.status.model_dump(mode="json", by_alias=True)
        if status != self.written:
            await self.api.patch(
                BENCHMARK_RUN.api_version,
                BENCHMARK_RUN.plural,
                self.namespace,
                self.name,
                {"status": status},
                status=True,
            )
            if (self.written or {}).get("phase") != status["phase"]:
                kopf.event(
                    self.body,
                    type="Normal",
                    reason=f"Run{status['phase']}",
                    message=status["message"] or status["progress"],
                )
                self.logger.info(f"phase {status['phase']} ({status['progress']})")
            self.written = status

    def _s3(self) -> S3Location | None:
        try:
            return BenchmarkRunSpec.model_validate(self.body.get("spec") or {}).artifacts.s3
        except ValidationError:
            return None  # the plan reports the invalid spec

    async def _check_artifacts(self, plan: RunPlan) -> RunPlan:
        """With `artifacts.s3`, no ScenarioRun starts while the bucket is unusable; the
        `ArtifactsReady` condition says why (enduro.storage.cluster)."""
        location = self._s3()
        if location is None or not plan.create or self.artifacts_ok:
            return plan
        condition = await asyncio.to_thread(artifacts_condition, location)
        self.artifacts_ok = condition.status != "False"
        return _gated(plan, condition)

    async def _check_source(self, plan: RunPlan) -> RunPlan:
        """With a stored set (`Benchmark.spec.source`), no ScenarioRun starts until the set
        was fetched and every digest matched; `ScenarioSetReady` says which file did not
        (enduro.storage.sets). A ConfigMap source is read from the run's namespace, where
        the step pods mount it."""
        contents = plan.contents
        if not plan.create or self.set_ok or contents is None or contents.source is None:
            return plan
        source, generator = contents.source, contents.generator
        assert generator is not None
        config_map = None
        if source.config_map is not None:
            config_map = await self.api.get(
                "v1", "configmaps", self.namespace, source.config_map.name
            )
        condition = await asyncio.to_thread(source_condition, source, generator, config_map)
        self.set_ok = condition.status != "False"
        return _gated(plan, condition)

    async def _publish(self, plan: RunPlan) -> None:
        """The report next to the artifacts when the run uploads them (`artifacts.s3`)."""
        location = self._s3()
        if location is None or plan.contents is None or plan.agent is None:
            return
        spec = self.body["spec"]
        fields = {
            "agent": spec["agentRef"]["name"],
            "harness": plan.agent.harness.value,
            "benchmark": spec["benchmarkRef"]["name"],
            "benchmark_run": self.name,
            "n_turns": plan.contents.max_turns,
            "isolation": Isolation.POD,
        }
        children = self.children()
        statuses = {i: c.status for i, c in children.items()}
        fields["scenario_turns"] = {i: child_turns(plan.contents, i, children) for i in statuses}
        try:
            url = await asyncio.to_thread(publish_cluster_report, location, fields, statuses)
        except StorageError as exc:
            kopf.event(self.body, type="Warning", reason="ReportNotUploaded", message=str(exc))
            return
        kopf.event(self.body, type="Normal", reason="ReportUploaded", message=url)


def _gated(plan: RunPlan, condition: Condition) -> RunPlan:
    """`plan` with a precondition's `condition` in its status; a False one holds back the
    ScenarioRuns it would create and says why in the run's message."""
    now = datetime.datetime.now(tz=datetime.UTC)
    update: dict[str, Any] = {"conditions": set_condition(plan.status.conditions, condition, now)}
    ok = condition.status != "False"
    if not ok:
        update["message"] = condition.message[:1024]
    status = plan.status.model_copy(update=update)
    return replace(plan, status=status, create=plan.create if ok else [])
