from __future__ import annotations

import io
from pathlib import Path

import pytest

from stockroom import Inventory, Money, Suggestion, UnknownSkuError, dump, reorder_report
from stockroom.__main__ import main


@pytest.fixture
def stock() -> Inventory:
    inventory = Inventory()
    inventory.add_item("BOLT-M4", "Bolt M4", Money(12), reorder_point=500)
    inventory.add_item("NUT-M4", "Nut M4", Money(5), reorder_point=500)
    inventory.add_item("GLUE-50", "Glue", Money(340), reorder_point=10)
    inventory.add_item("TAPE-19", "Tape", Money(90), reorder_point=0)
    inventory.receive("BOLT-M4", 1200)
    inventory.receive("NUT-M4", 300, "shelf-b")
    inventory.receive("GLUE-50", 24)
    return inventory


def test_items_projected_below_their_reorder_point_most_urgent_first(stock: Inventory) -> None:
    report = reorder_report(stock, {"BOLT-M4": 100, "GLUE-50": 1}, lead_time_days=10)
    assert report == [
        Suggestion("BOLT-M4", on_hand=1200, projected=200, order_quantity=300),
        Suggestion("NUT-M4", on_hand=300, projected=300, order_quantity=200),
    ]


def test_ties_are_ordered_by_sku_and_demand_skus_ignore_case(stock: Inventory) -> None:
    report = reorder_report(stock, {"nut-m4": 0, "bolt-m4": 90}, lead_time_days=10)
    assert [s.sku for s in report] == ["BOLT-M4", "NUT-M4"]
    assert report[0].projected == report[1].projected == 300


def test_nothing_to_order_and_a_zero_lead_time(stock: Inventory) -> None:
    stock.receive("NUT-M4", 1000)
    assert reorder_report(stock, {}, lead_time_days=0) == []


def test_bad_input(stock: Inventory) -> None:
    with pytest.raises(UnknownSkuError):
        reorder_report(stock, {"WIDGET": 1}, 3)
    with pytest.raises(ValueError, match="lead time"):
        reorder_report(stock, {}, -1)


def test_the_command_line(
    stock: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stock.csv"
    text = io.StringIO()
    dump(stock, text)
    path.write_text(text.getvalue())
    argv = ["reorder", str(path), "--lead-time", "10", "--demand", "BOLT-M4=100"]
    assert main([*argv, "--demand", "GLUE-50=1"]) == 0
    assert capsys.readouterr().out == (
        "BOLT-M4: order 300 (on hand 1200, projected 200)\n"
        "NUT-M4: order 200 (on hand 300, projected 300)\n"
    )
    assert main([*argv, "--demand", "WIDGET=2"]) == 2
    assert "WIDGET" in capsys.readouterr().err
