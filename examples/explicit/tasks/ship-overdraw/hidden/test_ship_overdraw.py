from __future__ import annotations

import pytest

from stockroom import InsufficientStockError, Inventory, Money, StockError


@pytest.fixture
def stock() -> Inventory:
    inventory = Inventory()
    inventory.add_item("AB-1", "Widget", Money(250))
    inventory.receive("AB-1", 4)
    inventory.receive("AB-1", 3, "back")
    return inventory


def test_shipping_more_than_on_hand_raises_and_changes_nothing(stock: Inventory) -> None:
    lots = stock.lots("AB-1")
    with pytest.raises(InsufficientStockError) as caught:
        stock.ship("AB-1", 8)
    assert (caught.value.sku, caught.value.wanted, caught.value.available) == ("AB-1", 8, 7)
    assert "8 wanted, 7 available" in str(caught.value)
    assert stock.lots("AB-1") == lots
    assert stock.on_hand("AB-1") == 7


def test_shipping_everything_is_fine(stock: Inventory) -> None:
    stock.ship("AB-1", 7)
    assert stock.on_hand("AB-1") == 0
    with pytest.raises(InsufficientStockError):
        stock.ship("AB-1", 1)


def test_a_transfer_counts_only_the_source_location(stock: Inventory) -> None:
    with pytest.raises(InsufficientStockError) as caught:
        stock.transfer("AB-1", 5, "main", "back")
    assert caught.value.available == 4
    assert stock.on_hand("AB-1", "main") == 4
    assert stock.on_hand("AB-1", "back") == 3


def test_it_is_a_stock_error(stock: Inventory) -> None:
    with pytest.raises(StockError):
        stock.ship("AB-1", 100)
