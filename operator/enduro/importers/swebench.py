"""SWE-bench JSONL instances as Scenarios (pure: parsed lines in, scenarios out).

Each instance becomes a one-turn Scenario: its `problem_statement` for the agent, its
`patch` as the reference output, and a contract that runs the tests after applying
`test_patch`. Scorers see the workspace read-only, so the scorer command copies the
working directory into its own folder (`$ENDURO_SCORER_DIR/repo`), applies the test
patch there and runs the test files the patch touches; `swebench_results.py` (shipped
beside it) reads the log and applies the SWE-bench resolution rule: every FAIL_TO_PASS
and PASS_TO_PASS test passes, or the instance is not resolved. Partial credit, when
asked for, is a second function weighing the fraction of listed tests that pass.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from enduro.api.scenario import (
    EnvironmentSpec,
    InputContext,
    ReferenceOutput,
    ScenarioSpec,
    ScorerSpec,
    ScoringContract,
    ScoringFunction,
    TestBasedScorer,
)
from enduro.importers import images
from enduro.importers.documents import SOURCE_LABEL, resource_name
from enduro.importers.outcome import ImportedScenario, ItemError, Problem, problem_from

PLACEHOLDERS = ("instance_id", "repo", "version", "repo_slug")
DEFAULT_TEST_COMMAND = "python -m pytest -rA"
SCORER_FOLDER = "swebench"
REPO_LABEL = "enduro.dev/repo"
INSTANCE_ANNOTATION = "enduro.dev/instance-id"


class SweBenchInstance(BaseModel):
    """One line of a SWE-bench-style JSONL file (other keys, e.g. `hints_text` or
    `environment_setup_commit`, ignored: the image holds the environment)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    instance_id: str = Field(min_length=1)
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    base_commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    problem_statement: str = Field(min_length=1)
    patch: str = Field(min_length=1)
    test_patch: str = Field(min_length=1)
    fail_to_pass: list[str] = Field(alias="FAIL_TO_PASS", min_length=1)
    pass_to_pass: list[str] = Field(alias="PASS_TO_PASS")
    version: str | None = None

    @field_validator("fail_to_pass", "pass_to_pass", mode="before")
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        # The published datasets store both lists as JSON text.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value

    @property
    def repo_slug(self) -> str:
        """`owner__name`, as SWE-bench spells a repository in instance ids."""
        return self.repo.replace("/", "__")


@dataclass(frozen=True)
class SweBenchOptions:
    image_template: str
    test_command: str = DEFAULT_TEST_COMMAND
    partial_credit: float | None = None
    timeout_seconds: int = 1800


Line = tuple[str, SweBenchInstance]
"""An instance and where it is (`FILE line N`)."""


def parse_lines(text: str, filename: str) -> tuple[list[Line], list[Problem]]:
    """The valid instances of a JSONL text, and a problem for each line that is not one."""
    lines: list[Line] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{filename} line {number}"
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, "(line)", f"not JSON: {exc}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(where, "(line)", "not a JSON object"))
            continue
        try:
            lines.append((where, SweBenchInstance.model_validate(data)))
        except ValidationError as exc:
            problems.append(problem_from(exc).at(where))
    return lines, problems


def image_names(lines: list[Line], template: str) -> tuple[dict[str, str], list[Problem]]:
    """The image of each instance by where it is. Instances of different repositories or
    versions need different environments: a template that gives them one image lacks a
    placeholder, which is an error for the whole import (ItemError)."""
    used = images.placeholders(template, PLACEHOLDERS)
    names: dict[str, str] = {}
    problems: list[Problem] = []
    first: dict[str, tuple[str, SweBenchInstance]] = {}
    for where, instance in lines:
        if "version" in used and instance.version is None:
            problems.append(
                Problem(where, "version", "missing, and the image template uses {version}")
            )
            continue
        values = {
            "instance_id": instance.instance_id,
            "repo": instance.repo,
            "version": instance.version or "",
            "repo_slug": instance.repo_slug,
        }
        image = images.render(template, values)
        earlier = first.setdefault(image, (where, instance))
        if earlier[1].repo != instance.repo or earlier[1].version != instance.version:
            needed = "{repo_slug}" if earlier[1].repo != instance.repo else "{version}"
            raise ItemError(
                images.OPTION,
                f"{template!r} needs {needed} (or {{instance_id}}): {earlier[0]} "
                f"({earlier[1].repo} {earlier[1].version}) and {where} ({instance.repo} "
                f"{instance.version}) would share the image {image}",
            )
        names[where] = image
    return names, problems


