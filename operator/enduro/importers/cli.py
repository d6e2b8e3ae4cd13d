"""`enduro import swebench|harbor`: read the dataset, import it, write the YAML and say
what was skipped and why (exit 0 when something was imported, 2 when nothing was).

The importers load only when a command runs, so `enduro` starts fast."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from enduro.importers.outcome import Imported
    from enduro.importers.output import Target

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
        str | None,
        typer.Option(
            help="Runs the test files of test_patch and prints pytest's -rA lines "
            "(default: python -m pytest -rA)."
        ),
    ] = None,
    timeout: Annotated[int, typer.Option(min=1, help="Seconds per scoring function.")] = 1800,
) -> None:
    """Import SWE-bench instances: one Scenario each, scored by the resolution rule."""
    from enduro.importers import swebench
    from enduro.importers.dataset import import_swebench
    from enduro.importers.outcome import ItemError

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
        test_command=test_command or swebench.DEFAULT_TEST_COMMAND,
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
    from enduro.importers.dataset import import_harbor
    from enduro.importers.outcome import ItemError

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
    from enduro.importers.documents import resource_name
    from enduro.importers.outcome import ItemError
    from enduro.importers.output import Target

    try:
        name = resource_name(benchmark, "--benchmark")
    except ItemError as exc:
        raise typer.BadParameter(str(exc)) from None
    return Target(name, description, tags, namespace, out, output)


def _finish(imported: Imported, target: Target) -> NoReturn:
    from enduro.importers.output import exit_code, report, write

    text = write(imported, target)
    if text is not None:
        typer.echo(text, nl=False)
    for line in report(imported, target):
        typer.echo(line, err=True)
    raise typer.Exit(exit_code(imported))


def _fail(message: str) -> NoReturn:
    from enduro.importers.output import EXIT_NONE_IMPORTED

    typer.echo(f"error: {message} (nothing written)", err=True)
    raise typer.Exit(EXIT_NONE_IMPORTED)
