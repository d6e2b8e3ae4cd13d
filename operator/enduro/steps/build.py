"""Pure builders of the two steps of an attempt, following docs/steps.md.

agent step: init `enduro prepare-workspace`, sidecar `enduro warm-suite` (a generated
            scenario's), main `enduro agent` (in the agent image).
test step:  sidecar `sh run.sh` (the agent's server, in the agent image, on $PORT),
            main `enduro test-runner --server-url http://127.0.0.1:$PORT`.
            An explicit scenario's test step is its scoring step instead: main
            `enduro score` (in the scenario's environment image), no server.
"""

from __future__ import annotations

from dataclasses import dataclass

from enduro import __version__
from enduro.api.agent import AgentSpec
from enduro.api.scenario import EnvironmentSpec, ExplicitScenario
from enduro.api.scenariorun import ScenarioRunSpec
from enduro.engine.machine import AgentStep, TestStep
from enduro.sandbox.policy import Isolation
from enduro.steps.context import StepContext
from enduro.steps.names import step_name
from enduro.steps.spec import ContainerSpec, Mount, StepEnvVar, StepRole, StepSpec, VolumeName

WORKSPACE = "/workspace"
ARTIFACTS = "/artifacts"
SERVER_PORT = 8000
TERMINATION_LOG = "/dev/termination-log"
# Slack over the agent's own time limit (enforced by `enduro agent`) for preparing the
# workspace and writing results, before the runtime kills the step outright.
AGENT_STEP_GRACE_SECONDS = 300
# Slack over the runner's own limits (server start, suite) for regenerating the suite,
# snapshotting the workspace and writing results: only a hung runner reaches the limit.
# The same slack over the scoring functions' own limits for a scoring step.
TEST_STEP_GRACE_SECONDS = 60


@dataclass(frozen=True)
class Images:
    """Images of the steps: `enduro` has the enduro CLI (prepare-workspace, test-runner);
    an agent image per harness unless the Agent names one."""

    enduro: str = f"ghcr.io/enduro-dev/enduro:{__version__}"
    agent_template: str = "ghcr.io/enduro-dev/agent-{harness}:" + __version__

    def agent(self, spec: AgentSpec) -> str:
        return spec.image or self.agent_template.format(harness=spec.harness.value)


def _tag(turn: int, attempt: int) -> str:
    return f"turn_{turn:03d}_attempt_{attempt}"


def _enduro(command: str, context: StepContext) -> list[str]:
    return [
        "enduro",
        command,
        "--context",
        context.to_json(),
        "--workspace",
        WORKSPACE,
        "--artifacts",
        ARTIFACTS,
    ]


def _context(
    spec: ScenarioRunSpec, turn: int, attempt: int, *, agent: bool, isolation: Isolation
) -> StepContext:
    return StepContext(
        generator=spec.generator,
        definition=spec.definition,
        source=spec.source,
        scenario=spec.scenario,
        turn=turn,
        attempt=attempt,
        feedback_level=spec.feedback_level,
        agent=_agent(spec) if agent else None,
        timeouts=spec.timeouts,
        isolation=isolation,
        explicit=True if spec.definition is not None else None,
    )


def _untrusted_view(context: StepContext) -> StepContext:
    """What the container of an untrusted agent CLI is told: no generator and no explicit
    scenario (nor anything else that could rebuild the suite, the ground truth, the
    scoring contracts or the reference outputs)."""
    assert context.agent is not None
    if context.agent.harness.baseline:
        return context
    return context.model_copy(update={"generator": None, "definition": None, "source": None})


def _environment(spec: ScenarioRunSpec) -> EnvironmentSpec | None:
    return spec.definition.spec.environment if spec.definition is not None else None


def _agent(spec: ScenarioRunSpec) -> AgentSpec:
    """The Agent as its step runs it: with an explicit scenario's `environment.env` in its
    `env` (the Agent's own win where both set one), so the variables reach the harness
    CLI, which passes on only the Agent's variables."""
    agent = spec.require_agent()
    environment = _environment(spec)
    if environment is None or not environment.env:
        return agent
    own = {e.name for e in agent.env}
    env = [e for e in environment.env if e.name not in own] + list(agent.env)
    return agent.model_copy(update={"env": env})


