"""The task an agent harness hands to its agent, built from the workspace's files:
SPEC.md and CHANGES.md of a generated scenario (`prompt.md`), or TASK.md of an explicit
one (`prompt-task.md`, the turn's problem statement), and FEEDBACK.md."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from string import Template

TASK_FILE = "TASK.md"  # an explicit scenario's task, written by prepare-workspace
FEEDBACK_HEADER = "\n# Feedback on your previous attempt (FEEDBACK.md)\n\n"


def render_prompt(workspace: Path, *, explicit: bool = False) -> str:
    """``prompt.md`` filled with SPEC.md, CHANGES.md and, when present, FEEDBACK.md; for
    an `explicit` scenario ``prompt-task.md`` filled with TASK.md and FEEDBACK.md. Which
    one comes from the step context, never from the workspace (where the agent could
    leave a file of either name)."""

    def read(name: str) -> str:
        path = workspace / name
        return path.read_text(errors="replace").strip() if path.is_file() else ""

    feedback = read("FEEDBACK.md")
    feedback = FEEDBACK_HEADER + feedback + "\n" if feedback else ""
    if explicit:
        template = Template(files("enduro.agents").joinpath("prompt-task.md").read_text())
        return template.substitute(
            task=read(TASK_FILE) or f"({TASK_FILE} is missing)", feedback=feedback
        )
    template = Template(files("enduro.agents").joinpath("prompt.md").read_text())
    return template.substitute(
        spec=read("SPEC.md") or "(SPEC.md is missing)",
        changes=read("CHANGES.md") or "(no changes)",
        feedback=feedback,
    )
