from __future__ import annotations

from decimal import Decimal

import pytest

from stockroom import Money


@pytest.mark.parametrize(
    ("amount", "factor", "expected"),
    [
        ("19.99", "1.15", "22.99"),
        ("0.05", "0.5", "0.03"),
        ("0.01", "0.5", "0.01"),
        ("0.01", "0.49", "0.00"),
        ("-0.05", "0.5", "-0.03"),
        ("10.00", "0.175", "1.75"),
        ("3.33", "3", "9.99"),
    ],
)
def test_products_round_half_away_from_zero(amount: str, factor: str, expected: str) -> None:
    assert Money.parse(amount) * Decimal(factor) == Money.parse(expected)


def test_large_amounts_stay_exact() -> None:
    big = Money(10**17 + 1)
    assert big * Decimal("1.1") == Money(110000000000000001)
    assert big * 3 == Money(3 * (10**17 + 1))


def test_the_currency_is_kept() -> None:
    assert Money.parse("2.50 USD") * Decimal("1.5") == Money(375, "USD")
    assert Decimal("1.5") * Money(250) == Money(375)
