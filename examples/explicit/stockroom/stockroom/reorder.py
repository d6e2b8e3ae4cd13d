"""What to order so that no item falls below its reorder point before the order arrives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stockroom.inventory import Inventory, normalize_sku


@dataclass(frozen=True)
class Suggestion:
    sku: str
    on_hand: int
    projected: int
    """Stock left when an order placed today arrives."""
    order_quantity: int


def reorder_report(
    inventory: Inventory, daily_demand: Mapping[str, int], lead_time_days: int
) -> list[Suggestion]:
    """Items projected below their reorder point after `lead_time_days` of demand (an
    item not in `daily_demand` sells nothing), most urgent first, then by SKU."""
    if lead_time_days < 0:
        raise ValueError(f"lead time must not be negative, got {lead_time_days}")
    demand = {normalize_sku(sku): units for sku, units in daily_demand.items()}
    for sku in demand:
        inventory.item(sku)  # an unknown SKU is a typo, not an item that sells nothing
    suggestions = []
    for item in inventory.items():
        on_hand = inventory.on_hand(item.sku)
        projected = on_hand - demand.get(item.sku, 0) * lead_time_days
        if projected < item.reorder_point:
            suggestions.append(
                Suggestion(item.sku, on_hand, projected, item.reorder_point - projected)
            )
    return sorted(suggestions, key=lambda s: (s.projected, s.sku))