def build_agent_step(
    sr_name: str,
    spec: ScenarioRunSpec,
    turn: int,
    attempt: int,
    *,
    retry: int = 0,
    restores: int = 0,
    restore_turn: int | None = None,
    images: Images | None = None,
    isolation: Isolation = Isolation.POD,
) -> StepSpec:
    """The agent step: prepare the workspace (spec, changes, visible tests, feedback; after
    a lost volume, first the checkpoint of `restore_turn`), then let the agent edit it.
    The agent's container sees the workspace and only the artifact directories `enduro
    agent` writes (its logs and trajectory), never results or suites, and its
    context has no generator unless the agent is a trusted baseline."""
    images = images or Images()
    context = _context(spec, turn, attempt, agent=True, isolation=isolation)
    if restore_turn is not None:
        context = context.model_copy(update={"restore_turn": restore_turn})
    agent = _agent(spec)
    env = [StepEnvVar(name=e.name, value=e.value) for e in agent.env] + [
        StepEnvVar(name=e.name, secret_key_ref=e.secret_key_ref) for e in agent.secret_env
    ]
    environment = _environment(spec)
    init = ContainerSpec(
        name="prepare-workspace",
        # An explicit scenario's setup commands need its environment's tools.
        image=(environment.image if environment else None) or images.enduro,
        command=_enduro("prepare-workspace", context),
        working_dir=WORKSPACE,
        mounts=[
            Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE),
            Mount(volume=VolumeName.ARTIFACTS, path=ARTIFACTS),
        ],
    )
    main = ContainerSpec(
        name="agent",
        image=images.agent(agent),
        command=_enduro("agent", _untrusted_view(context)),
        env=env,
        working_dir=WORKSPACE,
        mounts=[
            Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE),
            *(
                Mount(volume=VolumeName.ARTIFACTS, path=f"{ARTIFACTS}/{d}", sub_path=d)
                for d in ("agent_logs", "trajectory")
            ),
        ],
        requests=agent.resources.requests,
        limits=agent.resources.limits,
    )
    return StepSpec(
        name=step_name(sr_name, turn, attempt, StepRole.AGENT.value, retry, restores=restores),
        scenario_run=sr_name,
        role=StepRole.AGENT,
        turn=turn,
        attempt=attempt,
        retry=retry,
        context=context,
        init=init,
        sidecar=_suite_warmer(context, images) if spec.definition is None else None,
        main=main,
        timeout_seconds=spec.timeouts.agent_seconds + AGENT_STEP_GRACE_SECONDS,
        runtime_class_name=agent.runtime_class_name,
    )


def _suite_warmer(context: StepContext, images: Images) -> ContainerSpec:
    """Beside the agent, the turn's pytest suite rewritten into bytecode for its test step
    (`enduro.testrunner.warmup`): trusted, it sees the artifact root, not the workspace."""
    told = context.model_copy(update={"agent": None}).to_json()  # the turn, not the agent
    return ContainerSpec(
        name="warm-suite",
        image=images.enduro,
        command=["enduro", "warm-suite", "--context", told, "--artifacts", ARTIFACTS],
        working_dir=ARTIFACTS,
        mounts=[Mount(volume=VolumeName.ARTIFACTS, path=ARTIFACTS)],
        pod_tmp=False,  # the agent writes the pod's /tmp meanwhile: nothing of it reaches here
    )


