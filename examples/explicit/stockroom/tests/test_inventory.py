from __future__ import annotations

import pytest

from stockroom import Inventory, Money, StockError, UnknownSkuError


def test_receive_and_count(inventory: Inventory) -> None:
    inventory.receive("BOLT-M4", 300, "shelf-b")
    assert inventory.on_hand("BOLT-M4") == 1500
    assert inventory.on_hand("BOLT-M4", "shelf-b") == 300
    assert inventory.on_hand("NUT-M4", "main") == 0


def test_ship_takes_stock_out(inventory: Inventory) -> None:
    inventory.ship("BOLT-M4", 200)
    inventory.ship("GLUE-50", 24)
    assert inventory.on_hand("BOLT-M4") == 1000
    assert inventory.on_hand("GLUE-50") == 0


def test_value_is_cost_times_stock(inventory: Inventory) -> None:
    assert inventory.value() == Money.parse("240.60")


def test_unknown_items_and_bad_quantities(inventory: Inventory) -> None:
    with pytest.raises(UnknownSkuError, match="WIDGET"):
        inventory.on_hand("WIDGET")
    with pytest.raises(StockError):
        inventory.receive("BOLT-M4", 0)
    with pytest.raises(StockError, match="already exists"):
        inventory.add_item("BOLT-M4", "again", Money(1))


def test_items_are_listed_by_sku() -> None:
    stock = Inventory()
    for sku in ("C-3", "A-1", "B-2"):
        stock.add_item(sku, sku.lower(), Money(100))
    assert [item.sku for item in stock.items()] == ["A-1", "B-2", "C-3"]
