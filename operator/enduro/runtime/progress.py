"""Live progress of a local run: a table of scenarios x turns on a terminal, plain lines
otherwise (CI logs, pipes)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from enduro.api.scenariorun import ScenarioRunStatus


class Progress:
    def __init__(self, title: str, turns: Mapping[int, int]) -> None:
        """`turns`: each scenario's number of turns, by index (explicit ones differ)."""
        from rich.console import Console

        self.console = Console(stderr=True)
        self.title = title
        self.turns = dict(turns)
        self.statuses: dict[int, ScenarioRunStatus] = {i: ScenarioRunStatus() for i in turns}
        self._lock = threading.Lock()
        self._live: Any = None

    def __enter__(self) -> Progress:
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(self._table(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(exc_type, exc, tb)

    def update(self, scenario: int, status: ScenarioRunStatus) -> None:
        with self._lock:
            before = self.statuses.get(scenario, ScenarioRunStatus())
            self.statuses[scenario] = status
            if self._live is not None:
                self._live.update(self._table())
            elif len(status.turns) > len(before.turns) or status.phase != before.phase:
                self.console.print(self._line(scenario, status), highlight=False)

    def _line(self, scenario: int, status: ScenarioRunStatus) -> str:
        last = status.turns[-1] if status.turns else None
        turn = (
            f"turn {last.turn}/{self.turns[scenario]} {'passed' if last.passed_turn else 'failed'} "
            f"({last.passed}/{last.total}, {last.attempts} attempt(s))"
            if last
            else "started"
        )
        score = "-" if status.score is None else f"{status.score:.3f}"
        return f"scenario {scenario}: {status.phase.value}, {turn}, score {score}"

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title=self.title)
        for column in ("scenario", "phase", "turn", "step", "turns", "score", "stamina"):
            table.add_column(column, justify="left" if column == "turns" else "right")
        for scenario, status in sorted(self.statuses.items()):
            marks = "".join("[green]■[/]" if t.passed_turn else "[red]■[/]" for t in status.turns)
            marks += "[dim]·[/]" * (self.turns[scenario] - len(status.turns))
            step = "" if status.phase.terminal else f"{status.step.value} a{status.attempt}"
            table.add_row(
                str(scenario),
                status.phase.value,
                f"{status.turn}/{self.turns[scenario]}",
                step,
                marks,
                "-" if status.score is None else f"{status.score:.3f}",
                str(status.stamina),
            )
        return table
