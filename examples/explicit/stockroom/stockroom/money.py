"""Amounts of money as whole cents: sums are exact, rounding is explicit (half up)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class MoneyError(ValueError):
    """Not an amount, or two currencies mixed."""


@dataclass(frozen=True, order=True)
class Money:
    cents: int
    currency: str = "EUR"

    @classmethod
    def parse(cls, text: str, currency: str = "EUR") -> Money:
        """Read '12.5', '1,234.50' or '12.50 USD' (at most two decimals)."""
        amount, _, code = text.strip().partition(" ")
        try:
            value = Decimal(amount.replace(",", ""))
        except InvalidOperation:
            raise MoneyError(f"not an amount: {text!r}") from None
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise MoneyError(f"not an amount in cents: {text!r}")
        return cls(int(value * 100), code.strip() or currency)

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        exact = Decimal(self.cents) * Decimal(factor)
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), self.currency)

    __rmul__ = __mul__

    def allocate(self, parts: int) -> list[Money]:
        """Split into `parts` amounts that differ by at most a cent and sum to this one."""
        if parts < 1:
            raise MoneyError(f"cannot split into {parts} parts")
        share, extra = divmod(self.cents, parts)
        return [Money(share + (1 if i < extra else 0), self.currency) for i in range(parts)]

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, cents = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{cents:02d} {self.currency}"

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")


def zero(currency: str = "EUR") -> Money:
    return Money(0, currency)
