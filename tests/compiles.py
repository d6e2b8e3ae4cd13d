"""A probe for a fresh interpreter: which imported modules it compiles from source.

A module without up-to-date bytecode beside it is compiled again by every process that
imports it (the sandbox cannot write bytecode, and ``PYTHONDONTWRITEBYTECODE`` may forbid
it anywhere), so each compile is paid again by every turn's agent or server."""

from __future__ import annotations

import json

RECORD = """
import importlib._bootstrap_external as _external, json as _json, atexit as _atexit
_compiled = []
_source_to_code = _external.SourceLoader.source_to_code
def _recording(self, data, path, *args, **kwargs):
    _compiled.append(str(path))
    return _source_to_code(self, data, path, *args, **kwargs)
_external.SourceLoader.source_to_code = _recording
_atexit.register(lambda: print("COMPILED " + _json.dumps(_compiled)))
"""


def compiled(stdout: str) -> list[str]:
    """The sources the probed process compiled, from its output."""
    line = next(line for line in stdout.splitlines() if line.startswith("COMPILED "))
    paths: list[str] = json.loads(line.removeprefix("COMPILED "))
    return paths
