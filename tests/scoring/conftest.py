"""Every scoring test needs a sandbox, and most the agent's workspace after its turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from scoring_session import LIBRARY

from enduro.sandbox.launch import sandbox_problem


@pytest.fixture(autouse=True)
def _a_sandbox_can_be_made() -> None:
    problem = sandbox_problem()
    if problem is not None:  # never a silent pass: scorers run in the sandbox
        pytest.fail(f"the scoring tests need bubblewrap here: {problem}")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The agent's workspace after its turn: `calc/lib.py` in the working directory."""
    root = tmp_path / "workspace"
    (root / "calc").mkdir(parents=True)
    (root / "calc" / "lib.py").write_text(LIBRARY)
    return root
