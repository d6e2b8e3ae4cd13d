"""`enduro import swebench|harbor`: read the dataset, import it, write the YAML and say
what was skipped and why (exit 0 when something was imported, 2 when nothing was)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from enduro.importers import checkout, harbor, swebench
from enduro.importers.documents import resource_name
from enduro.importers.harbor_task import HarborTask, read_task
from enduro.importers.outcome import (
    Imported,
    ImportedScenario,
    ItemError,
    Problem,
    first_of_each_name,
)
from enduro.importers.output import EXIT_NONE_IMPORTED, Target, exit_code, report, write

import_app = typer.Typer(
    help="Turn public datasets into Scenario YAML (docs/importers.md).", no_args_is_help=True
)

OutDir = Annotated[
    Path | None, typer.Option("--out", help="Write one YAML file per document into DIR.")
]
OutFile = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write every document into FILE.")
]
Namespace = Annotated[str | None, typer.Option(help="metadata.namespace of every document.")]
Benchmark = Annotated[
    str | None, typer.Option(help="Name of the Benchmark that selects the Scenarios.")
]


@import_app.command("swebench")
def swebench_command(
    file: Annotated[Path, typer.Argument(help="SWE-bench-style JSONL, one instance a line.")],
    *,
    image_template: Annotated[
        str,
        typer.Option(
            help="Environment image of an instance, from {instance_id}, {repo}, {version}, "
            "{repo_slug}."
        ),
    ],
    out: OutDir = None,
    output: OutFile = None,
    namespace: Namespace = None,
    benchmark: Benchmark = None,
    repo_dir: Annotated[
        list[str] | None,
        typer.Option(
            help="OWNER/NAME=PATH: seed each instance of that repository with the files of "
            "the local clone PATH at its base_commit (no network); repeatable. Without it, "
            "setup commands fetch the repository."
        ),
    ] = None,
    partial_credit: Annotated[
        float | None,
        typer.Option(
            help="Add a function of this weight scoring the fraction of listed tests that "
            "pass (beside `resolved`, weight 1).",
        ),
    ] = None,
    test_command: Annotated[
        str,
        typer.Option(help="Runs the test files of test_patch; must print pytest's -rA lines."),
    ] = swebench.DEFAULT_TEST_COMMAND,
    timeout: Annotated[int, typer.Option(min=1, help="Seconds per scoring function.")] = 1800,
) -> None:
    """Import SWE-bench instances: one Scenario each, scored by the resolution rule."""
    if partial_credit is not None and partial_credit <= 0:
        raise typer.BadParameter("--partial-credit is a weight: give a number above 0")
    target = _target(
        out=out,
        output=output,
        namespace=namespace,
        benchmark=benchmark or file.stem,
        description=f"SWE-bench instances from {file.name}",
        tags=["swebench"],
    )
    options = swebench.SweBenchOptions(
        image_template=image_template,
        test_command=test_command,
        partial_credit=partial_credit,
        timeout_seconds=timeout,
    )
    try:
        text = file.read_text(encoding="utf-8")
        imported = import_swebench(text, file.name, options, _repo_dirs(repo_dir or []))
    except OSError as exc:
        _fail(f"{file}: {exc}")
    except ItemError as exc:
        _fail(str(exc))
    _finish(imported, target)


def import_swebench(
    text: str, filename: str, options: swebench.SweBenchOptions, repo_dirs: dict[str, Path]
) -> Imported:
    """Every valid instance of `text` as a Scenario; an ItemError for a template that
    cannot name the instances' images apart."""
    lines, problems = swebench.parse_lines(text, filename)
    image_names, image_problems = swebench.image_names(lines, options.image_template)
    problems += image_problems
    scenarios: list[ImportedScenario] = []
    for where, instance in lines:
        if where not in image_names:
            continue
        try:
            clone = repo_dirs.get(instance.repo)
            seed = checkout.files_at(clone, instance.base_commit) if clone else None
            scenarios.append(swebench.scenario(where, instance, options, image_names[where], seed))
        except ItemError as exc:
            problems.append(exc.at(where))
    kept, repeated = first_of_each_name(scenarios)
    return Imported(kept, _in_order(problems + repeated))


