"""Shared fixtures for the whole suite."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SCHEMAS = Path(__file__).parent / "schemas"


@pytest.fixture
def conforms() -> Callable[[str, Path], dict[str, Any]]:
    """`conforms(schema, path)`: the JSON file at `path`, after checking it against
    `tests/schemas/<schema>.schema.json` (every violation in the failure message)."""

    def check(schema: str, path: Path) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(path.read_text())
        document_schema = json.loads((SCHEMAS / f"{schema}.schema.json").read_text())
        validator = jsonschema.validators.validator_for(document_schema)(document_schema)
        problems = [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(document)
        ]
        assert not problems, f"{path.name} is not valid {schema}:\n" + "\n".join(problems)
        return document

    return check
