"""prepare-workspace: what the agent finds before each attempt, and the turn's artifacts."""

from __future__ import annotations

from pathlib import Path

from enduro.api.generator import GeneratorSpec
from enduro.api.settings import FeedbackLevel
from enduro.artifacts import Artifacts
from enduro.steps.context import StepContext
from enduro.testrunner.result import Outcome, TestCase, TestResult
from enduro.workspace.prepare import prepare_workspace

GENERATOR = GeneratorSpec(seed=2, scenarios=1, turns=3, changes_per_turn=2)


def _context(turn: int, attempt: int, level: FeedbackLevel = FeedbackLevel.DETAILED) -> StepContext:
    return StepContext(
        generator=GENERATOR, scenario=0, turn=turn, attempt=attempt, feedback_level=level
    )


def test_first_attempt_writes_the_task_and_the_turn_artifacts(tmp_path: Path) -> None:
    ws, art = tmp_path / "ws", tmp_path / "art"
    ws.mkdir()
    (ws / "FEEDBACK.md").write_text("stale feedback from turn 1")
    (ws / "app.py").write_text("# the agent's code\n")
    prepare_workspace(_context(2, 1), ws, art)
    for name in ("SPEC.md", "CHANGES.md", "openapi.yaml"):
        assert (ws / name).read_text().strip(), name
    assert sorted(p.name for p in (ws / "tests").glob("test_*.py"))
    assert not (ws / "FEEDBACK.md").exists(), "stale feedback survived a new turn"
    assert (ws / "app.py").read_text() == "# the agent's code\n"
    store = Artifacts(art)
    assert store.changes(2).read_text() == (ws / "CHANGES.md").read_text()
    assert store.schema(2).is_file()
    assert (store.ground_truth(2) / "app.py").is_file()
    assert (store.test_suite(2) / "conftest.py").is_file()


def test_visible_tests_are_a_fresh_copy_every_attempt(tmp_path: Path) -> None:
    ws, art = tmp_path / "ws", tmp_path / "art"
    prepare_workspace(_context(1, 1), ws, art)
    originals = {p.name: p.read_text() for p in (ws / "tests").iterdir() if p.is_file()}
    victim = next(iter(sorted(originals)))
    (ws / "tests" / victim).write_text("def test_nothing():\n    pass\n")
    (ws / "tests" / "test_mine.py").write_text("def test_mine():\n    pass\n")
    prepare_workspace(_context(1, 2), ws, art)
    now = {p.name: p.read_text() for p in (ws / "tests").iterdir() if p.is_file()}
    assert now == originals


def test_retry_gets_feedback_from_the_previous_attempt(tmp_path: Path) -> None:
    ws, art = tmp_path / "ws", tmp_path / "art"
    result = TestResult.from_cases(
        [TestCase(id="test_x.py::test_y", outcome=Outcome.FAILED, message="assert 404 == 200")]
    )
    path = Artifacts(art).test_result(1, 1)
    path.parent.mkdir(parents=True)
    path.write_text(result.to_json())
    prepare_workspace(_context(1, 2), ws, art)
    feedback = (ws / "FEEDBACK.md").read_text()
    assert "test_x.py::test_y" in feedback and "assert 404 == 200" in feedback
    prepare_workspace(_context(1, 2, FeedbackLevel.NONE), ws, art)
    assert not (ws / "FEEDBACK.md").exists()
