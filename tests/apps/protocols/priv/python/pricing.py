"""The app's own Python: order pricing, bound like any library (``pricing: :local``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Item:
    """One line of an order."""

    name: str
    price: float
    quantity: int = 1

    def total(self) -> float:
        """Price times quantity."""
        return self.price * self.quantity


def subtotal(items: list[Item]) -> float:
    """The sum of the items' totals."""
    return sum(item.total() for item in items)


def with_tax(amount: float, rate: float = 0.25, *, places: int = 2) -> float:
    """``amount`` plus tax at ``rate``, rounded to ``places`` decimals."""
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    return round(amount * (1 + rate), places)
