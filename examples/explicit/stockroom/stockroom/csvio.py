"""Inventories as CSV: one row per lot (an item without stock has one row of quantity 0)."""

from __future__ import annotations

import csv
from datetime import date
from typing import TextIO

from stockroom.inventory import Inventory, StockError, normalize_sku
from stockroom.money import Money

FIELDS = ["sku", "name", "unit_cost", "reorder_point", "location", "quantity", "expires"]


class CsvFormatError(ValueError):
    """A CSV file that is not an inventory; the message names the line."""


def dump(inventory: Inventory, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(FIELDS)
    for item in inventory.items():
        head = [item.sku, item.name, str(item.unit_cost), item.reorder_point]
        lots = inventory.lots(item.sku)
        if not lots:
            writer.writerow([*head, "main", 0, ""])
        for lot in lots:
            expires = lot.expires.isoformat() if lot.expires else ""
            writer.writerow([*head, lot.location, lot.quantity, expires])


def load(stream: TextIO) -> Inventory:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header != FIELDS:
        raise CsvFormatError(f"line 1: expected the columns {', '.join(FIELDS)}, got {header}")
    inventory = Inventory()
    for row in reader:
        try:
            _add_row(inventory, row)
        except (ValueError, StockError) as exc:
            raise CsvFormatError(f"line {reader.line_num}: {exc}") from None
    return inventory


def _add_row(inventory: Inventory, row: list[str]) -> None:
    if len(row) != len(FIELDS):
        raise ValueError(f"expected {len(FIELDS)} fields, got {len(row)}")
    sku, name, cost, reorder_point, location, quantity, expires = row
    if normalize_sku(sku) not in {item.sku for item in inventory.items()}:
        inventory.add_item(sku, name, Money.parse(cost), int(reorder_point))
    count = int(quantity)
    if count < 0:
        raise ValueError(f"negative quantity {count}")
    if count > 0:
        inventory.receive(sku, count, location, _date(expires))


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None
