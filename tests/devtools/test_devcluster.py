"""`enduro dev cluster` finds the emulated cluster in a source checkout, and says what to
do when it runs from somewhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

import enduro
from enduro import devcluster


def test_the_checkout_holds_the_emulated_cluster() -> None:
    tests = devcluster.find_test_support()
    assert (tests / "cluster" / "playground.py").is_file()
    assert callable(devcluster.load_playground(tests).serve)


def test_outside_a_checkout_it_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "site-packages" / "enduro" / "__init__.py"
    monkeypatch.setattr(enduro, "__file__", str(installed))
    with pytest.raises(devcluster.DevClusterError, match="source checkout"):
        devcluster.find_test_support(tmp_path)
