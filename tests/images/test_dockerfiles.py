"""The Dockerfiles build what the repository holds and run what the package provides.

Each Dockerfile is parsed and checked statically: every COPY source exists (or is the
wheelhouse images/build.sh makes), base images are pinned, the final user is not root, the
environment comes from uv.lock, and every `enduro <command>` it runs is a command of the
package's CLI. `test_enduro_image.py` builds the `enduro` image and runs it. A
harness image is built FROM the baseline image (a build ARG with a pinned default), so
what the baseline sets up (the lock file's environment) is checked there.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from enduro.agents.harnesses import ADAPTERS
from enduro.cli import app

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "images"
DOCKERFILES = sorted(IMAGES.glob("*/Dockerfile"))
EXPECTED = {"enduro", "agent-baseline"} | {f"agent-{harness.name}" for harness in ADAPTERS}
BUILD_SCRIPT = IMAGES / "build.sh"
# Made by images/build.sh from uv.lock before a build (not in the repository).
WHEELHOUSE = "images/wheelhouse/"
# Agent images install their harness CLI, pinned, into a venv of its own (never Enduro's).
HARNESS_INSTALL = "uv pip install --python /opt/harness/bin/python"
# Enduro's environment: the wheelhouse's requirements (uv export of uv.lock), hash-checked.
LOCKED_INSTALL = "--no-index --find-links"
# The image every harness image is built FROM, at an exact version (-pyX.Y: another Python).
ENDURO_BASE = re.compile(r"^enduro-(agent-baseline):\d+\.\d+\.\d+(-py3\.1[23])?$")


# Commands other branches add to the CLI; until they land, the image that runs them is
# expected to fail this check (strict: the test must be un-marked when they land).
@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int


def parse(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        keyword, _, args = pending.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
        pending = ""
    assert not pending, f"{path}: dangling line continuation"
    return instructions


def from_images(path: Path) -> list[tuple[str, str | None]]:
    """Each stage's base image, with ARG defaults declared before the first FROM filled in,
    and the stage's name (None if unnamed)."""
    instructions = parse(path)
    defaults = dict(
        ins.args.split("=", 1) for ins in instructions if ins.keyword == "ARG" and ins.stage < 0
    )
    found = []
    for ins in (i for i in instructions if i.keyword == "FROM"):
        image, *rest = ins.args.split()
        image = re.sub(r"\$\{(\w+)\}", lambda m: defaults.get(m[1], m[0]), image)
        found.append((image, rest[-1].lower() if rest else None))
    return found


def enduro_base(path: Path) -> Path | None:
    """The Dockerfile of the repository image the final stage is built FROM, if any."""
    match = ENDURO_BASE.match(from_images(path)[-1][0])
    return IMAGES / match[1] / "Dockerfile" if match else None


