"""The docs app's own Python module, bound as `tools: :local` (docs/guides/python-modules.md)."""

import numpy as np

__all__ = ["Account", "OverdrawnError", "normalize", "scale"]


class OverdrawnError(ValueError):
    """A withdrawal larger than the balance."""


class Account:
    """A balance that refuses to go below zero."""

    def __init__(self, balance: float = 0.0) -> None:
        self.balance = balance

    def deposit(self, amount: float) -> float:
        """Adds `amount` and returns the new balance."""
        self.balance += amount
        return self.balance

    def withdraw(self, amount: float) -> float:
        """Takes `amount` out; raises OverdrawnError when the balance is too small."""
        if amount > self.balance:
            raise OverdrawnError(f"balance {self.balance} is less than {amount}")
        self.balance -= amount
        return self.balance


def scale(xs: list[float], factor: float = 1) -> list[float]:
    """Every element times `factor`."""
    return [x * factor for x in xs]


def normalize(xs: list[float]) -> list[float]:
    """Zero mean and unit variance, with numpy (which the app declares too)."""
    arr = np.asarray(xs, dtype=float)
    return ((arr - arr.mean()) / arr.std()).round(6).tolist()
