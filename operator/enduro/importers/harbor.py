"""Harbor tasks as Scenarios (pure: a task as read from its directory in, a scenario out).

* `instruction.md` is the problem statement; a multi-step task (`[[steps]]`) is one turn
  per step, with `steps/<name>/instruction.md`;
* the verifier (`tests/test.sh`, which writes `/logs/verifier/reward.txt` or
  `reward.json`) is a bashScript scorer whose score is the reward (harbor_scripts); a
  step's tests are the task's `tests/` with `steps/<name>/tests/` laid over them;
* a step's `min_reward` is its turn's passScore (1.0 without one, as for any turn): with
  `stopOnFailure` the run stops after the first turn below it, as Harbor stops below
  `min_reward` (docs/importers.md says where the two differ);
* `solution/solve.sh` (a step's `steps/<name>/solution/solve.sh`) is the reference;
* the verifier's `timeout_sec` is the function's timeoutSeconds, cpus/memory/storage the
  environment's resources, `docker_image` (or the image template for a task built from
  `environment/Dockerfile`) its image, and the other files of `environment/` its seed
  files, so the task runs on this machine too.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from enduro.api.agent import Resources
from enduro.api.scenario import (
    FILE_BYTES_MAX,
    FILES_MAX,
    BashScriptScorer,
    EnvironmentSpec,
    InputContext,
    ReferenceOutput,
    ScenarioSpec,
    ScenarioTurn,
    ScorerSpec,
    ScoringContract,
    ScoringFunction,
)
from enduro.importers import harbor_scripts, images
from enduro.importers.documents import SOURCE_LABEL, resource_name
from enduro.importers.harbor_task import VERIFIER_SECONDS, HarborTask, StepConfig
from enduro.importers.outcome import ImportedScenario, ItemError, problem_from

PLACEHOLDERS = ("task",)
TASK_ANNOTATION = "enduro.dev/harbor-task"
AGENT_TIMEOUT_ANNOTATION = "enduro.dev/agent-timeout-seconds"
KEYWORDS_ANNOTATION = "enduro.dev/keywords"
METADATA_ANNOTATION = "enduro.dev/harbor-metadata"
MAX_SECONDS = 86_400


def task_name(task: HarborTask) -> str:
    """`[task] name` without its organisation, else the directory's name."""
    return task.config.task.name.rpartition("/")[2] or task.directory.name


def scenario(task: HarborTask, image: str | None) -> ImportedScenario:
    """The Scenario of one task; `image` is the image template's for a task built from
    its Dockerfile (None: no image, fine on this machine, not on a cluster)."""
    config = task.config
    name = resource_name(task_name(task), "task.name")
    try:
        environment = EnvironmentSpec(
            image=config.environment.docker_image or image,
            working_dir=_working_dir(task),
            files=_seed_files(task),
            resources=_resources(task),
        )
        if config.steps:
            spec = ScenarioSpec(
                description=config.task.description,
                input_context=InputContext(problem_statement=_overview(task)),
                environment=environment,
                turns=[_step_turn(task, step) for step in config.steps],
            )
        else:
            spec = ScenarioSpec(
                description=config.task.description,
                input_context=InputContext(problem_statement=_instruction(task.instruction)),
                environment=environment,
                scoring_contract=_contract(
                    task,
                    task.tests,
                    seconds=_verifier_seconds(task),
                    pass_score=1.0,
                    env=config.verifier.env,
                ),
                reference_output=_reference(task, task.solution),
            )
    except ValidationError as exc:
        raise problem_from(exc) from None
    annotations = {TASK_ANNOTATION: config.task.name or task.directory.name}
    timeouts = _agent_timeouts(task)
    if timeouts:
        annotations[AGENT_TIMEOUT_ANNOTATION] = timeouts
    if config.task.keywords:
        annotations[KEYWORDS_ANNOTATION] = ",".join(config.task.keywords)
    if config.metadata:
        annotations[METADATA_ANNOTATION] = json.dumps(config.metadata, sort_keys=True)
    return ImportedScenario(
        name=name,
        spec=spec,
        source=str(task.directory),
        labels={SOURCE_LABEL: "harbor"},
        annotations=annotations,
    )


def image_names(tasks: list[HarborTask], template: str | None) -> dict[Path, str]:
    """The template's image of each task built from `environment/Dockerfile` (tasks with
    a `docker_image` keep it). Two such tasks given one image means the template lacks
    {task}: an ItemError for the whole import."""
    built = [t for t in tasks if not t.config.environment.docker_image]
    if template is None or not built:
        return {}
    images.placeholders(template, PLACEHOLDERS)
    names: dict[Path, str] = {}
    first: dict[str, HarborTask] = {}
    for task in built:
        image = images.render(template, {"task": task_name(task)})
        earlier = first.setdefault(image, task)
        if earlier is not task:
            raise ItemError(
                images.OPTION,
                f"{template!r} needs {{task}}: {earlier.directory} and {task.directory} "
                f"would share the image {image}",
            )
        names[task.directory] = image
    return names


