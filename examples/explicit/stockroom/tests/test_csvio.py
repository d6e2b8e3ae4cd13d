from __future__ import annotations

import io

import pytest

from stockroom import CsvFormatError, Inventory, dump, load


def test_a_dump_loads_back(inventory: Inventory) -> None:
    inventory.add_item("TAPE-19", "Tape 19 mm", inventory.item("GLUE-50").unit_cost)
    text = io.StringIO()
    dump(inventory, text)
    loaded = load(io.StringIO(text.getvalue()))
    assert loaded.items() == inventory.items()
    assert [loaded.on_hand(i.sku) for i in loaded.items()] == [
        inventory.on_hand(i.sku) for i in inventory.items()
    ]
    assert loaded.on_hand("NUT-M4", "shelf-b") == 300


def test_a_file_with_other_columns_is_refused() -> None:
    with pytest.raises(CsvFormatError, match="line 1"):
        load(io.StringIO("sku,qty\nA-1,3\n"))
