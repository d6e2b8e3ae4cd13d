"""The pythonScript scorer: a Python script whose last line of output is its score.

Its `requirements` go into a virtualenv of the scorer's own, outside the sandbox (they
are the scenario author's choice, not the agent's), cached under
`$ENDURO_SCORER_CACHE` (default `~/.cache/enduro/scorer-envs`) by the digest of the
requirements and the interpreter, so a scenario scored a thousand times installs them
once. The install tries the local package cache first (`--offline`), so a machine
without a network still scores with what it has; the sandbox sees the virtualenv
read-only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from enduro.api.scenario import PythonScriptScorer, ScoringFunction
from enduro.scoring.kinds import Scoring, complete, exit_text, failed_to_run, unit_float
from enduro.scoring.process import NO_TOOLS, Ran, Tools
from enduro.scoring.result import FunctionResult

COMPLETE_MARK = ".enduro-complete"
INSTALL_TAIL_CHARS = 2000


def python_script(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    spec = function.scorer.python_script
    assert isinstance(spec, PythonScriptScorer)
    tools = NO_TOOLS
    if spec.requirements:
        venv = scorer_environment(spec.requirements, timeout=function.timeout_seconds)
        if isinstance(venv, str):
            return FunctionResult.error(function.name, venv)
        tools = Tools(path=(venv / "bin",), readable=(venv,))
    path = scoring.place.script / "score.py"
    path.write_text(spec.script)
    # The working directory on sys.path, as in `python -c`, so it imports the agent's code.
    env = {"PYTHONPATH": str(scoring.place.workdir)}
    ran = scoring.run(function, ["python", str(path)], env=env, tools=tools)
    return score_from_last_line(function, ran)


def score_from_last_line(function: ScoringFunction, ran: Ran) -> FunctionResult:
    """The script's verdict: its last non-empty stdout line, a float in [0, 1], after
    exit 0."""
    failed = failed_to_run(function, ran)
    if failed is not None:
        return failed
    if ran.exit_code != 0:
        reason = f"the script {exit_text(ran.exit_code)}"
        return FunctionResult.error(function.name, reason, output=ran.output, seconds=ran.seconds)
    lines = [line.strip() for line in ran.stdout.splitlines() if line.strip()]
    score = unit_float(lines[-1]) if lines else None
    if score is None:
        last = repr(lines[-1][:64]) if lines else "nothing"
        reason = f"the script's last line of output is {last}, not a number in [0, 1]"
        return FunctionResult.error(function.name, reason, output=ran.output, seconds=ran.seconds)
    return complete(function, ran, score, "the script's score is below 1")


def cache_root() -> Path:
    configured = os.environ.get("ENDURO_SCORER_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "enduro" / "scorer-envs"


def scorer_environment(requirements: list[str], *, timeout: float) -> Path | str:
    """The virtualenv with `requirements` (made once, then reused), or why it could not be
    made."""
    interpreter = base_interpreter()
    key = json.dumps([str(interpreter), sorted(requirements)])
    venv = cache_root() / hashlib.sha256(key.encode()).hexdigest()[:24]
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Built in place (its scripts name their interpreter by path) under a lock, so two
    # scorers needing it at once build it once; a half-made one is never used.
    with open(venv.with_name(venv.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / COMPLETE_MARK).is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        try:
            problem = _install(interpreter, venv, requirements, timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            problem = str(exc)
        if problem:
            shutil.rmtree(venv, ignore_errors=True)
            return f"the requirements could not be installed: {problem}"
        (venv / COMPLETE_MARK).write_text("\n".join(requirements))
        return venv


def base_interpreter() -> Path:
    """The interpreter the sandbox can run (the base one, not this virtualenv's)."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return Path(sys.base_prefix) / "bin" / version


def _install(interpreter: Path, venv: Path, requirements: list[str], timeout: float) -> str:
    """Make a virtualenv at `venv` with `requirements`; "" when done, else why not."""
    listing = venv.with_name(venv.name + ".txt")
    listing.write_text("\n".join(requirements) + "\n")
    python = str(venv / "bin" / "python")
    uv = shutil.which("uv")
    if uv is not None:
        make = [uv, "venv", "--quiet", "--python", str(interpreter), str(venv)]
        install = [uv, "pip", "install", "--python", python, "-r", str(listing)]
        offline = "--offline"
    else:
        make = [str(interpreter), "-m", "venv", str(venv)]
        install = [python, "-m", "pip", "install", "--quiet", "-r", str(listing)]
        offline = "--no-index"
    try:
        done = _run(make, timeout)
        if done.returncode != 0:
            return done.stderr[-INSTALL_TAIL_CHARS:].strip()
        # The local cache first: offline, a cached or local requirement still installs.
        for attempt in ([*install, offline], install):
            done = _run(attempt, timeout)
            if done.returncode == 0:
                return ""
        return done.stderr[-INSTALL_TAIL_CHARS:].strip()
    finally:
        listing.unlink(missing_ok=True)


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
