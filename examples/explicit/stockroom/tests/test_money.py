from __future__ import annotations

import pytest

from stockroom import Money, MoneyError


def test_parse_and_format() -> None:
    assert Money.parse("12.5") == Money(1250)
    assert Money.parse("1,234.50") == Money(123450)
    assert Money.parse("3.99 USD") == Money(399, "USD")
    assert str(Money(-705)) == "-7.05 EUR"


@pytest.mark.parametrize("text", ["", "abc", "1.234", "NaN"])
def test_parse_rejects_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text)


def test_sums_are_exact_and_keep_the_currency() -> None:
    assert Money.parse("0.10") + Money.parse("0.20") == Money.parse("0.30")
    assert Money(500) - Money(125) == Money(375)
    with pytest.raises(MoneyError, match="EUR and USD"):
        Money(1) + Money(1, "USD")


def test_whole_multiples() -> None:
    assert Money(125) * 4 == Money(500)
    assert 3 * Money(10, "USD") == Money(30, "USD")


def test_allocate_spreads_the_remainder() -> None:
    assert Money(100).allocate(3) == [Money(34), Money(33), Money(33)]
    assert sum(m.cents for m in Money(1001).allocate(7)) == 1001
