from __future__ import annotations

import io

import pytest

from stockroom import Inventory, Money, StockError, dump, load, normalize_sku, reorder_report


def test_normalized_skus_are_upper_case_without_spaces() -> None:
    assert normalize_sku(" ab-1\t") == "AB-1"
    assert normalize_sku("Ab-1") == normalize_sku("aB-1")


def test_every_method_ignores_case() -> None:
    stock = Inventory()
    item = stock.add_item("bolt-m4", "Bolt", Money(12), reorder_point=50)
    assert item.sku == "BOLT-M4"
    stock.receive("Bolt-M4", 30)
    stock.receive("BOLT-M4 ", 20, "shelf-b")
    assert stock.on_hand("bolt-m4") == 50
    stock.ship("bOLT-m4", 5)
    stock.transfer("bolt-M4", 5, "main", "shelf-b")
    assert stock.on_hand("BOLT-M4", "shelf-b") == 25
    assert stock.item(" bolt-m4").name == "Bolt"


def test_a_second_item_differing_in_case_is_refused() -> None:
    stock = Inventory()
    stock.add_item("AB-1", "first", Money(1))
    with pytest.raises(StockError, match="already exists"):
        stock.add_item("ab-1", "second", Money(2))


def test_csv_rows_and_reports_match_case_insensitively() -> None:
    text = (
        "sku,name,unit_cost,reorder_point,location,quantity,expires\n"
        "ab-1,Widget,1.00,10,main,4,\n"
        "AB-1,Widget,1.00,10,back,3,\n"
    )
    stock = load(io.StringIO(text))
    assert [item.sku for item in stock.items()] == ["AB-1"]
    assert stock.on_hand("ab-1") == 7
    assert reorder_report(stock, {"ab-1": 1}, 2)[0].order_quantity == 5
    out = io.StringIO()
    dump(stock, out)
    assert "ab-1" not in out.getvalue()
