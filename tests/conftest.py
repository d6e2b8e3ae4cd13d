"""Shared fixtures for the whole suite."""

from __future__ import annotations

import json
from collections.abc import Callable
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
