"""A command run in a sandbox as a step runs one, for the sandbox's tests."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from enduro.sandbox.egress import Route
from enduro.sandbox.launch import confined_env, prepared, python_for_servers
from enduro.sandbox.policy import Confinement

PLAIN_ENV = {"PATH": "/usr/bin:/bin"}


def run_confined(
    workspace: Path,
    argv: list[str],
    *,
    egress: tuple[Route, ...] | None = None,
    env: Mapping[str, str] = PLAIN_ENV,
) -> subprocess.CompletedProcess[str]:
    """`argv` in a sandbox that writes only `workspace` and has a Python with Flask; with
    `egress`, a network of its own that reaches those routes (the agent's)."""
    readable, lent = python_for_servers()
    confinement = Confinement(
        cwd=workspace, writable=(workspace,), readable=readable, lent=lent, egress=egress
    )
    with prepared(confinement, argv) as launch:
        return subprocess.run(
            launch.in_network(launch.argv),
            env=confined_env(env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **launch.popen_kwargs(),
        )