def _instruction(text: str | None, where: str = "instruction.md") -> str:
    if text is None or not text.strip():
        raise ItemError(where, "missing or empty: the agent would have no task")
    return text


def _overview(task: HarborTask) -> str:
    """A multi-step task's overview: its instruction.md (Harbor never sends it to the
    agent; here it is the scenario's summary), else its description."""
    if task.instruction and task.instruction.strip():
        return task.instruction
    steps = ", ".join(step.name for step in task.config.steps)
    return task.config.task.description or f"{task_name(task)}, in steps: {steps}"


def _step_turn(task: HarborTask, step: StepConfig) -> ScenarioTurn:
    files = task.steps[step.name]
    tests = {**task.tests, **files.tests}  # the step's own files win, as in Harbor
    seconds = step.verifier.timeout_sec or _verifier_seconds(task)
    env = {**task.config.verifier.env, **step.verifier.env}
    return ScenarioTurn(
        input_context=InputContext(
            problem_statement=_instruction(files.instruction, f"steps/{step.name}/instruction.md")
        ),
        scoring_contract=_contract(
            task,
            tests,
            seconds=seconds,
            pass_score=1.0 if step.min_reward is None else step.min_reward,
            env=env,
            step=step.name,
        ),
        reference_output=_reference(task, files.solution),
    )


def _contract(
    task: HarborTask,
    tests: dict[str, bytes],
    *,
    seconds: float,
    pass_score: float,
    env: dict[str, str],
    step: str = "",
) -> ScoringContract:
    folder = f"steps/{step}/tests" if step else "tests"
    if "test.sh" not in tests:
        where = f"{folder}/test.sh or tests/test.sh" if step else "tests/test.sh"
        raise ItemError(where, "missing: the task has no verifier")
    label = task_name(task) + (f" step {step}" if step else "")
    script = harbor_scripts.verifier_script(tests, env, _workdir(task), label)
    try:
        scorer = BashScriptScorer(script=script)
    except ValidationError as exc:
        raise ItemError(
            folder, f"too much for one bashScript scorer: {problem_from(exc)}"
        ) from None
    function = ScoringFunction(
        name="verifier",
        weight=1.0,
        timeout_seconds=min(MAX_SECONDS, math.ceil(seconds)),
        scorer=ScorerSpec(bash_script=scorer),
    )
    return ScoringContract(functions=[function], pass_score=pass_score)


def _verifier_seconds(task: HarborTask) -> float:
    return task.config.verifier.timeout_sec or VERIFIER_SECONDS


def _reference(task: HarborTask, solution: dict[str, bytes]) -> ReferenceOutput | None:
    if "solve.sh" not in solution:
        return None
    return ReferenceOutput(commands=[harbor_scripts.solution_command(solution, _workdir(task))])


def _workdir(task: HarborTask) -> str | None:
    """The task's directory in its container: `[environment] workdir`, else the
    Dockerfile's last WORKDIR."""
    if task.config.environment.workdir:
        return task.config.environment.workdir
    found = re.findall(r"^\s*WORKDIR\s+(\S+)\s*$", task.dockerfile or "", flags=re.MULTILINE)
    return found[-1].strip("\"'") if found else None


def _working_dir(task: HarborTask) -> str:
    """The container's working directory by its last name (`/app`: `app`), so TASK.md and
    FEEDBACK.md, written at the workspace's root, stay out of it."""
    workdir = _workdir(task)
    return PurePosixPath(workdir).name if workdir and PurePosixPath(workdir).name else "."


def _seed_files(task: HarborTask) -> dict[str, str]:
    if len(task.environment) > FILES_MAX:
        raise ItemError(
            "environment/",
            f"{len(task.environment)} files, more than environment.files holds ({FILES_MAX}); "
            "bake them into the image",
        )
    files = {}
    for path, data in task.environment.items():
        if len(data) > FILE_BYTES_MAX:
            raise ItemError(
                f"environment/{path}",
                f"{len(data)} bytes, more than a seed file holds ({FILE_BYTES_MAX}); bake it "
                "into the image",
            )
        try:
            files[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ItemError(
                f"environment/{path}", "not UTF-8 text: seed files are text; bake it into the image"
            ) from None
    return files


def _resources(task: HarborTask) -> Resources:
    environment = task.config.environment
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    if environment.cpus:
        requests["cpu"] = f"{environment.cpus:g}"
    memory = environment.memory_mib()
    if memory:
        requests["memory"] = limits["memory"] = f"{memory}Mi"
    storage = environment.storage_mib()
    if storage:
        requests["ephemeral-storage"] = f"{storage}Mi"
    return Resources(requests=requests, limits=limits)


def _agent_timeouts(task: HarborTask) -> str:
    """The agent's time limits (a run's `timeouts` set them in Enduro), for the record:
    `600`, or per step `scaffold=60,implement=120`."""
    default = task.config.agent.timeout_sec
    if not task.config.steps:
        return f"{default:g}" if default else ""
    limits = [(s.name, s.agent.timeout_sec or default) for s in task.config.steps]
    return ",".join(f"{name}={seconds:g}" for name, seconds in limits if seconds)
