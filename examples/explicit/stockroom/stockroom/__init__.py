"""stockroom: a small inventory library (items, stock lots, money, units, CSV files)."""

from stockroom.csvio import CsvFormatError, dump, load
from stockroom.inventory import (
    InsufficientStockError,
    Inventory,
    Item,
    Lot,
    StockError,
    UnknownSkuError,
    normalize_sku,
)
from stockroom.money import Money, MoneyError
from stockroom.reorder import Suggestion, reorder_report
from stockroom.units import UnitError, convert

__all__ = [
    "CsvFormatError",
    "InsufficientStockError",
    "Inventory",
    "Item",
    "Lot",
    "Money",
    "MoneyError",
    "StockError",
    "Suggestion",
    "UnitError",
    "UnknownSkuError",
    "convert",
    "dump",
    "load",
    "normalize_sku",
    "reorder_report",
]
