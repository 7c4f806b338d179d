"""Python helpers of bench/zerocopy/callpath.exs (on the workers' PYTHONPATH)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def frame(rows: int) -> pd.DataFrame:
    """float64, int64, str, datetime64 and category columns, as in run.py."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.random(rows),
            "n": np.arange(rows, dtype=np.int64),
            "s": pd.Series(np.arange(rows) % 1000).astype(str),
            "t": pd.date_range("2024-01-01", periods=rows, freq="s"),
            "c": pd.Categorical(np.array(["a", "b", "c"])[np.arange(rows) % 3]),
        }
    )


def frame_nbytes(df: pd.DataFrame) -> int:
    return int(df.memory_usage(deep=False, index=False).sum())


def to_dict(df: pd.DataFrame) -> dict[str, list[Any]]:
    """The path without Arrow: ``to_dict("list")``; timestamps as ISO strings (a pandas
    Timestamp would cross as a ref each) and categories as their values."""
    plain = df.assign(t=df["t"].astype(str), c=df["c"].astype(str))
    return plain.to_dict("list")


def view_facts(array: Any) -> dict[str, Any]:
    root: Any = array
    while getattr(root, "base", None) is not None:
        root = root.base
    return {
        "writeable": bool(array.flags.writeable),
        "root": type(root).__name__,
        "root_is_bigger_than_array": isinstance(root, bytes) and len(root) > array.nbytes,
    }
