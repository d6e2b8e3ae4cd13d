from __future__ import annotations

from stockroom import Inventory, Money, reorder_report


def test_on_hand_is_the_name() -> None:
    stock = Inventory()
    stock.add_item("AB-1", "Widget", Money(100), reorder_point=10)
    stock.receive("AB-1", 4)
    stock.receive("AB-1", 2, "back")
    assert stock.on_hand("AB-1") == 6
    assert stock.on_hand("AB-1", location="back") == 2
    assert stock.value() == Money(600)
    assert reorder_report(stock, {}, 1)[0].on_hand == 6


def test_the_old_name_is_gone() -> None:
    assert not hasattr(Inventory, "quantity_on_hand")
