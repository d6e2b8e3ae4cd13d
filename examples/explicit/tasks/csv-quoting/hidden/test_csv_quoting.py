from __future__ import annotations

import csv
import io

import pytest

from stockroom import Inventory, Money, dump, load
from stockroom.csvio import FIELDS

NAMES = ["Screws, wood 4x40", 'Bracket "L" 40 mm', "Cable\nsplit over two lines", "plain"]


@pytest.mark.parametrize("name", NAMES)
def test_any_name_round_trips(name: str) -> None:
    stock = Inventory()
    stock.add_item("AB-1", name, Money(199))
    stock.receive("AB-1", 3, "aisle 4, shelf 2")
    text = io.StringIO()
    dump(stock, text)
    loaded = load(io.StringIO(text.getvalue()))
    assert loaded.item("AB-1").name == name
    assert loaded.on_hand("AB-1", "aisle 4, shelf 2") == 3


def test_the_file_is_csv_that_any_reader_understands() -> None:
    stock = Inventory()
    stock.add_item("AB-1", "Screws, wood", Money(5))
    text = io.StringIO()
    dump(stock, text)
    rows = list(csv.reader(io.StringIO(text.getvalue())))
    assert rows[0] == FIELDS
    assert rows[1][:2] == ["AB-1", "Screws, wood"]
    assert all(len(row) == len(FIELDS) for row in rows)
