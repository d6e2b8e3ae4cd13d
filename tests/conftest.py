"""Shared fixtures for the whole suite."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import official_formats


@pytest.fixture
def conforms() -> Callable[[str, Path], dict[str, Any]]:
    """`conforms(format, path)`: the JSON file at `path`, after checking it against the
    official definition of `format` (`official_formats.FORMATS`: the CTRF project's
    schema, Harbor's models), every violation in the failure message."""

    def check(format: str, path: Path) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(path.read_text())
        found = official_formats.problems(format, document)
        described = official_formats.FORMATS[format]
        assert not found, f"{path.name} is not valid against {described}:\n" + "\n".join(found)
        return document

    return check


@pytest.fixture
def under_opt() -> Iterator[Path]:
    """A folder inside `/opt`, which every sandbox binds whole (as a run's output folder
    there, or Enduro's image at `/opt/enduro`, would be). The CI machine runs as root."""
    folder = Path(tempfile.mkdtemp(prefix="enduro-test-", dir="/opt"))
    folder.chmod(0o755)  # as `mkdir` makes it: one only its owner may read is masked anyway
    try:
        yield folder
    finally:
        shutil.rmtree(folder)
