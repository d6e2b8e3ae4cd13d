"""Hostile agents for the trust tests: a `command` agent per attack, run through `enduro run`
the way a user would, and what the tests look at afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENDURO = str(Path(sys.executable).parent / "enduro")
CANARY = "enduro-canary-9f41c27e"
"""A secret in `enduro run`'s environment: it must reach no file the agent or its server
could write."""
RUN_TIMEOUT_SECONDS = 600


@dataclass
class HostileRun:
    returncode: int
    out: Path
    stdout: str
    stderr: str

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / "report.json").read_text())
        return data

    def turn(self, scenario: int, turn: int) -> dict[str, Any]:
        state = json.loads((self.out / f"scenario_{scenario}" / "state.json").read_text())
        found: dict[str, Any] = next(t for t in state["turns"] if t["turn"] == turn)
        return found

    def files_containing(self, text: str) -> list[Path]:
        """Every file under the output folder that contains `text`."""
        needle = text.encode()
        return [
            path
            for path in self.out.rglob("*")
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes()
        ]


def write_agent(directory: Path, script: str) -> Path:
    """The hostile agent's program: a shell script (`command: [path]`), in a folder of
    its own beside the run's output."""
    directory = directory / "agent"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "hostile-agent.sh"
    path.write_text("#!/bin/sh\n" + textwrap.dedent(script))
    path.chmod(0o755)
    return path


def write_run_file(
    directory: Path,
    agent: Path,
    *,
    scenarios: int = 1,
    turns: int = 1,
    workspace_mib: int | None = None,
    attempts: int = 1,
    model_url: str | None = None,
) -> Path:
    limits = f"\n  limits:\n    workspaceMib: {workspace_mib}" if workspace_mib else ""
    if model_url:
        limits += f"\n  model:\n    provider: openai-compatible\n    baseUrl: {model_url}"
    text = f"""\
apiVersion: enduro.dev/v1alpha1
kind: Benchmark
metadata:
  name: trust
spec:
  generator:
    seed: 3
    scenarios: {scenarios}
    turns: {turns}
    changesPerTurn: 2
---
apiVersion: enduro.dev/v1alpha1
kind: Agent
metadata:
  name: hostile
spec:
  harness: command
  command: [{agent}]{limits}
---
apiVersion: enduro.dev/v1alpha1
kind: BenchmarkRun
metadata:
  name: trust
spec:
  benchmarkRef: {{name: trust}}
  agentRef: {{name: hostile}}
  parallelism: {scenarios}
  attemptLimit: {attempts}
  feedbackLevel: detailed
  timeouts: {{agentSeconds: 60, testSeconds: 120, serverStartSeconds: 10}}
"""
    path = directory / "run.yaml"
    path.write_text(text)
    return path


def run_env(**extra: str) -> dict[str, str]:
    """`enduro run`'s environment: ours (this virtualenv first on PATH, as under `uv run`),
    with credentials a careless user might have exported."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {
        **os.environ,
        "PATH": path,
        "ENDURO_TEST_CANARY": CANARY,
        "AWS_SECRET_ACCESS_KEY": CANARY,
        **extra,
    }


def start_enduro_run(
    run_file: Path, out: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ENDURO, "run", str(run_file), "--out", str(out), *args],
        env=env or run_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def enduro_run(run_file: Path, out: Path, *args: str) -> HostileRun:
    proc = start_enduro_run(run_file, out, *args)
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_SECONDS)
    return HostileRun(proc.returncode, out, stdout, stderr)


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes whose argv or environment contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline or marker.encode() in environ:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found
