"""The artifact layout of one scenario (docs/steps.md), StaminaBench compatible.

Every path any step writes under the artifact root ``A`` is named here, so the
prepare, agent and test steps, the runtimes and the reports agree on it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def turn_tag(turn: int) -> str:
    return f"turn_{turn:03d}"


def attempt_tag(turn: int, attempt: int) -> str:
    return f"turn_{turn:03d}_attempt_{attempt}"


class Artifacts:
    """Paths under one scenario's artifact root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def changes(self, turn: int) -> Path:
        return self.root / "changes" / f"{turn_tag(turn)}.md"

    def schema(self, turn: int) -> Path:
        return self.root / "schemas" / f"{turn_tag(turn)}.yaml"

    def test_suite(self, turn: int) -> Path:
        return self.root / "test_suites" / turn_tag(turn)

    def ground_truth(self, turn: int) -> Path:
        return self.root / "ground_truth" / turn_tag(turn)

    def agent_code(self, turn: int, attempt: int) -> Path:
        return self.root / "agent_code" / attempt_tag(turn, attempt)

    def agent_log(self, turn: int, attempt: int) -> Path:
        return self.root / "agent_logs" / f"{attempt_tag(turn, attempt)}.log"

    def trajectory(self, turn: int, attempt: int) -> Path:
        return self.root / "trajectory" / f"{attempt_tag(turn, attempt)}.json"

    def server_log(self, turn: int, attempt: int) -> Path:
        return self.root / "server_logs" / f"{attempt_tag(turn, attempt)}.log"

    def test_result(self, turn: int, attempt: int) -> Path:
        return self.root / "test_results" / f"{attempt_tag(turn, attempt)}.json"

    def test_result_ctrf(self, turn: int, attempt: int) -> Path:
        """The same result as a CTRF report (`enduro.exports.ctrf`), for tools that read CTRF."""
        return self.root / "test_results" / f"{attempt_tag(turn, attempt)}.ctrf.json"

    def turn_cache(self) -> Path:
        """Each turn's generated files, rendered once for all its steps (`TurnFiles.cached`);
        not an output: never uploaded or reported."""
        return self.root / "turn_cache"

    def bytecode_cache(self) -> Path:
        """pytest's rewritten bytecode of suite modules by source digest (`testrunner.bytecode`)."""
        return self.turn_cache() / "bytecode"


def write_text_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename: a reader never sees half a file.

    The temporary file has a name no one can guess and is created only if nothing has
    that name (``O_EXCL``): in a folder untrusted code writes (the workspace), a link
    planted where the temporary file would go cannot send the write elsewhere. The
    rename replaces whatever entry ``path`` is (a link too) without following it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileExistsError:
            continue
        break
    try:
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative path -> text) under ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
