"""`python -m stockroom value FILE` and `python -m stockroom reorder FILE ...`."""

from __future__ import annotations

import argparse
import sys

from stockroom.csvio import CsvFormatError, load
from stockroom.inventory import StockError
from stockroom.reorder import reorder_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stockroom")
    commands = parser.add_subparsers(dest="command", required=True)
    value = commands.add_parser("value", help="total value of the stock in FILE")
    value.add_argument("file")
    reorder = commands.add_parser("reorder", help="what to order now")
    reorder.add_argument("file")
    reorder.add_argument("--lead-time", type=int, default=7, help="days until an order arrives")
    reorder.add_argument(
        "--demand", action="append", default=[], metavar="SKU=N", help="units sold per day"
    )
    args = parser.parse_args(argv)
    try:
        with open(args.file, newline="", encoding="utf-8") as stream:
            inventory = load(stream)
        if args.command == "value":
            print(f"total value: {inventory.value()}")
            return 0
        demand = {}
        for entry in args.demand:
            sku, _, units = entry.partition("=")
            demand[sku] = int(units)
        for suggestion in reorder_report(inventory, demand, args.lead_time):
            print(
                f"{suggestion.sku}: order {suggestion.order_quantity} "
                f"(on hand {suggestion.on_hand}, projected {suggestion.projected})"
            )
        return 0
    except (OSError, CsvFormatError, StockError, ValueError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
