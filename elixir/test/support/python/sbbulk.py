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


def pandas_sample() -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "i": pd.array([1, 2, 3], dtype="int64"),
            "f": [1.5, None, 3.5],
            "s": ["a", None, "ç"],
            "t": pd.to_datetime(
                ["2024-01-01T10:00:00", None, "2024-03-01T00:00:00.123456789"], format="ISO8601"
            ),
            "tz": pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/Paris"),
            "c": pd.Categorical(["x", None, "x"], categories=["x", "y"]),
            "b": [True, False, True],
        }
    )


def pandas_rows(n: int) -> Any:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {
            "x": np.arange(n, dtype=np.float64),
            "k": np.arange(n, dtype=np.int64) % 7,
            "s": pd.Series(np.arange(n) % 13).astype(str),
        }
    )


def polars_sample() -> Any:
    import datetime as dt

    import polars as pl

    return pl.DataFrame(
        {
            "i": [1, None, 3],
            "f": [1.5, None, 3.5],
            "s": ["a", None, "ç"],
            "t": [dt.datetime(2024, 1, 1, 10), None, dt.datetime(2024, 3, 1, 0, 0, 0, 123456)],
            "c": pl.Series(["x", None, "y"], dtype=pl.Categorical),
        }
    )


def pyarrow_sample() -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "i": pa.array([1, 2, 3], pa.int32()),
            "u": pa.array([1, None, 255], pa.uint8()),
            "s": pa.array(["a", None, "b"]),
            "d": pa.array([1.0, 2.0, None], pa.float32()),
            "ts": pa.array([0, None, 10**15], pa.timestamp("us", tz="UTC")),
            "c": pa.array(["x", "y", "x"]).dictionary_encode(),
        }
    )


def frames_equal(a: Any, b: Any) -> bool:
    return bool(a.equals(b))


def dtypes(frame: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in frame.dtypes.items()}


def schema(table: Any) -> dict[str, str]:
    return {field.name: str(field.type) for field in table.schema}


def null_counts(table: Any) -> dict[str, int]:
    return {name: int(table.column(name).null_count) for name in table.column_names}
