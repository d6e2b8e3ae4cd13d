"""Cached harness installs: the commands, the locations, and the idempotent marker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from enduro.agents.harnesses.base import CliPackage
from enduro.devtools import harnessbins

PYPI = CliPackage("pypi", "mini-swe-agent", "2.4.6", "mini", constraints=("mcp==2.3.0",))
NPM = CliPackage("npm", "@qwen-code/qwen-code", "0.24.4", "qwen")


def test_pypi_packages_get_their_own_uv_venv(tmp_path: Path) -> None:
    root = harnessbins.install_dir(PYPI, tmp_path)
    assert root == tmp_path / "harnesses" / "mini-2.4.6"
    assert harnessbins.install_commands(PYPI, root) == [
        ["uv", "venv", "--quiet", "--python", sys.executable, str(root / "venv")],
        ["uv", "pip", "install", "--quiet", "--compile-bytecode",
         "--python", str(root / "venv/bin/python"), "mini-swe-agent==2.4.6", "mcp==2.3.0"],
    ]  # fmt: skip
    assert harnessbins.bin_dir(PYPI, tmp_path) == root / "venv/bin"


def test_npm_packages_get_their_own_prefix(tmp_path: Path) -> None:
    root = harnessbins.install_dir(NPM, tmp_path)
    assert harnessbins.install_commands(NPM, root) == [
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(root),
         "@qwen-code/qwen-code@0.24.4"],
    ]  # fmt: skip
    assert harnessbins.bin_dir(NPM, tmp_path) == root / "node_modules/.bin"


def test_installed_marker_short_circuits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(harnessbins, "_install", lambda package, root: calls.append(package.name))
    first = harnessbins.ensure_harness(PYPI, tmp_path)
    second = harnessbins.ensure_harness(PYPI, tmp_path)
    assert first == second == tmp_path / "harnesses/mini-2.4.6/venv/bin"
    assert calls == ["mini-swe-agent"]
    marker = tmp_path / "harnesses/mini-2.4.6/.installed"
    assert marker.read_text() == "mini-swe-agent==2.4.6\nmcp==2.3.0\n"


def test_an_install_of_other_pins_is_removed_and_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "harnesses/mini-2.4.6"
    (root / "venv").mkdir(parents=True)
    (root / "venv/stale").write_text("from the old install")
    (root / ".installed").write_text("mini-swe-agent==2.4.6\n")  # before mcp was pinned
    seen: list[bool] = []
    monkeypatch.setattr(
        harnessbins, "_install", lambda package, root: seen.append((root / "venv").exists())
    )
    harnessbins.ensure_harness(PYPI, tmp_path)
    assert seen == [False]  # a fresh folder: `uv venv` refuses to overwrite a venv
    assert (root / ".installed").read_text() == "mini-swe-agent==2.4.6\nmcp==2.3.0\n"


def test_failed_install_leaves_no_marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(package: CliPackage, root: Path) -> None:
        raise harnessbins.HarnessInstallError("registry down")

    monkeypatch.setattr(harnessbins, "_install", fail)
    with pytest.raises(harnessbins.HarnessInstallError, match="registry down"):
        harnessbins.ensure_harness(PYPI, tmp_path)
    assert not (tmp_path / "harnesses/mini-2.4.6/.installed").exists()


def test_a_cli_that_needs_another_python_gets_it() -> None:
    package = CliPackage("pypi", "kimi-cli", "1.51.0", "kimi", python="3.13")
    commands = harnessbins.install_commands(package, Path("/c"))
    assert commands[0] == ["uv", "venv", "--quiet", "--python", "3.13", "/c/venv"]
