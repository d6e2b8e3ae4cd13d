"""Pure builder of an external agent's environment (docs/scenarios.md): the long-lived
step the user's own agent works in, one per turn.

init: `enduro prepare-workspace` (trusted; in the scenario's image, whose tools the
      setup commands need, else the enduro image) writes the turn's seed files, runs
      the setup commands on the first turn and writes TASK.md;
main: the scenario's image (else the enduro image) sleeping in the workspace, with the
      scenario's env and resources, until the turn is scored or the run ends; the user
      reaches it with `kubectl exec` or through the workspace.

The main container is the agent's: it sees the workspace only (no artifacts: scores,
logs and scorer output stay out of its reach) and gets no scenario definition. The pod
runs under the same lock-down as agent pods (`operator.pods.build_pod`).
"""

from __future__ import annotations

from enduro.api.scenariorun import ScenarioRunSpec
from enduro.api.settings import DAY
from enduro.sandbox.policy import Isolation
from enduro.steps.build import ARTIFACTS, WORKSPACE, Images
from enduro.steps.context import StepContext
from enduro.steps.names import environment_name
from enduro.steps.spec import ContainerSpec, Mount, StepEnvVar, StepRole, StepSpec, VolumeName

# Sleeps until stopped, and stops at once on SIGTERM (a bare `sleep` as PID 1 ignores it
# and the pod would take its whole grace period to go).
SLEEP = ["sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"]
# An environment lives as long as its user keeps it busy (keep-alive, decided by the
# engine); the pod's own deadline only backs up `timeouts.scenarioSeconds`.
ENVIRONMENT_MAX_SECONDS = 366 * DAY


def build_environment_step(
    sr_name: str,
    spec: ScenarioRunSpec,
    turn: int,
    *,
    images: Images | None = None,
    isolation: Isolation = Isolation.POD,
) -> StepSpec:
    """The environment of `turn` for the external agent of ScenarioRun `sr_name`."""
    images = images or Images()
    definition = spec.definition
    if definition is None or not spec.external:
        raise ValueError("an environment is built for an external agent's explicit scenario")
    environment = definition.spec.environment
    context = StepContext(
        definition=definition,
        scenario=spec.scenario,
        turn=turn,
        attempt=1,
        feedback_level=spec.feedback_level,
        timeouts=spec.timeouts,
        isolation=isolation,
    )
    init = ContainerSpec(
        name="prepare-workspace",
        image=environment.image or images.enduro,
        command=[
            "enduro",
            "prepare-workspace",
            "--context",
            context.to_json(),
            "--workspace",
            WORKSPACE,
            "--artifacts",
            ARTIFACTS,
        ],
        working_dir=WORKSPACE,
        mounts=[
            Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE),
            Mount(volume=VolumeName.ARTIFACTS, path=ARTIFACTS),
        ],
    )
    workdir = WORKSPACE
    if environment.working_dir != ".":
        workdir = f"{WORKSPACE}/{environment.working_dir}"
    main = ContainerSpec(
        name="environment",
        image=environment.image or images.enduro,
        command=SLEEP,
        env=[StepEnvVar(name=e.name, value=e.value) for e in environment.env],
        working_dir=workdir,
        mounts=[Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE)],
        requests=environment.resources.requests,
        limits=environment.resources.limits,
    )
    return StepSpec(
        name=environment_name(sr_name, turn),
        scenario_run=sr_name,
        role=StepRole.ENVIRONMENT,
        turn=turn,
        attempt=1,
        context=context,
        init=init,
        main=main,
        timeout_seconds=spec.timeouts.scenario_seconds or ENVIRONMENT_MAX_SECONDS,
    )
