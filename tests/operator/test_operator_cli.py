"""`enduro operator` refuses an ambiguous scope before starting anything, and tunes the
garbage collector of its own process."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any

import kopf
import pytest
from typer.testing import CliRunner

from enduro.cli import app


def test_the_scope_must_be_namespaces_or_all_namespaces() -> None:
    neither = CliRunner().invoke(app, ["operator", "--liveness", ""])
    assert neither.exit_code != 0
    assert "--namespace" in neither.output and "--all-namespaces" in neither.output
    both = CliRunner().invoke(app, ["operator", "-n", "a", "-A", "--liveness", ""])
    assert both.exit_code != 0


def test_the_operator_process_freezes_its_imports_and_collects_young_objects_rarely(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`enduro operator` is a process of its own: the collector skips what the imports
    left and runs on the thresholds meant for its watch events (tests embedding kopf
    keep Python's defaults)."""
    from enduro.operator import main

    seen: dict[str, object] = {}

    def operator(coroutine: Coroutine[Any, Any, None]) -> None:
        coroutine.close()
        seen.update(frozen=gc.get_freeze_count(), thresholds=gc.get_threshold())

    before = gc.get_threshold()
    monkeypatch.setattr(asyncio, "run", operator)
    monkeypatch.setattr(kopf, "configure", lambda **_: None)  # this process's logging
    monkeypatch.delenv("ENDURO_METRICS_PORT", raising=False)
    try:
        main.run_operator(["default"])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert seen["thresholds"] == main.GC_THRESHOLDS
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 0
