"""What an importer hands back: scenarios ready to write, and problems naming the item
(a line of a file, or a file) and the field that made it unusable."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from enduro.api.scenario import ScenarioSpec


@dataclass(frozen=True)
class Problem:
    """Why one item was skipped: where it is, which field, what is wrong."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


class ItemError(Exception):
    """Raised inside an importer for the item at hand; turned into a `Problem` by the
    caller, who knows where the item came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def at(self, where: str) -> Problem:
        return Problem(where, self.field, self.message)


@dataclass(frozen=True)
class ImportedScenario:
    """One Scenario to write: its name, labels and annotations besides the spec."""

    name: str
    spec: ScenarioSpec
    source: str
    """Where it came from (a line of a file, a directory), for messages."""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Imported:
    """The result of an import: what can be written and what was skipped."""

    scenarios: list[ImportedScenario]
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)


def first_of_each_name(
    scenarios: list[ImportedScenario],
) -> tuple[list[ImportedScenario], list[Problem]]:
    """The scenarios with a name not taken by an earlier one; the others as problems (two
    items whose names reduce to the same Scenario name would overwrite each other)."""
    taken: dict[str, str] = {}
    kept: list[ImportedScenario] = []
    problems: list[Problem] = []
    for scenario in scenarios:
        if scenario.name in taken:
            message = (
                f"gives the Scenario name {scenario.name!r}, already used by {taken[scenario.name]}"
            )
            problems.append(Problem(scenario.source, "name", message))
            continue
        taken[scenario.name] = scenario.source
        kept.append(scenario)
    return kept, problems


def problem_from(error: ValidationError) -> ItemError:
    """The first complaint of a pydantic error, as the field it names and its message."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(item)"
    return ItemError(field, first["msg"].removeprefix("Value error, "))
