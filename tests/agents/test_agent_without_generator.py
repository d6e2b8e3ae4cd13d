"""`enduro agent` for an untrusted harness runs without the scenario generator: an agent
image can leave it out, so no agent can brute-force a seed with Enduro's own code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from enduro.agents.context import AgentStepContext
from enduro.api.agent import AgentSpec, Harness
from enduro.sandbox.policy import Isolation

HIDDEN = ("enduro.scenarios", "enduro.testrunner", "enduro.scoring", "enduro.workspace")
WITHOUT_THE_GENERATOR = f"""
import sys

class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.startswith({HIDDEN!r}):
            raise ImportError(f"{{name}} is not in this image")
        return None

sys.meta_path.insert(0, Missing())
from enduro.cli import app
app(sys.argv[1:], prog_name="enduro")
"""


def test_the_agent_step_of_a_command_agent_needs_no_generator(tmp_path: Path) -> None:
    workspace, artifacts = tmp_path / "workspace", tmp_path / "artifacts"
    workspace.mkdir()
    (workspace / "SPEC.md").write_text("# Spec\n")
    agent = tmp_path / "bin" / "agent.sh"
    agent.parent.mkdir()
    agent.write_text('#!/bin/sh\ncp "$ENDURO_PROMPT_FILE" "$ENDURO_WORKSPACE/got-prompt.md"\n')
    agent.chmod(0o755)
    context = AgentStepContext(
        scenario=0,
        turn=1,
        attempt=1,
        agent=AgentSpec(harness=Harness.COMMAND, command=[str(agent)]),
        isolation=Isolation.NONE,
    )
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_GENERATOR, "agent", "--context", context.to_json(),
         "--workspace", str(workspace), "--artifacts", str(artifacts)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["failure"] == "none", outcome
    assert "SPEC.md" in (workspace / "got-prompt.md").read_text()
    assert (artifacts / "trajectory" / "turn_001_attempt_1.json").is_file()
