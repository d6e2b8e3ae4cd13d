"""pytest's rewritten bytecode of a suite module is reused by any later suite with the
same module, and only by one with exactly the same source."""

from __future__ import annotations

from pathlib import Path

from enduro.testrunner import bytecode
from enduro.testrunner.suite import collect_suite

MODULE = "def test_one():\n    assert 1 + 1 == 2\n"


def _suite(root: Path, text: str) -> Path:
    root.mkdir()
    (root / "test_m.py").write_text(text)
    return root


def _cached(suite: Path) -> list[Path]:
    return sorted((suite / bytecode.CACHE_DIR).glob("*.pyc"))


def test_an_unchanged_module_gets_the_bytecode_of_an_earlier_turn(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _suite(tmp_path / "turn1", MODULE)
    with bytecode.writing_bytecode():
        assert collect_suite(first) == ["test_m.py::test_one"]
    bytecode.keep(first, store)
    assert len(list(store.iterdir())) == 1

    second = _suite(tmp_path / "turn2", MODULE)
    bytecode.restore(second, store)
    assert [p.read_bytes() for p in _cached(second)] == [p.read_bytes() for p in _cached(first)]
    assert collect_suite(second) == ["test_m.py::test_one"]


def test_a_changed_module_gets_none(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _suite(tmp_path / "turn1", MODULE)
    with bytecode.writing_bytecode():
        collect_suite(first)
    bytecode.keep(first, store)
    second = _suite(tmp_path / "turn2", MODULE.replace("2\n", "3\n"))
    bytecode.restore(second, store)
    assert _cached(second) == []


def test_the_store_keeps_only_the_last_suite_s_modules(tmp_path: Path) -> None:
    store = tmp_path / "store"
    for turn, text in enumerate((MODULE, MODULE.replace("2\n", "3\n")), start=1):
        suite = _suite(tmp_path / f"turn{turn}", text)
        with bytecode.writing_bytecode():
            collect_suite(suite)
        bytecode.keep(suite, store)
    assert [p.read_bytes() for p in store.iterdir()] == [
        p.read_bytes() for p in _cached(tmp_path / "turn2")
    ]
