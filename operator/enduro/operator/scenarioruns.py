"""Driving one ScenarioRun: a loop per ScenarioRun (a kopf daemon) that reads the pod of
the step in flight, asks the engine what comes next, patches the status, and creates the
next pod. Decisions are the engine's (`decide`) and `podresults.step_event`'s; this module
only reads and writes Kubernetes objects, in an order that makes restarts safe:

* the status is patched *before* the pod of the next step is created, so a pod exists
  only for a step the status already names, or for the test step of the attempt whose
  agent step it names: that pod carries the agent's outcome (`written_before_pod`), so an
  attempt costs one status write, when it is scored, and a restarted operator decides
  the agent's end again from that pod even if the agent's own pod is gone;
* pod names are deterministic (`<sr>-t003-a1-agent`), so a restarted operator adopts the
  pod of the step in flight (finished or not) instead of running the step again;
* a workspace PVC deleted while a step runs (or found missing by a restarted operator) is
  `WorkspaceLost` for the engine; when it resumes, a fresh PVC of the same name is
  created once the old one is gone, before the pod of the next step.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf
from pydantic import ValidationError

from enduro.api.conditions import set_ready_and_succeeded
from enduro.api.errors import explain
from enduro.api.resources import SCENARIO_RUN
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.events import AgentFinished, Canceled, Event, Started, WorkspaceLost
from enduro.engine.machine import (
    AgentStep,
    Done,
    Step,
    TestStep,
    current_step,
    deadline,
    decide,
    scenario_timed_out,
    step_testing,
)
from enduro.engine.results import AgentOutcome
from enduro.operator import kueue, metrics, telemetry
from enduro.operator.children import build_pvc
from enduro.operator.config import OperatorConfig
from enduro.operator.kubeapi import KubeApi
from enduro.operator.podresults import next_check_in, recorded_agent_end, step_event
from enduro.operator.pods import build_pod, with_agent_outcome
from enduro.operator.wakeups import Wakeups
from enduro.steps.build import build_step
from enduro.steps.names import step_name, workspace_claim_name
from enduro.steps.spec import StepRole, StepSpec
from enduro.storage.cluster import scenario_url, with_artifact_upload
from enduro.storage.sets import with_scenario_set

KIND = "scenariorun"
PodLookup = Callable[[str], Mapping[str, Any] | None]
# (namespace, claim name) -> uid of a workspace PVC seen deleted (or being deleted).
LostClaims = dict[tuple[str, str], str]


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def status_patch(status: ScenarioRunStatus) -> dict[str, Any]:
    """The whole status as a merge patch: fields that became unset are sent as null, and
    the unset fields of each turn's summary are left out (a list is replaced whole)."""
    return {"status": status.to_patch()}


def written_before_pod(event: Event, next_step: Step) -> bool:
    """Whether the status a decision made is written before the next step's pod is
    created: always, but when an attempt goes on from its agent step to its test step.
    That test pod records the agent's outcome instead; the status is written once the
    attempt is scored (one write per attempt, not per step)."""
    return not (isinstance(event, AgentFinished) and isinstance(next_step, TestStep))


def pod_name(scenario_run: str, step: AgentStep | TestStep) -> str:
    role = StepRole.AGENT if isinstance(step, AgentStep) else StepRole.TEST
    return step_name(
        scenario_run, step.turn, step.attempt, role.value, step.retry, restores=step.restores
    )


def describe(step: Step) -> str:
    if isinstance(step, Done):
        return f"scenario {step.phase.value}"
    role = "agent" if isinstance(step, AgentStep) else "test"
    retry = f" (infrastructure retry {step.retry})" if step.retry else ""
    return f"turn {step.turn} attempt {step.attempt}: {role} step{retry}"


