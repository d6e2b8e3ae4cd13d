"""Driving a ScenarioRun of an external agent (`externalAgent: {external: true}`): the
same daemon loop as `scenarioruns.ScenarioRunDriver`, with Runloop's flow in place of
the agent/test steps. Decisions are the engine's (`engine.external`); this module reads
pods and the spec's requests, patches the status, then makes the pods match it:

* the environment of the current turn runs while the run waits for the user
  (Running, Scoring, Scored); older turns' environments are deleted;
* the scoring step of the turn (the test step `steps.build` builds for the explicit
  scenario; it mounts the workspace read-only) runs while Scoring;
* once the run ended nothing of it runs: `complete` frees the environment.

As for generated runs, the status is patched before a pod is created and pod names are
deterministic (`<sr>-t001-env`, `<sr>-t001-a1-test`), so a restarted operator adopts
what exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from enduro.api.resources import SCENARIO_RUN
from enduro.api.scenariorun import ScenarioPhase, ScenarioRunSpec, ScenarioRunStatus
from enduro.engine.events import Canceled, EnvironmentLost, Event, Started, StepFailedInfra
from enduro.engine.external import (
    Environment,
    decide_external,
    environment,
    environment_ready,
    expired,
    idle_deadline,
    request,
    scoring_step,
)
from enduro.engine.machine import Done, deadline
from enduro.operator import kueue, metrics, telemetry
from enduro.operator.podresults import environment_event, step_event
from enduro.operator.pods import build_pod
from enduro.operator.scenarioruns import ScenarioRunDriver, pod_name, status_patch, utcnow
from enduro.steps.build import build_step
from enduro.steps.environment import build_environment_step
from enduro.steps.names import environment_name, workspace_claim_name
from enduro.storage.cluster import scenario_url


class ExternalRunDriver(ScenarioRunDriver):
    """One external agent's ScenarioRun (see the module's docstring)."""

    async def _advance(self, spec: ScenarioRunSpec) -> bool:
        generation = int(self.body["metadata"].get("generation") or 0)
        if self.status.phase is ScenarioPhase.PENDING:
            await self.api.create("persistentvolumeclaims", self._pvc(spec))
            ref = scenario_url(spec) or f"pvc://{workspace_claim_name(self.name)}/artifacts"
            return await self._decide(spec, Started(ref), generation)
        if self.status.phase.terminal:
            return False
        event = self._observe(spec, generation)
        if event is not None and await self._decide(spec, event, generation):
            return True
        await self._start_pods(spec)
        return False

    def _observe(self, spec: ScenarioRunSpec, generation: int) -> Event | None:
        """The first thing that happened: the run out of time or canceled, the scoring
        step ended, the environment up or lost, then the user's request."""
        late = expired(spec, self.status, utcnow())
        if late is not None:
            return late
        if spec.cancel:
            return Canceled("canceled by spec.cancel")
        step = scoring_step(self.status)
        if step is not None:
            name = pod_name(self.name, step)
            pod = self.pods(name)
            if pod is not None or (self.namespace, name) in self.gone:
                built = build_step(self.name, spec, step)
                ended = step_event(
                    step,
                    pod,
                    utcnow(),
                    timeout_seconds=built.timeout_seconds,
                    unschedulable_seconds=self.config.unschedulable_seconds,
                )
                if ended is not None:
                    return ended
        env = environment(self.status)
        if env is not None:
            name = environment_name(self.name, env.turn)
            pod = self.pods(name)
            if pod is not None or (self.namespace, name) in self.gone:
                seen = environment_event(env, pod)
                # Ready is news only once; a lost environment always is.
                if isinstance(seen, EnvironmentLost) or (
                    seen is not None and not environment_ready(self.status)
                ):
                    return seen
        return request(spec, self.status, generation)

    async def _decide(self, spec: ScenarioRunSpec, event: Event, generation: int) -> bool:
        new = decide_external(spec, self.status, event, utcnow(), generation)
        if new == self.status:
            return False
        await self.api.patch(
            SCENARIO_RUN.api_version,
            SCENARIO_RUN.plural,
            self.namespace,
            self.name,
            status_patch(new),
            status=True,
        )
        old, self.status = self.status, new
        self._record(old, new, event)
        self._announce(old, new, event)
        await self._stop_pods(old, new)
        await self._start_pods(spec)
        return True

    def _names(self, status: ScenarioRunStatus) -> set[str]:
        """The pods `status` says must run."""
        names = set()
        env = environment(status)
        if env is not None:
            names.add(environment_name(self.name, env.turn))
        step = scoring_step(status)
        if step is not None:
            names.add(pod_name(self.name, step))
        return names

    async def _stop_pods(self, old: ScenarioRunStatus, new: ScenarioRunStatus) -> None:
        """Delete what ran for `old` and must not run for `new` (an older turn's
        environment, a scoring step that ended early, everything once the run ended)."""
        for name in sorted(self._names(old) - self._names(new)):
            self.gone.discard((self.namespace, name))
            pod = self.pods(name)
            if pod is not None and pod.get("status", {}).get("phase") in ("Pending", "Running"):
                await self.api.delete("v1", "pods", self.namespace, name)

    async def _start_pods(self, spec: ScenarioRunSpec) -> None:
        env = environment(self.status)
        if env is not None:
            await self._start_environment(spec, env)
        step = scoring_step(self.status)
        if step is not None and self._missing(pod_name(self.name, step)):
            await self._create_pod(spec, step)

    def _missing(self, name: str) -> bool:
        """Not seen, not seen deleted (that is an event to decide on), not created here."""
        seen = self.pods(name) is not None or (self.namespace, name) in self.gone
        return not seen and name not in self.created

    async def _start_environment(self, spec: ScenarioRunSpec, env: Environment) -> None:
        if not self._missing(environment_name(self.name, env.turn)):
            return
        built = build_environment_step(self.name, spec, env.turn, images=self.config.images)
        manifest = build_pod(
            built,
            self.body,
            claim=workspace_claim_name(self.name),
            namespace=self.namespace,
            runtime_class_name=self.config.runtime_class_name,
        )
        queue = kueue.queue_for(spec.queue_name, self.config.default_queue_name)
        await self.api.create("pods", kueue.queued_pod(manifest, queue))
        self.created.add(built.name)
        metrics.record_pod_created(self.namespace, stage="environment")

    def _record(self, old: ScenarioRunStatus, new: ScenarioRunStatus, event: Event) -> None:
        """Metrics as for agent-driven runs: scoring steps, turns, the scenario's end."""
        step = scoring_step(old)
        pod = self.pods(pod_name(self.name, step)) if step is not None else None
        telemetry.record_decision(
            telemetry.RunLabels.of(self.body),
            step=step or Done(old.phase),
            event=event,
            old=old,
            new=new,
            next_step=scoring_step(new) or Done(new.phase),
            seconds=telemetry.step_seconds(pod, utcnow()),
        )

    def _announce(self, old: ScenarioRunStatus, new: ScenarioRunStatus, event: Event) -> None:
        """One Kubernetes Event per change the user cares about (phase, turn, environment)."""
        kind = type(event).__name__
        env = "ready" if environment_ready(new) else "not ready"
        message = f"{kind}: {new.phase.value}, turn {new.turn}, environment {env}"
        if new.message:
            message += f": {new.message}"
        if isinstance(event, StepFailedInfra | EnvironmentLost):
            kopf.warn(self.body, reason="InfrastructureFailure", message=message)
        elif new.phase != old.phase:
            kopf.event(
                self.body, type="Normal", reason=f"Scenario{new.phase.value}", message=message
            )
        else:
            kopf.event(self.body, type="Normal", reason=kind, message=message)
        self.logger.info(message)

    def _timeout(self, spec: ScenarioRunSpec) -> float:
        """Sleep until the next deadline (keep-alive, scenario), a pod event or a poll."""
        timeout = self.config.poll_seconds
        for limit in (idle_deadline(spec, self.status), deadline(spec, self.status)):
            if limit is not None and not self.status.phase.terminal:
                timeout = min(timeout, max(0.0, (limit - utcnow()).total_seconds()) + 0.01)
        return timeout


def is_external(body: Mapping[str, Any]) -> bool:
    """Whether a ScenarioRun's spec asks for an external agent (its driver is this one)."""
    return bool((body.get("spec") or {}).get("externalAgent"))
