"""Writing an import: the YAML documents (one Benchmark selecting the Scenarios by label)
to a directory, a file or stdout, and the report of what was imported and skipped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enduro.importers.documents import (
    BENCHMARK_LABEL,
    benchmark_document,
    scenario_document,
    yaml_text,
)
from enduro.importers.outcome import Imported

EXIT_NONE_IMPORTED = 2


@dataclass(frozen=True)
class Target:
    """Where the documents go: one file per document in `directory`, all in `file`, or
    (neither) stdout."""

    benchmark: str
    description: str
    tags: list[str]
    namespace: str | None = None
    directory: Path | None = None
    file: Path | None = None


def write(imported: Imported, target: Target) -> str | None:
    """Write the documents of the imported scenarios (nothing when there are none);
    returns the YAML text when it goes to stdout."""
    if not imported.scenarios:
        return None
    benchmark = benchmark_document(
        target.benchmark, target.description, target.tags, target.namespace
    )
    scenarios = [
        scenario_document(s, target.benchmark, target.namespace) for s in imported.scenarios
    ]
    if target.directory is not None:
        target.directory.mkdir(parents=True, exist_ok=True)
        (target.directory / f"benchmark-{target.benchmark}.yaml").write_text(yaml_text([benchmark]))
        for scenario, document in zip(imported.scenarios, scenarios, strict=True):
            (target.directory / f"scenario-{scenario.name}.yaml").write_text(yaml_text([document]))
        return None
    text = yaml_text([benchmark, *scenarios])
    if target.file is not None:
        target.file.parent.mkdir(parents=True, exist_ok=True)
        target.file.write_text(text)
        return None
    return text


def report(imported: Imported, target: Target) -> list[str]:
    """What a user reads after an import: counts, where it went, each skip and why."""
    where = target.directory or target.file or "stdout"
    lines = [f"warning: {w}" for w in imported.warnings]
    if imported.scenarios:
        lines.append(
            f"imported {len(imported.scenarios)} scenario(s) into {where}: Benchmark "
            f"{target.benchmark} selects them by {BENCHMARK_LABEL}={target.benchmark}"
        )
    else:
        lines.append("imported nothing: no item was valid (nothing written)")
    if imported.problems:
        lines.append(f"skipped {len(imported.problems)} invalid item(s), nothing written for them:")
        lines.extend(f"  {problem}" for problem in imported.problems)
    return lines


def exit_code(imported: Imported) -> int:
    return 0 if imported.scenarios else EXIT_NONE_IMPORTED