def exec_form(args: str) -> list[str]:
    value = json.loads(args) if args.startswith("[") else shlex.split(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def cli_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(getattr(group, "commands", {}))


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def test_every_image_has_a_dockerfile_and_the_readme_documents_it() -> None:
    assert {p.parent.name for p in DOCKERFILES} == EXPECTED
    readme = (IMAGES / "README.md").read_text()
    for name in EXPECTED:
        assert f"docker build -f images/{name}/Dockerfile" in readme


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_base_images_are_pinned(dockerfile: Path) -> None:
    stages: set[str] = set()
    for image, name in from_images(dockerfile):
        if name:
            stages.add(name)
        if image.lower() in stages:
            continue
        exact = r"^(python:3\.1[23]\.\d+-slim(-\w+)?|node:\d+\.\d+\.\d+-\w+-slim)$"
        pinned = "@sha256:" in image or re.match(exact, image) or ENDURO_BASE.match(image)
        assert pinned, f"{dockerfile}: FROM {image} is not pinned to a digest or exact tag"


def test_harness_images_are_built_from_the_baseline_image() -> None:
    for harness in ADAPTERS:
        dockerfile = IMAGES / f"agent-{harness.name}" / "Dockerfile"
        assert enduro_base(dockerfile) == IMAGES / "agent-baseline" / "Dockerfile", dockerfile


HIDDEN_FROM_AGENTS = (
    "enduro/scenarios",
    "enduro/testrunner",
    "enduro/workspace",
    "enduro/scoring",
)


def test_harness_images_carry_no_generator() -> None:
    """What runs next to an untrusted CLI must not hold the code that knows the answers."""
    for dockerfile in sorted(IMAGES.glob("agent-*/Dockerfile")):
        if dockerfile.parent.name == "agent-baseline":
            continue  # the baselines are trusted: the oracle needs the ground truth
        text = dockerfile.read_text()
        removed = [part for part in HIDDEN_FROM_AGENTS if f"site-packages/{part}" in text]
        assert removed == list(HIDDEN_FROM_AGENTS), dockerfile


def test_a_base_image_default_fills_in_the_from_line(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("ARG BASE_IMAGE=enduro-agent-baseline:0.1.0\nFROM ${BASE_IMAGE}\n")
    assert from_images(dockerfile) == [("enduro-agent-baseline:0.1.0", None)]
    assert enduro_base(dockerfile) == IMAGES / "agent-baseline" / "Dockerfile"
    dockerfile.write_text("ARG BASE_IMAGE=enduro-agent-baseline:latest\nFROM ${BASE_IMAGE}\n")
    assert enduro_base(dockerfile) is None  # an unpinned base is not accepted as ours


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_every_copy_source_exists_in_the_repository(dockerfile: Path) -> None:
    instructions = parse(dockerfile)
    stages = {
        ins.args.split()[-1].lower()
        for ins in instructions
        if ins.keyword == "FROM" and " as " in ins.args.lower()
    }
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    for ins in (i for i in instructions if i.keyword in {"COPY", "ADD"}):
        words = shlex.split(ins.args)
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        sources = paths[:-1]
        assert sources, f"{dockerfile}: {ins.keyword} {ins.args} copies nothing"
        from_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        if from_stage is not None:
            assert from_stage.lower() in stages, f"{dockerfile}: unknown stage {from_stage}"
            continue
        for src in sources:
            if src == WHEELHOUSE:
                assert f"!{WHEELHOUSE}" in ignored, f"{src} is dockerignored"
                assert "WHEELHOUSE=images/wheelhouse" in BUILD_SCRIPT.read_text()
                continue
            assert list(REPO.glob(src)), f"{dockerfile}: COPY source {src} not in the repo"
            # .dockerignore must let it into the build context.
            top = src.split("/")[0]
            assert f"!{top}" in ignored or f"!{top}/" in ignored, f"{src} is dockerignored"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_final_stage_runs_as_a_numeric_non_root_user(dockerfile: Path) -> None:
    users = [i.args for i in final_stage(parse(dockerfile)) if i.keyword == "USER"]
    assert users, f"{dockerfile}: the final stage never sets USER (it would run as root)"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0, f"{dockerfile}: USER {users[-1]}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_environment_comes_from_the_lock_file(dockerfile: Path) -> None:
    # A harness image gets Enduro's environment from its base: the lock file is used there.
    source = enduro_base(dockerfile) or dockerfile
    installs = " ".join(" ".join(i.args.split()) for i in parse(source) if i.keyword == "RUN")
    assert f'{LOCKED_INSTALL} "$wheels" --require-hashes' in installs, source
    assert '-r "$wheels/requirements.txt"' in installs, source
    assert "uv export --quiet --frozen --no-dev" in BUILD_SCRIPT.read_text()
    assert max(i.stage for i in parse(source)) >= 1, f"{source}: expected a multi-stage build"
    runs = " ".join(i.args for i in parse(dockerfile) if i.keyword == "RUN")
    rest = runs.replace("pip install --no-cache-dir uv==", "").replace(HARNESS_INSTALL, "")
    rest = rest.replace(f"pip install --no-cache-dir {LOCKED_INSTALL}", "")
    rest = rest.replace("pip install --no-cache-dir --no-index --no-deps", "")
    assert "pip install" not in rest
    assert max(i.stage for i in parse(dockerfile)) >= 1, "expected a multi-stage build"


def run_invocations(dockerfile: Path) -> list[list[str]]:
    """Every shell command of a RUN line whose program is `enduro`."""
    found = []
    for ins in parse(dockerfile):
        if ins.keyword != "RUN":
            continue
        for command in re.split(r"&&|\|\||;|\|", ins.args):
            argv = shlex.split(command)
            if argv and argv[0] == "enduro":
                found.append(argv)
    return found


def entry_point(dockerfile: Path) -> list[str]:
    final = final_stage(parse(dockerfile))
    entrypoint = next((exec_form(i.args) for i in reversed(final) if i.keyword == "ENTRYPOINT"), [])
    cmd = next((exec_form(i.args) for i in reversed(final) if i.keyword == "CMD"), [])
    assert entrypoint + cmd, f"{dockerfile}: no entry point"
    return entrypoint + cmd


def check_enduro_command(dockerfile: Path, argv: list[str]) -> None:
    assert argv[0] == "enduro", f"{dockerfile}: runs {argv[0]}, not the enduro CLI"
    if len(argv) > 1 and not argv[1].startswith("-"):
        commands = cli_commands()
        assert argv[1] in commands, (
            f"{dockerfile}: `enduro {argv[1]}` is not a command of the CLI "
            f"(it has: {', '.join(sorted(commands)) or 'none'})"
        )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_enduro_commands_in_run_lines_exist(dockerfile: Path) -> None:
    invocations = run_invocations(dockerfile)
    assert ["enduro", "--version"] in invocations, "the build should smoke-test the install"
    for argv in invocations:
        check_enduro_command(dockerfile, argv)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_the_entry_point_is_a_command_of_the_package(dockerfile: Path) -> None:
    check_enduro_command(dockerfile, entry_point(dockerfile))


def test_the_command_check_rejects_an_unknown_command() -> None:
    with pytest.raises(AssertionError, match="`enduro no-such-command` is not a command"):
        check_enduro_command(DOCKERFILES[0], ["enduro", "no-such-command"])


def test_console_script_is_the_entry_point_the_images_use() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'enduro = "enduro.cli:app"' in pyproject
