"""A turn's files are rendered once for all its steps, in the trusted artifact root only."""

from __future__ import annotations

from pathlib import Path

import pytest

from enduro.api.generator import GeneratorSpec
from enduro.artifacts import Artifacts
from enduro.scenarios.turnfiles import SUITE_DIR, TurnFiles
from enduro.steps.context import StepContext
from enduro.workspace.prepare import prepare_workspace

GENERATOR = GeneratorSpec(seed=3, scenarios=2, turns=3, changes_per_turn=2)


def _context(turn: int, attempt: int) -> StepContext:
    return StepContext(generator=GENERATOR, scenario=0, turn=turn, attempt=attempt)


def test_every_attempt_of_a_turn_renders_its_files_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[int] = []
    render = TurnFiles.all_files

    def counting(self: TurnFiles) -> dict[str, str]:
        rendered.append(self.turn)
        return render(self)

    monkeypatch.setattr(TurnFiles, "all_files", counting)
    ws, art = tmp_path / "ws", tmp_path / "art"
    for attempt in (1, 2, 3):
        prepare_workspace(_context(2, attempt), ws, art)
    prepare_workspace(_context(3, 1), ws, art)
    assert rendered == [2, 3]
    folders = [p for p in Artifacts(art).turn_cache().iterdir() if p.name != "bytecode"]
    assert [p.name for p in folders] == [TurnFiles(GENERATOR, 0, 3).key()], "one turn kept"


def test_the_cache_is_keyed_by_everything_the_files_depend_on() -> None:
    keys = {
        TurnFiles(GENERATOR, 0, 1).key(),
        TurnFiles(GENERATOR, 0, 2).key(),
        TurnFiles(GENERATOR, 1, 1).key(),
        TurnFiles(GENERATOR.model_copy(update={"seed": 4}), 0, 1).key(),
        TurnFiles(GENERATOR.model_copy(update={"changes_per_turn": 3}), 0, 1).key(),
    }
    assert len(keys) == 5
    assert TurnFiles(GENERATOR, 0, 1).key() == TurnFiles(GENERATOR, 0, 1).key()


def test_a_damaged_copy_is_rendered_afresh(tmp_path: Path) -> None:
    files = TurnFiles(GENERATOR, 0, 1)
    first = files.cached(tmp_path)
    conftest = first.suite_dir / "conftest.py"
    conftest.write_text("import pytest\n\n@pytest.fixture(autouse=True)\ndef win(): pass\n")
    (first.folder / "SPEC.md").unlink()
    again = files.cached(tmp_path)
    assert again.texts == files.all_files()
    assert conftest.read_text() == files.suite()["conftest.py"]
    assert (again.folder / "SPEC.md").read_text() == files.spec_md()


def test_the_agent_cannot_reach_the_cache_through_its_workspace(tmp_path: Path) -> None:
    ws, art = tmp_path / "ws", tmp_path / "art"
    prepare_workspace(_context(1, 1), ws, art)
    pristine = TurnFiles(GENERATOR, 0, 1).suite()
    for path in (ws / SUITE_DIR).iterdir():  # the agent writes through every visible test
        with path.open("w") as handle:
            handle.write("def test_nothing():\n    pass\n")
    (ws / SUITE_DIR / "conftest.py").write_text("collect_ignore_glob = ['*']\n")
    cached = TurnFiles(GENERATOR, 0, 1).cached(Artifacts(art).turn_cache())
    on_disk = {p.name: p.read_text() for p in cached.suite_dir.iterdir() if p.is_file()}
    assert on_disk == pristine, "a workspace file shares its bytes with the runner's suite"
    prepare_workspace(_context(1, 2), ws, art)
    visible = {p.name: p.read_text() for p in (ws / SUITE_DIR).iterdir() if p.is_file()}
    assert visible == pristine