@import_app.command("harbor")
def harbor_command(
    directories: Annotated[
        list[Path],
        typer.Argument(help="Harbor task directories, or directories of them (a dataset)."),
    ],
    *,
    out: OutDir = None,
    output: OutFile = None,
    namespace: Namespace = None,
    benchmark: Benchmark = None,
    image_template: Annotated[
        str | None,
        typer.Option(
            help="Image of a task built from environment/Dockerfile, from {task} (tasks with "
            "docker_image keep theirs)."
        ),
    ] = None,
) -> None:
    """Import Harbor tasks: one Scenario each, a multi-step task one turn per step."""
    target = _target(
        out=out,
        output=output,
        namespace=namespace,
        benchmark=benchmark or "harbor",
        description="Harbor tasks: " + ", ".join(d.name for d in directories),
        tags=["harbor"],
    )
    try:
        imported = import_harbor(directories, image_template)
    except ItemError as exc:
        _fail(str(exc))
    _finish(imported, target)


def import_harbor(directories: list[Path], image_template: str | None) -> Imported:
    """Every valid task under `directories` as a Scenario; an ItemError for a template
    that cannot name the tasks' images apart."""
    tasks: list[HarborTask] = []
    problems: list[Problem] = []
    for directory in _task_directories(directories):
        try:
            tasks.append(read_task(directory))
        except ItemError as exc:
            problems.append(exc.at(str(directory)))
    image_names = harbor.image_names(tasks, image_template)
    scenarios: list[ImportedScenario] = []
    warnings: list[str] = []
    for task in tasks:
        try:
            scenarios.append(harbor.scenario(task, image_names.get(task.directory)))
        except ItemError as exc:
            problems.append(exc.at(str(task.directory)))
            continue
        if scenarios[-1].spec.environment.image is None:
            warnings.append(
                f"{task.directory}: no image (no docker_image, and no --image-template for "
                "its environment/Dockerfile): it runs on this machine, a cluster needs one"
            )
    kept, repeated = first_of_each_name(scenarios)
    return Imported(kept, problems + repeated, warnings)


def _task_directories(directories: list[Path]) -> list[Path]:
    """Each directory that is a task, or else the tasks directly inside it."""
    found: list[Path] = []
    for directory in directories:
        if directory.is_dir() and not (directory / "task.toml").exists():
            inside = sorted(d for d in directory.iterdir() if (d / "task.toml").is_file())
            if inside:
                found.extend(inside)
                continue
        found.append(directory)
    return found


def _in_order(problems: list[Problem]) -> list[Problem]:
    def line(problem: Problem) -> tuple[str, int]:
        name, _, number = problem.where.rpartition(" line ")
        return (name, int(number)) if number.isdigit() else (problem.where, 0)

    return sorted(problems, key=line)


def _repo_dirs(values: list[str]) -> dict[str, Path]:
    dirs: dict[str, Path] = {}
    for value in values:
        repo, sep, path = value.partition("=")
        if not sep or "/" not in repo or not path:
            raise typer.BadParameter(f"--repo-dir {value!r}: write OWNER/NAME=PATH")
        if not Path(path).is_dir():
            raise typer.BadParameter(f"--repo-dir {value!r}: {path} is not a directory")
        dirs[repo] = Path(path)
    return dirs


def _target(
    *,
    out: Path | None,
    output: Path | None,
    namespace: str | None,
    benchmark: str,
    description: str,
    tags: list[str],
) -> Target:
    if out is not None and output is not None:
        raise typer.BadParameter("give --out DIR or -o FILE, not both")
    try:
        name = resource_name(benchmark, "--benchmark")
    except ItemError as exc:
        raise typer.BadParameter(str(exc)) from None
    return Target(name, description, tags, namespace, out, output)


def _finish(imported: Imported, target: Target) -> None:
    text = write(imported, target)
    if text is not None:
        typer.echo(text, nl=False)
    for line in report(imported, target):
        typer.echo(line, err=True)
    raise typer.Exit(exit_code(imported))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message} (nothing written)", err=True)
    raise typer.Exit(EXIT_NONE_IMPORTED)
