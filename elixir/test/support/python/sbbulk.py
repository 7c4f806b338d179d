"""Helpers for the bulk-data tests: facts about an array that only Python can see."""

from __future__ import annotations

import os
from typing import Any


def _root(array: Any) -> Any:
    """The object at the end of an array's base chain (through memoryviews too)."""
    base = array
    while True:
        nxt = getattr(base, "base", None)
        if nxt is None and isinstance(base, memoryview):
            nxt = base.obj
        if nxt is None:
            return base
        base = nxt


def view_facts(array: Any) -> dict[str, Any]:
    """Where an array's memory comes from: a view of the request frame ends in the
    frame's ``bytes``, which hold more than the array (the whole request)."""
    root = _root(array)
    return {
        "writeable": bool(array.flags.writeable),
        "owndata": bool(array.flags.owndata),
        "root": type(root).__name__,
        "root_bytes": len(root) if isinstance(root, bytes) else None,
        "nbytes": int(array.nbytes),
    }


def mapped_from(array: Any) -> str:
    """The type of the object the memory belongs to (``mmap`` for shared memory)."""
    return type(_root(array)).__name__


def getpid() -> int:
    return os.getpid()


def total(array: Any) -> float:
    return float(array.sum())
