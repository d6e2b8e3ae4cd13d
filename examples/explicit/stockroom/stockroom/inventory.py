"""Items and the lots of stock held for them, by location."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from stockroom.money import Money, zero


class StockError(Exception):
    """A stock operation that cannot be done."""


class UnknownSkuError(StockError, KeyError):
    def __str__(self) -> str:
        return f"unknown SKU {self.args[0]!r}"


class InsufficientStockError(StockError):
    def __init__(self, sku: str, wanted: int, available: int) -> None:
        super().__init__(f"{sku}: {wanted} wanted, {available} available")
        self.sku, self.wanted, self.available = sku, wanted, available


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit_cost: Money
    reorder_point: int = 0


@dataclass(frozen=True)
class Lot:
    quantity: int
    location: str
    expires: date | None = None


def normalize_sku(sku: str) -> str:
    """SKUs are case-insensitive and ignore surrounding spaces: ' ab-1' is 'AB-1'."""
    return sku.strip().upper()


def _first_expiring(lot: Lot) -> tuple[bool, date]:
    # Lots without a date go last; equal dates keep the order they were received in.
    return (lot.expires is None, lot.expires or date.max)


class Inventory:
    def __init__(self) -> None:
        self._items: dict[str, Item] = {}
        self._lots: dict[str, list[Lot]] = {}

    def add_item(self, sku: str, name: str, unit_cost: Money, reorder_point: int = 0) -> Item:
        key = normalize_sku(sku)
        if key in self._items:
            raise StockError(f"{key} already exists")
        item = Item(key, name, unit_cost, reorder_point)
        self._items[key] = item
        self._lots[key] = []
        return item

    def item(self, sku: str) -> Item:
        key = normalize_sku(sku)
        if key not in self._items:
            raise UnknownSkuError(key)
        return self._items[key]

    def items(self) -> list[Item]:
        return [self._items[key] for key in sorted(self._items)]

    def lots(self, sku: str) -> list[Lot]:
        return list(self._lots[self.item(sku).sku])

    def receive(
        self, sku: str, quantity: int, location: str = "main", expires: date | None = None
    ) -> None:
        if quantity <= 0:
            raise StockError(f"cannot receive {quantity} of {sku}")
        self._lots[self.item(sku).sku].append(Lot(quantity, location, expires))

    def on_hand(self, sku: str, location: str | None = None) -> int:
        return sum(
            lot.quantity
            for lot in self._lots[self.item(sku).sku]
            if location is None or lot.location == location
        )

    def ship(self, sku: str, quantity: int) -> None:
        """Take `quantity` out of stock, the lots that expire first first."""
        key = self.item(sku).sku
        self._lots[key] = self._take(key, quantity, None)[1]

    def transfer(self, sku: str, quantity: int, source: str, destination: str) -> None:
        """Move `quantity` from one location to another; lots keep their dates."""
        key = self.item(sku).sku
        taken, kept = self._take(key, quantity, source)
        self._lots[key] = kept + [replace(lot, location=destination) for lot in taken]

    def value(self) -> Money:
        total = zero()
        for item in self.items():
            total = total + item.unit_cost * self.on_hand(item.sku)
        return total

    def expired(self, on: date) -> list[tuple[str, Lot]]:
        """(SKU, lot) of every lot whose date is before `on`."""
        return [
            (sku, lot)
            for sku in sorted(self._lots)
            for lot in self._lots[sku]
            if lot.expires is not None and lot.expires < on
        ]

    def write_off_expired(self, on: date) -> Money:
        """Remove the lots expired on `on`; the value written off."""
        lost = zero()
        for sku, lots in self._lots.items():
            gone = sum(lot.quantity for lot in lots if lot.expires is not None and lot.expires < on)
            lost = lost + self._items[sku].unit_cost * gone
            self._lots[sku] = [lot for lot in lots if lot.expires is None or lot.expires >= on]
        return lost

    def _take(self, key: str, quantity: int, location: str | None) -> tuple[list[Lot], list[Lot]]:
        """(what `quantity` takes, what is left) from `key`'s lots (at `location`)."""
        if quantity <= 0:
            raise StockError(f"cannot take {quantity} of {key}")
        lots = self._lots[key]
        candidates = sorted(
            (i for i, lot in enumerate(lots) if location is None or lot.location == location),
            key=lambda i: _first_expiring(lots[i]),
        )
        available = sum(lots[i].quantity for i in candidates)
        if available < quantity:
            raise InsufficientStockError(key, quantity, available)
        left = list(lots)
        taken: list[Lot] = []
        for i in candidates:
            if quantity == 0:
                break
            part = min(quantity, lots[i].quantity)
            taken.append(replace(lots[i], quantity=part))
            left[i] = replace(lots[i], quantity=lots[i].quantity - part)
            quantity -= part
        return taken, [lot for lot in left if lot.quantity > 0]