def build_test_step(
    sr_name: str,
    spec: ScenarioRunSpec,
    turn: int,
    attempt: int,
    *,
    retry: int = 0,
    restores: int = 0,
    images: Images | None = None,
    port: int = SERVER_PORT,
    isolation: Isolation = Isolation.POD,
) -> StepSpec:
    """The test step: the agent's server and the test runner scoring it with the turn's
    pristine suite (an explicit scenario's is its scoring step: `build_scoring_step`).
    In a pod (`Isolation.POD`) the server is a sidecar (`sh run.sh` in the workspace, on
    $PORT, output to the server log) and the pod's network namespace holds both;
    elsewhere the runner starts the server itself, confined, inside a network namespace
    of its own. The runner sees the workspace read-only; its compact summary goes to the
    termination log (`summaryFile`)."""
    images = images or Images()
    context = _context(spec, turn, attempt, agent=False, isolation=isolation)
    if spec.definition is not None:
        return build_scoring_step(
            sr_name, spec, spec.definition, context, retry=retry, restores=restores, images=images
        )
    port_env = StepEnvVar(name="PORT", value=str(port))
    log = f"{ARTIFACTS}/server_logs/{_tag(turn, attempt)}.log"
    in_pod = isolation is Isolation.POD
    sidecar = ContainerSpec(
        name="server",
        image=images.agent(spec.agent) if spec.agent else images.enduro,
        command=["sh", "-c", f"exec sh run.sh > {log} 2>&1"],
        env=[port_env],
        working_dir=WORKSPACE,
        mounts=[
            Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE),
            Mount(
                volume=VolumeName.ARTIFACTS,
                path=f"{ARTIFACTS}/server_logs",
                sub_path="server_logs",
            ),
        ],
    )
    server = ["--server-url", f"http://127.0.0.1:{port}"] if in_pod else ["--start-server"]
    main = ContainerSpec(
        name="test-runner",
        image=images.enduro,
        command=[*_enduro("test-runner", context), *server, "--summary-file", TERMINATION_LOG],
        env=[port_env],
        working_dir=WORKSPACE,
        mounts=[
            Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE, read_only=True),
            Mount(volume=VolumeName.ARTIFACTS, path=ARTIFACTS),
        ],
    )
    return StepSpec(
        name=step_name(sr_name, turn, attempt, StepRole.TEST.value, retry, restores=restores),
        scenario_run=sr_name,
        role=StepRole.TEST,
        turn=turn,
        attempt=attempt,
        retry=retry,
        context=context,
        sidecar=sidecar if in_pod else None,
        main=main,
        summary_file=TERMINATION_LOG,
        timeout_seconds=spec.timeouts.server_start_seconds
        + spec.timeouts.test_seconds
        + TEST_STEP_GRACE_SECONDS,
        runtime_class_name=spec.agent.runtime_class_name if spec.agent else None,
    )


def build_scoring_step(
    sr_name: str,
    spec: ScenarioRunSpec,
    definition: ExplicitScenario,
    context: StepContext,
    *,
    retry: int,
    restores: int = 0,
    images: Images,
) -> StepSpec:
    """An explicit scenario's test step: `enduro score` runs the turn's scoring contract
    on the workspace, mounted read-only, in the scenario's environment image. There is
    no server. Its limit is the sum of the functions' own limits plus the grace. Its
    context holds this turn's contract only (`ExplicitScenario.for_scoring`)."""
    environment = definition.spec.environment
    contract = definition.spec.turn(context.turn).scoring_contract
    context = context.model_copy(update={"definition": definition.for_scoring(context.turn)})
    main = ContainerSpec(
        name="test-runner",  # the test step's main container, whichever scoring it runs
        image=environment.image or images.enduro,
        # `environment.env` reaches each scorer from the definition (enduro.scoring.run).
        command=[*_enduro("score", context), "--summary-file", TERMINATION_LOG],
        working_dir=WORKSPACE,
        mounts=[
            Mount(volume=VolumeName.WORKSPACE, path=WORKSPACE, read_only=True),
            Mount(volume=VolumeName.ARTIFACTS, path=ARTIFACTS),
        ],
        requests=environment.resources.requests,
        limits=environment.resources.limits,
    )
    return StepSpec(
        name=step_name(
            sr_name, context.turn, context.attempt, StepRole.TEST.value, retry, restores=restores
        ),
        scenario_run=sr_name,
        role=StepRole.TEST,
        turn=context.turn,
        attempt=context.attempt,
        retry=retry,
        context=context,
        main=main,
        summary_file=TERMINATION_LOG,
        timeout_seconds=sum(f.timeout_seconds for f in contract.functions)
        + TEST_STEP_GRACE_SECONDS,
        runtime_class_name=spec.agent.runtime_class_name if spec.agent else None,
    )


def build_step(
    sr_name: str,
    spec: ScenarioRunSpec,
    step: AgentStep | TestStep,
    *,
    images: Images | None = None,
    isolation: Isolation = Isolation.POD,
) -> StepSpec:
    """The StepSpec of a step the engine asked for."""
    if isinstance(step, AgentStep):
        return build_agent_step(
            sr_name,
            spec,
            step.turn,
            step.attempt,
            retry=step.retry,
            restores=step.restores,
            restore_turn=step.restore_turn,
            images=images,
            isolation=isolation,
        )
    return build_test_step(
        sr_name,
        spec,
        step.turn,
        step.attempt,
        retry=step.retry,
        restores=step.restores,
        images=images,
        isolation=isolation,
    )
