from __future__ import annotations

from datetime import date

import pytest

from stockroom import Inventory, Lot, Money


@pytest.fixture
def stock() -> Inventory:
    inventory = Inventory()
    inventory.add_item("MILK-1", "Milk 1 l", Money(99))
    inventory.add_item("EGG-6", "Eggs, box of 6", Money(249))
    inventory.add_item("SALT-1", "Salt 1 kg", Money(45))
    inventory.receive("MILK-1", 10, "cold-room", date(2027, 1, 10))
    inventory.receive("MILK-1", 5, "cold-room", date(2027, 1, 20))
    inventory.receive("EGG-6", 3, "cold-room", date(2027, 1, 5))
    inventory.receive("SALT-1", 40)
    return inventory


def test_expired_lists_lots_dated_before_the_day(stock: Inventory) -> None:
    assert stock.expired(date(2027, 1, 10)) == [("EGG-6", Lot(3, "cold-room", date(2027, 1, 5)))]
    assert [sku for sku, _ in stock.expired(date(2027, 1, 21))] == ["EGG-6", "MILK-1", "MILK-1"]
    assert stock.expired(date(2027, 1, 1)) == []


def test_write_off_removes_them_and_returns_their_value(stock: Inventory) -> None:
    assert stock.write_off_expired(date(2027, 1, 11)) == Money(3 * 249 + 10 * 99)
    assert stock.on_hand("MILK-1") == 5
    assert stock.on_hand("EGG-6") == 0
    assert stock.on_hand("SALT-1") == 40
    assert stock.write_off_expired(date(2027, 1, 11)) == Money(0)
