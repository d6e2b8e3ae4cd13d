from __future__ import annotations

from datetime import date

from stockroom import Inventory, Lot, Money


def stock() -> Inventory:
    inventory = Inventory()
    inventory.add_item("MILK-1", "Milk 1 l", Money(99))
    inventory.receive("MILK-1", 5, "cold-room")
    inventory.receive("MILK-1", 5, "cold-room", date(2027, 1, 20))
    inventory.receive("MILK-1", 5, "cold-room", date(2027, 1, 10))
    inventory.receive("MILK-1", 5, "dock", date(2027, 1, 10))
    return inventory


def test_shipping_takes_the_lots_that_expire_first() -> None:
    inventory = stock()
    inventory.ship("MILK-1", 12)
    assert inventory.lots("MILK-1") == [
        Lot(5, "cold-room"),
        Lot(3, "cold-room", date(2027, 1, 20)),
    ]


def test_lots_without_a_date_go_last_and_ties_keep_their_order() -> None:
    inventory = stock()
    inventory.ship("MILK-1", 7)
    assert inventory.lots("MILK-1") == [
        Lot(5, "cold-room"),
        Lot(5, "cold-room", date(2027, 1, 20)),
        Lot(3, "dock", date(2027, 1, 10)),
    ]
    inventory.ship("MILK-1", 8)
    assert inventory.lots("MILK-1") == [Lot(5, "cold-room")]


def test_transfers_move_the_lots_that_expire_first() -> None:
    inventory = stock()
    inventory.transfer("MILK-1", 6, "cold-room", "shelf")
    assert Lot(5, "shelf", date(2027, 1, 10)) in inventory.lots("MILK-1")
    assert Lot(1, "shelf", date(2027, 1, 20)) in inventory.lots("MILK-1")
    assert inventory.on_hand("MILK-1", "cold-room") == 9
