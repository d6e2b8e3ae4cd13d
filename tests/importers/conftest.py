"""The importer tests score what they import: they need the scorers' sandbox."""

from __future__ import annotations

import pytest

from enduro.sandbox.launch import sandbox_problem


@pytest.fixture(autouse=True)
def _a_sandbox_can_be_made() -> None:
    problem = sandbox_problem()
    if problem is not None:  # never a silent pass: scorers run in the sandbox
        pytest.fail(f"the importer tests need bubblewrap here: {problem}")
