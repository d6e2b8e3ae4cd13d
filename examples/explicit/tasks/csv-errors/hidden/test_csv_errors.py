from __future__ import annotations

import io

import pytest

from stockroom import CsvFormatError, load

HEADER = "sku,name,unit_cost,reorder_point,location,quantity,expires\n"
GOOD = "AB-1,Widget,1.00,10,main,4,\n"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("AB-2,Gadget,2.00,5,main,three,\n", "three"),
        ("AB-2,Gadget,2.0.0,5,main,3,\n", "2.0.0"),
        ("AB-2,Gadget,2.00,5,main,3,2026-13-01\n", "2026-13-01"),
        ("AB-2,Gadget,2.00,5,main\n", "fields"),
        ("AB-2,Gadget,2.00,5,main,-3,\n", "-3"),
    ],
)
def test_a_bad_row_names_its_line_and_problem(row: str, problem: str) -> None:
    with pytest.raises(CsvFormatError) as caught:
        load(io.StringIO(HEADER + GOOD + row))
    message = str(caught.value)
    assert message.startswith("line 3:"), message
    assert problem in message, message


def test_good_rows_still_load() -> None:
    assert load(io.StringIO(HEADER + GOOD + GOOD)).on_hand("AB-1") == 8


def test_programming_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    import stockroom.csvio

    def broken(*args: object) -> None:
        raise RuntimeError("a bug, not a bad row")

    monkeypatch.setattr(stockroom.csvio, "_add_row", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        load(io.StringIO(HEADER + GOOD))
