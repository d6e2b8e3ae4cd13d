"""Importing a dataset: read each item, import the valid ones, collect the problems of
the others (the I/O around the pure importers `swebench` and `harbor`)."""

from __future__ import annotations

from pathlib import Path

from enduro.importers import checkout, harbor, swebench
from enduro.importers.harbor_task import HarborTask, read_task
from enduro.importers.outcome import (
    Imported,
    ImportedScenario,
    ItemError,
    Problem,
    first_of_each_name,
)


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
    """By line number: the problems are found in several passes, a user reads the file
    from the top."""

    def line(problem: Problem) -> tuple[str, int]:
        name, _, number = problem.where.rpartition(" line ")
        return (name, int(number)) if number.isdigit() else (problem.where, 0)

    return sorted(problems, key=line)
