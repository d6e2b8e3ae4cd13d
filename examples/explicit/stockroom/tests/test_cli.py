from __future__ import annotations

import io
from pathlib import Path

import pytest

from stockroom import Inventory, dump
from stockroom.__main__ import main


def test_value_of_a_file(
    inventory: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stock.csv"
    text = io.StringIO()
    dump(inventory, text)
    path.write_text(text.getvalue())
    assert main(["value", str(path)]) == 0
    assert capsys.readouterr().out == "total value: 240.60 EUR\n"


def test_a_missing_file_is_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["value", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err