@dataclass
class ScenarioRunDriver:
    body: kopf.Body  # live: kopf updates it as the object changes
    api: KubeApi
    config: OperatorConfig
    wakeups: Wakeups
    pods: PodLookup  # pod name -> the pod as last seen (kopf index), None if unseen
    gone: set[tuple[str, str]]  # (namespace, pod name) of step pods seen deleted
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger]
    lost_claims: LostClaims = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name: str = self.body["metadata"]["name"]
        self.namespace: str = self.body["metadata"]["namespace"]
        self.status = ScenarioRunStatus.model_validate(self.body.get("status") or {})
        self.created: set[str] = set()
        self.claim = workspace_claim_name(self.name)
        self.claim_checked = False  # one GET per driver: a restarted operator saw no event
        self.replacing_claim = False  # the engine resumed on a fresh volume: create it
        self.parsed: tuple[int | None, ScenarioRunSpec] | None = None  # (generation, spec)
        self.built: tuple[ScenarioRunSpec, AgentStep | TestStep, StepSpec] | None = None
        self.named: tuple[AgentStep | TestStep, str] | None = None  # (step, its pod's name)

    async def run(self, stopped: kopf.DaemonStopped) -> None:
        while not stopped:
            spec = await self._spec()
            if spec is None:
                await self.wakeups.wait(KIND, self.namespace, self.name, self.config.poll_seconds)
                continue
            with metrics.time_reconcile("ScenarioRun"):
                moved = await self._advance(spec)
            if moved:
                continue  # something changed: look again at once
            if isinstance(current_step(self.status), Done) and self.status.phase.terminal:
                return
            timeout = self._timeout(spec)
            await self.wakeups.wait(KIND, self.namespace, self.name, timeout)

    async def _spec(self) -> ScenarioRunSpec | None:
        """The spec, or None after reporting why it is invalid (Ready=False, no crash).
        Parsed once per generation: the driver looks at it on every wake-up, and only a
        change of the spec bumps the generation."""
        generation = self.body["metadata"].get("generation")
        if self.parsed is not None and generation is not None and generation == self.parsed[0]:
            return self.parsed[1]
        try:
            spec = ScenarioRunSpec.model_validate(self.body.get("spec") or {})
            self.parsed = (generation, spec)
            return spec
        except ValidationError as error:
            message = f"invalid ScenarioRun: {explain(error, 'spec')}"
            if self.status.message != message[:1024]:
                conditions = set_ready_and_succeeded(
                    self.status.conditions,
                    ready="False",
                    succeeded="Unknown",
                    reason="InvalidSpec",
                    message=message,
                    now=utcnow(),
                    generation=self.body["metadata"].get("generation"),
                )
                self.status = self.status.model_copy(
                    update={"message": message[:1024], "conditions": conditions}
                )
                patch = status_patch(self.status)
                await self.api.patch(
                    SCENARIO_RUN.api_version,
                    SCENARIO_RUN.plural,
                    self.namespace,
                    self.name,
                    patch,
                    status=True,
                )
                self.logger.warning(message)
            return None

    async def _advance(self, spec: ScenarioRunSpec) -> bool:
        """One look at the scenario; True if it moved (so the caller looks again at once)."""
        step = current_step(self.status)
        event: Event | None = None
        pod: Mapping[str, Any] | None = None
        if self.status.phase is ScenarioPhase.PENDING:
            await self.api.create("persistentvolumeclaims", self._pvc(spec))
            ref = scenario_url(spec) or f"pvc://{workspace_claim_name(self.name)}/artifacts"
            event = Started(ref)
        elif isinstance(step, Done):
            return False
        elif spec.cancel:
            event = Canceled("canceled by spec.cancel")
            pod = self.pods(self._pod_name(step))
        elif expired := scenario_timed_out(spec, self.status, utcnow()):
            event = expired  # the step in flight is stopped below
            pod = self.pods(self._pod_name(step))
        elif self.replacing_claim and not await self._replace_claim(spec):
            return False  # the old claim is still being deleted
        elif not self.replacing_claim and (lost := await self._claim_lost()):
            event = WorkspaceLost(lost, checkpoints=spec.artifacts.s3 is not None)
            pod = self.pods(self._pod_name(step))
        else:
            name = self._pod_name(step)
            pod = self.pods(name)
            if pod is None and isinstance(step, AgentStep):
                # Its end was decided, and its test pod created, before a restart.
                test_pod = self.pods(pod_name(self.name, step_testing(step)))
                event = recorded_agent_end(step, test_pod)
            if event is None:
                if pod is None and (self.namespace, name) not in self.gone:
                    if name not in self.created:
                        await self._create_pod(spec, step)
                    return False
                event = step_event(
                    step,
                    pod,
                    utcnow(),
                    timeout_seconds=self._built(spec, step).timeout_seconds,
                    unschedulable_seconds=self.config.unschedulable_seconds,
                )
                if event is None:
                    return False
        return await self._apply(spec, step, event, pod)

    async def _apply(
        self, spec: ScenarioRunSpec, step: Step, event: Event, pod: Mapping[str, Any] | None
    ) -> bool:
        generation = self.body["metadata"].get("generation")
        now = utcnow()
        decision = decide(spec, self.status, event, now, generation)
        if decision.status == self.status:
            return False
        written = written_before_pod(event, decision.step)
        if written:
            await self.api.patch(
                SCENARIO_RUN.api_version,
                SCENARIO_RUN.plural,
                self.namespace,
                self.name,
                status_patch(decision.status),
                status=True,
            )
        telemetry.record_decision(
            telemetry.RunLabels.of(self.body),
            step=step,
            event=event,
            old=self.status,
            new=decision.status,
            next_step=decision.step,
            seconds=telemetry.step_seconds(pod, now),
        )
        posted = telemetry.event_for(step, event, self.status, decision.status, decision.step)
        self.status = decision.status
        if isinstance(step, AgentStep | TestStep):  # that pod's deletion no longer matters
            self.gone.discard((self.namespace, self._pod_name(step)))
        if pod is not None and pod.get("status", {}).get("phase") in ("Pending", "Running"):
            # The step is over for the engine (canceled, stuck, out of time): stop its pod.
            await self.api.delete("v1", "pods", self.namespace, pod["metadata"]["name"])
        self._report(step, event, decision.step, posted)
        if isinstance(event, WorkspaceLost) and isinstance(decision.step, AgentStep):
            self.replacing_claim = True
            if not await self._replace_claim(spec):
                return True
        if isinstance(decision.step, AgentStep | TestStep):
            recorded = event.outcome if isinstance(event, AgentFinished) and not written else None
            if self.pods(self._pod_name(decision.step)) is None:  # a restart may find it
                await self._create_pod(spec, decision.step, recorded)
        return True

    async def _claim_lost(self) -> str:
        """Why the workspace PVC of the running scenario is gone, or "" if it is not."""
        key = (self.namespace, self.claim)
        lost_uid = self.lost_claims.get(key)
        if lost_uid is None and self.claim_checked:
            return ""
        self.claim_checked = True
        claim = await self.api.get("v1", "persistentvolumeclaims", self.namespace, self.claim)
        if claim is None:
            return f"persistentvolumeclaim {self.claim} was deleted"
        meta = claim["metadata"]
        if meta.get("deletionTimestamp"):
            return f"persistentvolumeclaim {self.claim} is being deleted"
        if lost_uid is not None and meta.get("uid") == lost_uid:
            return f"persistentvolumeclaim {self.claim} was deleted"
        self.lost_claims.pop(key, None)  # none lost, or a claim of the same name came back
        return ""

    async def _replace_claim(self, spec: ScenarioRunSpec) -> bool:
        """After the engine resumed on a fresh volume: True once a live claim is there (the
        old one must be gone first: Kubernetes keeps a claim in use until its pods end)."""
        key = (self.namespace, self.claim)
        claim = await self.api.get("v1", "persistentvolumeclaims", self.namespace, self.claim)
        if claim is not None:
            meta = claim["metadata"]
            if meta.get("deletionTimestamp") or meta.get("uid") == self.lost_claims.get(key):
                return False
        else:
            await self.api.create("persistentvolumeclaims", self._pvc(spec))
        self.lost_claims.pop(key, None)
        self.replacing_claim = False
        return True

    async def _create_pod(
        self,
        spec: ScenarioRunSpec,
        step: AgentStep | TestStep,
        agent_outcome: AgentOutcome | None = None,
    ) -> None:
        """Create `step`'s pod; a test step's carries `agent_outcome` when the status
        does not record it yet."""
        built = self._built(spec, step)
        manifest = build_pod(
            built,
            self.body,
            claim=workspace_claim_name(self.name),
            namespace=self.namespace,
            runtime_class_name=self.config.runtime_class_name,
        )
        if agent_outcome is not None:
            manifest = with_agent_outcome(manifest, agent_outcome)
        restoring = isinstance(step, AgentStep) and step.restore_turn is not None
        # artifacts.s3 (enduro.storage): where the test step uploads, a restore reads
        manifest = with_artifact_upload(manifest, spec, restoring=restoring)
        manifest = with_scenario_set(manifest, spec)  # source: S3 keys or the ConfigMap
        queue = kueue.queue_for(spec.queue_name, self.config.default_queue_name)
        await self.api.create("pods", kueue.queued_pod(manifest, queue))
        self.created.add(built.name)
        metrics.record_pod_created(self.namespace, stage=built.role.value)

    def _pod_name(self, step: AgentStep | TestStep) -> str:
        """The name of `step`'s pod, made once per step (every wake-up looks it up)."""
        if self.named is None or self.named[0] != step:
            self.named = (step, pod_name(self.name, step))
        return self.named[1]

    def _built(self, spec: ScenarioRunSpec, step: AgentStep | TestStep) -> StepSpec:
        """The step in flight as built for its pod, once per step (its pod's events each
        ask for its time limit)."""
        if self.built is None or self.built[0] is not spec or self.built[1] != step:
            self.built = (spec, step, build_step(self.name, spec, step, images=self.config.images))
        return self.built[2]

    def _pvc(self, spec: ScenarioRunSpec) -> dict[str, Any]:
        return build_pvc(self.body, spec.workspace, namespace=self.namespace)

    def _report(
        self, step: Step, event: Event, next_step: Step, posted: telemetry.RunEvent | None
    ) -> None:
        """Log every decision; post a Kubernetes Event only for the ones worth one."""
        kind = type(event).__name__
        message = f"{describe(step)} -> {kind}; next: {describe(next_step)}"
        if isinstance(next_step, AgentStep | TestStep):
            message += f" (pod {self._pod_name(next_step)})"
        if posted is not None:
            kopf.event(self.body, type=posted.type, reason=posted.reason, message=posted.message)
        self.logger.info(message)

    def _timeout(self, spec: ScenarioRunSpec) -> float:
        step = current_step(self.status)
        timeout = self.config.poll_seconds
        if isinstance(step, AgentStep | TestStep):
            check = next_check_in(
                self.pods(self._pod_name(step)), utcnow(), self.config.unschedulable_seconds
            )
            if check is not None:
                timeout = min(timeout, check + 0.01)
        limit = deadline(spec, self.status)
        if limit is not None and not self.status.phase.terminal:
            timeout = min(timeout, max(0.0, (limit - utcnow()).total_seconds()) + 0.01)
        return timeout


async def delete_workspace(api: KubeApi, namespace: str, name: str) -> None:
    """The finalizer's work: delete the PVC explicitly (not only via ownerReferences, which a
    PVC protection finalizer or a missing garbage collector could leave behind)."""
    await api.delete("v1", "persistentvolumeclaims", namespace, workspace_claim_name(name))