def scenario(
    where: str,
    instance: SweBenchInstance,
    options: SweBenchOptions,
    image: str,
    seed_files: dict[str, str] | None,
) -> ImportedScenario:
    """The Scenario of one instance; `seed_files` is the repository at `base_commit`
    (else setup commands fetch it, which needs the network)."""
    # The repository in a folder of its name, as a clone makes it: TASK.md and
    # FEEDBACK.md, written at the workspace's root, stay out of it.
    environment: dict[str, Any] = {"image": image, "working_dir": instance.repo.partition("/")[2]}
    if seed_files is not None:
        environment["files"] = seed_files
    else:
        environment["setup_commands"] = clone_commands(instance)
    try:
        spec = ScenarioSpec(
            description=f"SWE-bench {instance.instance_id}: {instance.repo} at "
            f"{instance.base_commit[:12]}",
            input_context=InputContext(
                problem_statement=instance.problem_statement,
                additional_context={"repo": instance.repo, "instanceId": instance.instance_id},
            ),
            environment=EnvironmentSpec(**environment),
            scoring_contract=contract(instance, options),
            reference_output=ReferenceOutput(patch=instance.patch),
        )
    except ValidationError as exc:
        raise problem_from(exc) from None
    return ImportedScenario(
        name=resource_name(instance.instance_id, "instance_id"),
        spec=spec,
        source=where,
        labels={SOURCE_LABEL: "swebench", REPO_LABEL: resource_name(instance.repo_slug, "repo")},
        annotations={INSTANCE_ANNOTATION: instance.instance_id},
    )


def clone_commands(instance: SweBenchInstance) -> list[str]:
    """Fetch only `base_commit` (no later history: it would hold the fix)."""
    url = f"https://github.com/{instance.repo}.git"
    return [
        "git init -q .",
        f"git fetch -q --depth 1 {shlex.quote(url)} {instance.base_commit}",
        "git checkout -q FETCH_HEAD",
    ]


def contract(instance: SweBenchInstance, options: SweBenchOptions) -> ScoringContract:
    """`resolved` scores the resolution rule (1.0 or 0); `partial`, when asked for, the
    fraction of listed tests that pass. Both run the same command on the same files."""
    files = {
        f"{SCORER_FOLDER}/test.patch": instance.test_patch,
        f"{SCORER_FOLDER}/tests.json": json.dumps(
            {"FAIL_TO_PASS": instance.fail_to_pass, "PASS_TO_PASS": instance.pass_to_pass},
            indent=1,
        )
        + "\n",
        f"{SCORER_FOLDER}/results.py": results_script(),
    }
    command = scorer_command(options.test_command, patched_files(instance.test_patch))
    functions = [
        ScoringFunction(
            name="resolved",
            weight=1.0,
            timeout_seconds=options.timeout_seconds,
            scorer=ScorerSpec(test_based=TestBasedScorer(files=files, command=command)),
        )
    ]
    if options.partial_credit is not None:
        partial = TestBasedScorer(
            files=files, command=command, junit_xml=f"{SCORER_FOLDER}/results.xml"
        )
        functions.append(
            ScoringFunction(
                name="partial",
                weight=options.partial_credit,
                timeout_seconds=options.timeout_seconds,
                scorer=ScorerSpec(test_based=partial),
            )
        )
    return ScoringContract(functions=functions, pass_score=1.0)


def scorer_command(test_command: str, test_files: list[str]) -> str:
    """Copy the working directory (read-only to scorers) into the scorer's folder, apply
    the test patch there, run the tests, and judge the log."""
    folder = f'"$ENDURO_SCORER_DIR/{SCORER_FOLDER}"'
    run = " ".join([test_command, *map(shlex.quote, test_files)])
    return "\n".join(
        [
            "set -eu",
            'R="$ENDURO_SCORER_DIR/repo"',
            'mkdir "$R"',
            'tar -C . --exclude=./.git -cf - . | tar -C "$R" -xf -',
            'cd "$R"',
            # No repository above the copy: git applies relative to it.
            'export GIT_CEILING_DIRECTORIES="$ENDURO_SCORER_DIR"',
            f"git apply --whitespace=nowarn {folder}/test.patch",
            f"{run} > {folder}/tests.log 2>&1 || true",
            f"exec python {folder}/results.py {folder}/tests.json {folder}/tests.log "
            f"{folder}/results.xml",
        ]
    )


def patched_files(patch: str) -> list[str]:
    """The files a unified diff creates or changes (SWE-bench runs these test files)."""
    found = re.findall(r"^diff --git a/\S+ b/(\S+)$", patch, flags=re.MULTILINE)
    return list(dict.fromkeys(found))


def results_script() -> str:
    return resources.files("enduro.importers").joinpath("swebench_results.py").read_text()
