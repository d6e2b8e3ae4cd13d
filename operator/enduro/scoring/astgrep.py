"""The astGrep scorer: a structural pattern searched with ast-grep (PyPI `ast-grep-cli`).

The binary is lent into the sandbox at `BINARY_INSIDE`; it never runs agent code, but it
parses agent files, so it is confined like every other scorer. ast-grep exits 0 when the
pattern matches and 1 when it does not.
"""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

from enduro.api.scenario import AstGrepScorer, ScoringFunction
from enduro.sandbox.launch import TOOLS_INSIDE
from enduro.scoring.kinds import Scoring, complete, exit_text, failed_to_run
from enduro.scoring.process import Tools
from enduro.scoring.result import FunctionResult

BINARY_INSIDE = TOOLS_INSIDE / "ast-grep" / "ast-grep"


def ast_grep_binary() -> Path | None:
    """ast-grep next to this interpreter (installed with enduro), else on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "ast-grep"
    if beside.is_file():
        return beside
    found = shutil.which("ast-grep")  # not `sg`: on many systems that is newgrp's alias
    return Path(found) if found else None


def ast_grep(function: ScoringFunction, scoring: Scoring) -> FunctionResult:
    spec = function.scorer.ast_grep
    assert isinstance(spec, AstGrepScorer)
    binary = ast_grep_binary()
    if binary is None:
        return FunctionResult.error(function.name, "ast-grep is not installed (ast-grep-cli)")
    if not (scoring.place.workdir / spec.directory).is_dir():
        return FunctionResult.error(
            function.name, f"the directory {spec.directory!r} is not in the working directory"
        )
    program = str(BINARY_INSIDE if scoring.confined else binary)
    argv = [program, "run", "--pattern", spec.pattern, "--lang", spec.language]
    argv += ["--color", "never", "--", spec.directory]
    ran = scoring.run(function, argv, tools=Tools(lent=((binary, BINARY_INSIDE),)))
    failed = failed_to_run(function, ran)
    if failed is not None:
        return failed
    if ran.exit_code not in (0, 1):
        reason = f"ast-grep {exit_text(ran.exit_code)}"
        return FunctionResult.error(function.name, reason, output=ran.output, seconds=ran.seconds)
    matched = ran.exit_code == 0
    if matched == spec.must_match:
        return complete(function, ran, 1.0)
    reason = "the pattern matches nowhere" if spec.must_match else "the pattern matches"
    return complete(function, ran, 0.0, f"{reason} in {spec.directory!r}")
