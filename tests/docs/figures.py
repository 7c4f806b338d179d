"""The one rule for what counts as a quoted figure, shared by the checks that pages copy
benchmark figures as their results files write them."""

from __future__ import annotations

import re
from decimal import Decimal

# A section's own dates ("committed 2026-12-02") are when the page was synced, not figures.
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def figures(text: str) -> set[Decimal]:
    """The numbers in text by value: 1,279, 1279.0 and 1,279.00 are one figure, 8.47 and
    8.5 are two (a rounded copy is a different figure)."""
    return {Decimal(n.replace(",", "")) for n in _NUMBER.findall(_DATE.sub("", text))}
