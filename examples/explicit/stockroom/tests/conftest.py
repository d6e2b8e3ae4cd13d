from __future__ import annotations

import pytest

from stockroom import Inventory, Money


@pytest.fixture
def inventory() -> Inventory:
    stock = Inventory()
    stock.add_item("BOLT-M4", "Bolt M4", Money.parse("0.12"), reorder_point=500)
    stock.add_item("NUT-M4", "Nut M4", Money.parse("0.05"), reorder_point=500)
    stock.add_item("GLUE-50", "Glue 50 ml", Money.parse("3.40"), reorder_point=10)
    stock.receive("BOLT-M4", 1200)
    stock.receive("NUT-M4", 300, "shelf-b")
    stock.receive("GLUE-50", 24)
    return stock
