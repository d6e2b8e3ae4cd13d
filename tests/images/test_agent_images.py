"""Each harness adapter has an image that installs exactly the CLI version it was written for.

No Docker here: the Dockerfiles are checked statically against the adapters' pins. Each
is built FROM the baseline image (Enduro, the non-root user), so the Python its CLI's venv
was built with must be the base's Python.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from enduro.agents.harnesses import ADAPTERS
from enduro.agents.harnesses.base import Harness

IMAGES = Path(__file__).resolve().parents[2] / "images"


def _dockerfile(harness: Harness) -> str:
    return (IMAGES / f"agent-{harness.name}" / "Dockerfile").read_text()


def _bases(text: str) -> list[str]:
    """The FROM images, with the ARG defaults declared before the first FROM filled in."""
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", text.split("\nFROM ", 1)[0], re.MULTILINE))
    found = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    return [re.sub(r"\$\{(\w+)\}", lambda m: defaults.get(m[1], m[0]), b) for b in found]


def _base_python(base: str) -> str:
    """The python image the baseline image tagged ``base`` is built on (images/README.md)."""
    if "-py" not in base:
        return _bases((IMAGES / "agent-baseline" / "Dockerfile").read_text())[-1]
    readme = (IMAGES / "README.md").read_text()
    match = re.search(rf"--build-arg PYTHON_IMAGE=(\S+) +-t {re.escape(base)} ", readme)
    assert match, f"images/README.md does not say how to build the base {base}"
    return match[1]


@pytest.mark.parametrize("harness", ADAPTERS, ids=lambda h: h.name)
def test_image_installs_the_adapters_pinned_cli(harness: Harness) -> None:
    text = _dockerfile(harness)
    for requirement in (harness.package.requirement, *harness.package.constraints):
        assert requirement in text, f"{harness.name}: {requirement} not installed by its image"
    assert f"ln -s /opt/harness/bin/{harness.package.executable} " in text
    if harness.package.python:
        assert f"FROM python:{harness.package.python}." in text
    if harness.package.registry == "pypi":  # the venv links to the base's interpreter
        stage, final = _bases(text)
        assert stage == _base_python(final), f"{harness.name}: venv built on {stage}"


@pytest.mark.parametrize("harness", ADAPTERS, ids=lambda h: h.name)
def test_image_is_pinned_non_root_and_runs_enduro(harness: Harness) -> None:
    text = _dockerfile(harness)
    bases = _bases(text)
    assert bases and all(re.search(r":\d+\.\d+\.\d+", base) for base in bases), bases
    assert bases[-1].startswith("enduro-agent-baseline:"), bases
    assert re.findall(r"^USER (\S+)", text, re.MULTILINE)[-1] == "10001:10001"
    assert 'ENTRYPOINT ["enduro"]' in text
    baseline = (IMAGES / "agent-baseline" / "Dockerfile").read_text()
    assert "--require-hashes" in baseline and "requirements.txt" in baseline  # from uv.lock
