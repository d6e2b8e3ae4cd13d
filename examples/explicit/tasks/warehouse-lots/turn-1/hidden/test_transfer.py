from __future__ import annotations

from datetime import date

import pytest

from stockroom import InsufficientStockError, Inventory, Lot, Money, StockError


@pytest.fixture
def stock() -> Inventory:
    inventory = Inventory()
    inventory.add_item("MILK-1", "Milk 1 l", Money(99))
    inventory.receive("MILK-1", 10, "dock", date(2027, 1, 10))
    inventory.receive("MILK-1", 5, "cold-room")
    return inventory


def test_a_transfer_moves_stock_between_locations(stock: Inventory) -> None:
    stock.transfer("MILK-1", 4, "dock", "cold-room")
    assert stock.on_hand("MILK-1", "dock") == 6
    assert stock.on_hand("MILK-1", "cold-room") == 9
    assert stock.on_hand("MILK-1") == 15


def test_moved_stock_keeps_its_expiry_date(stock: Inventory) -> None:
    stock.transfer("MILK-1", 10, "dock", "shelf")
    assert Lot(10, "shelf", date(2027, 1, 10)) in stock.lots("MILK-1")
    assert stock.on_hand("MILK-1", "dock") == 0


def test_a_transfer_needs_the_stock_at_its_source(stock: Inventory) -> None:
    lots = stock.lots("MILK-1")
    with pytest.raises(InsufficientStockError):
        stock.transfer("MILK-1", 6, "cold-room", "dock")
    with pytest.raises(StockError):
        stock.transfer("MILK-1", 0, "dock", "shelf")
    assert stock.lots("MILK-1") == lots
