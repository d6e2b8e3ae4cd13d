"""calc: small arithmetic helpers."""

from calc.arith import add, divide, multiply, subtract

__all__ = ["add", "divide", "multiply", "subtract"]
