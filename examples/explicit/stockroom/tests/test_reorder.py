from __future__ import annotations

from stockroom import Inventory, Suggestion, reorder_report


def test_items_running_low_are_ordered_up_to_their_reorder_point(inventory: Inventory) -> None:
    report = reorder_report(inventory, {"BOLT-M4": 100, "GLUE-50": 1}, lead_time_days=10)
    assert report == [
        Suggestion("BOLT-M4", 1200, 200, 300),
        Suggestion("NUT-M4", 300, 300, 200),
    ]
