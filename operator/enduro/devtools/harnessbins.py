"""Harness CLIs for tests and local runs, installed once from PyPI or npm into `.cache/`.

Each CLI gets its own isolated environment under `<cache>/harnesses/<name>-<version>/`
(a uv venv for PyPI packages, an npm prefix for npm packages), never the project's venv:
their dependency trees (litellm, openai, ...) conflict with each other and with ours.
Installs are idempotent and file-locked, so parallel pytest workers install once; a
`.installed` marker is written last, so a half-finished install is redone, not used.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from enduro.agents.harnesses.base import CliPackage
from enduro.devtools.kubebins import default_cache_dir

INSTALL_TIMEOUT_SECONDS = 900


class HarnessInstallError(RuntimeError):
    """The CLI could not be installed (registry unreachable, package missing, ...)."""


def install_dir(package: CliPackage, cache_dir: Path | None = None) -> Path:
    cache = cache_dir or default_cache_dir()
    return cache / "harnesses" / f"{package.executable}-{package.version}"


def bin_dir(package: CliPackage, cache_dir: Path | None = None) -> Path:
    """Where the installed CLI's executable lives (to prepend to PATH)."""
    root = install_dir(package, cache_dir)
    return root / ("venv/bin" if package.registry == "pypi" else "node_modules/.bin")


def ensure_harness(package: CliPackage, cache_dir: Path | None = None) -> Path:
    """The bin directory holding `package.executable`, installing the package on first use.

    The marker lists what was installed (the requirement and its constraints): an install
    of another list (a pin added since) or a half-finished one is removed and redone.
    """
    root = install_dir(package, cache_dir)
    marker = root / ".installed"
    wanted = "".join(f"{line}\n" for line in (package.requirement, *package.constraints))
    if _read(marker) == wanted:
        return bin_dir(package, cache_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _read(marker) != wanted:  # another process may have finished while we waited
            shutil.rmtree(root, ignore_errors=True)  # `uv venv` refuses an existing venv
            root.mkdir(parents=True)
            _install(package, root)
            marker.write_text(wanted, encoding="utf-8")
    return bin_dir(package, cache_dir)


def _read(marker: Path) -> str | None:
    try:
        return marker.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def install_commands(package: CliPackage, root: Path) -> list[list[str]]:
    """The commands that install `package` into `root` (pure, so it can be tested)."""
    requirements = [package.requirement, *package.constraints]
    if package.registry == "npm":
        return [["npm", "install", "--no-audit", "--no-fund", "--prefix", str(root), *requirements]]
    venv = root / "venv"
    python = str(venv / "bin" / "python")
    return [
        ["uv", "venv", "--quiet", "--python", package.python or sys.executable, str(venv)],
        # With bytecode: the CLI starts cold each turn in a sandbox that cannot write any.
        ["uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", python,
         *requirements],
    ]  # fmt: skip


def _install(package: CliPackage, root: Path) -> None:
    for command in install_commands(package, root):
        if shutil.which(command[0]) is None:
            raise HarnessInstallError(
                f"installing {package.requirement} needs `{command[0]}` on PATH"
            )
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=INSTALL_TIMEOUT_SECONDS,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        if proc.returncode != 0:
            raise HarnessInstallError(
                f"{' '.join(command[:3])} ... failed (exit {proc.returncode}) installing "
                f"{package.requirement}: {proc.stderr.strip()[-2000:]}"
            )
