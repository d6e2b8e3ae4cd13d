"""What a step's pod says about the step: still going, or the engine event it ended with.

Pure: `step_event(step, pod, now, ...)` reads a pod's status and returns None while the
step runs, or one of the engine's events once it is decided:

* the test step's summary comes from the test runner's termination message
  (`TestSummary` JSON) -> `TestFinished`;
* the agent step's outcome comes from the agent container's termination message
  (`AgentOutcome` JSON) -> `AgentFinished`;
* failures that are not the agent's fault re-run the step without spending an attempt
  (`StepFailedInfra`): eviction, image pulls, unschedulable for too long, an init
  container (Enduro's own prepare-workspace) failing, a test runner crashing or running
  out of time, a pod that disappeared;
* what a finished pod means is the engine's (`enduro.engine.stepend.step_finished`, the
  translator the local runtime calls too): a pod past its deadline is
  `step_timed_out` (the agent's failure for an agent step, the infrastructure's for a
  test step); an OOM-killed agent is scored and spends the attempt;
* an attempt's test pod carries the outcome its agent step was decided on
  (`recorded_agent_end`): the status names the agent step until the attempt is scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from enduro.engine.events import (
    AgentFinished,
    EnvironmentLost,
    EnvironmentReady,
    Event,
    StepFailedInfra,
)
from enduro.engine.external import Environment
from enduro.engine.plan import AgentStep, TestStep
from enduro.engine.results import AgentOutcome
from enduro.engine.stepend import EXIT_OOM, StepEnd, init_failed, step_finished
from enduro.operator.pods import AGENT_OUTCOME_ANNOTATION

# Waiting reasons of a container that will not start without outside help.
STUCK_WAITING = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)

Pod = Mapping[str, Any]


def _terminated(pod: Pod, container: str) -> Mapping[str, Any] | None:
    for status in pod.get("status", {}).get("containerStatuses") or []:
        if status.get("name") == container:
            terminated: Mapping[str, Any] | None = (status.get("state") or {}).get("terminated")
            return terminated
    return None


def _failed_init(pod: Pod) -> str | None:
    sidecars = _native_sidecars(pod)
    for status in pod.get("status", {}).get("initContainerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated and terminated.get("exitCode", 0) != 0 and status["name"] not in sidecars:
            return init_failed(
                status["name"], terminated["exitCode"], str(terminated.get("message") or "")
            )
    return None


def _native_sidecars(pod: Pod) -> set[str]:
    """Init containers that run beside the main one (`restartPolicy: Always`): stopped
    when it ends, so their exit code says nothing about the step."""
    return {
        str(container.get("name"))
        for container in pod.get("spec", {}).get("initContainers") or []
        if container.get("restartPolicy") == "Always"
    }


def _image(pod: Pod, container: Mapping[str, Any]) -> str:
    """The image a container runs, from its status or else the pod's spec."""
    if container.get("image"):
        return str(container["image"])
    spec = pod.get("spec", {})
    for spec_container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if spec_container.get("name") == container.get("name"):
            return str(spec_container.get("image") or "")
    return ""


def _stuck(pod: Pod) -> str | None:
    """Why a container waits for good (an image that cannot be pulled, a missing Secret),
    naming the container and its image: an infrastructure failure the user must fix."""
    status = pod.get("status", {})
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in STUCK_WAITING:
                detail = waiting.get("message") or ""
                image = _image(pod, container)
                named = f" (image {image})" if image else ""
                return f"{container['name']}{named}: {waiting['reason']} {detail}".strip()
    return None


def _unschedulable_since(pod: Pod) -> tuple[datetime, str] | None:
    for condition in pod.get("status", {}).get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            since = datetime.fromisoformat(str(condition["lastTransitionTime"]))
            return since, str(condition.get("message", ""))
    return None


def _main_end(pod: Pod, main: str) -> StepEnd:
    """How the step's main container ended, for the engine's translator."""
    terminated = _terminated(pod, main)
    if terminated is None:
        phase = pod.get("status", {}).get("phase", "?")
        return StepEnd(infra=f"{main} pod {phase} without a result")
    code = int(terminated.get("exitCode", 0))
    message = str(terminated.get("message") or "")
    oom = terminated.get("reason") == "OOMKilled" or (code == EXIT_OOM and not message)
    return StepEnd(exit_code=code, output=message, oom=oom)


def main_container(step: AgentStep | TestStep) -> str:
    return "agent" if isinstance(step, AgentStep) else "test-runner"


def step_event(
    step: AgentStep | TestStep,
    pod: Pod | None,
    now: datetime,
    *,
    timeout_seconds: int,
    unschedulable_seconds: float = 300,
) -> Event | None:
    """The event that ends `step`, whose pod is `pod` (None: the pod is gone), or None
    while it is still pending or running normally. `timeout_seconds` is the pod's
    `activeDeadlineSeconds` (the StepSpec's limit)."""
    if pod is None:
        return StepFailedInfra("the step's pod disappeared", step=step)
    status = pod.get("status", {})
    phase = status.get("phase", "Pending")
    if status.get("reason") == "Evicted":
        return StepFailedInfra(f"evicted: {status.get('message', '')}".strip(), step=step)
    if phase in ("Pending", "Running", "Unknown"):
        stuck = _stuck(pod)
        if stuck:
            return StepFailedInfra(stuck, step=step)
        unschedulable = _unschedulable_since(pod)
        if unschedulable and (now - unschedulable[0]).total_seconds() >= unschedulable_seconds:
            return StepFailedInfra(f"unschedulable: {unschedulable[1]}", step=step)
        return None
    failed_init = _failed_init(pod)
    if status.get("reason") == "DeadlineExceeded":
        end = StepEnd(timed_out=True, timeout_seconds=timeout_seconds)
    elif failed_init:
        end = StepEnd(infra=failed_init)
    else:
        end = _main_end(pod, main_container(step))
    return step_finished(step, end)


def recorded_agent_end(step: AgentStep, test_pod: Pod | None) -> AgentFinished | None:
    """How `step` ended, as its attempt's test pod `test_pod` records it (None: no such
    pod, or one that records nothing readable)."""
    if test_pod is None:
        return None
    recorded = (test_pod.get("metadata", {}).get("annotations") or {}).get(AGENT_OUTCOME_ANNOTATION)
    if not recorded:
        return None
    try:
        return AgentFinished(AgentOutcome.model_validate_json(recorded), step=step)
    except ValidationError:
        return None


def environment_event(
    environment: Environment, pod: Pod | None
) -> EnvironmentReady | EnvironmentLost | None:
    """What an external agent's environment pod says: ready once it runs, lost once it
    ended or disappeared (it never ends on its own), None while it starts."""
    if pod is None:
        return EnvironmentLost("its pod was deleted")
    status = pod.get("status", {})
    phase = status.get("phase", "Pending")
    if phase == "Running":
        return EnvironmentReady(environment.turn)
    if phase in ("Succeeded", "Failed"):
        detail = _failed_init(pod) or status.get("reason") or f"its pod {phase}"
        return EnvironmentLost(f"{detail} {status.get('message', '')}".strip())
    stuck = _stuck(pod)
    return EnvironmentLost(stuck) if stuck else None


def next_check_in(pod: Pod | None, now: datetime, unschedulable_seconds: float) -> float | None:
    """Seconds until `step_event` could change its answer without a new pod event
    (an unschedulable pod reaching its limit), or None."""
    if pod is None:
        return None
    unschedulable = _unschedulable_since(pod)
    if unschedulable is None:
        return None
    return max(0.0, unschedulable_seconds - (now - unschedulable[0]).total_seconds())
