"""Python helpers of bench/zerocopy/run.exs (on the workers' PYTHONPATH)."""

from __future__ import annotations

import mmap
import os
import secrets
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from snakebridge.runtime.bulk import lifetime


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
    result: dict[str, list[Any]] = plain.to_dict("list")
    return result


def view_facts(array: Any) -> dict[str, Any]:
    """Where an argument's memory lives (a list's first item for a tensor in a list)."""
    if isinstance(array, list):
        array = array[0]
    root: Any = array
    while True:
        nxt = getattr(root, "base", None)
        if nxt is None and isinstance(root, memoryview):
            nxt = root.obj
        if nxt is None:
            break
        root = nxt
    return {
        "writeable": bool(array.flags.writeable),
        "root": type(root).__name__,
        "root_is_bigger_than_array": isinstance(root, bytes) and len(root) > array.nbytes,
    }


def first(items: list[Any]) -> float:
    """The first element of the array in a one-item list (a tensor in the request frame)."""
    return float(items[0][0])


@cache
def _segment(size: int) -> mmap.mmap:
    """A mapped, prefaulted /dev/shm segment of ``size`` bytes, like a worker's reply slot;
    unlinked at once (the mapping stays valid), so nothing is left in /dev/shm."""
    path = lifetime.SHM_DIR / (lifetime.stem() + secrets.token_hex(16))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
        mapping = mmap.mmap(fd, size)
    finally:
        os.close(fd)
        os.unlink(path)
    mapping[:] = bytes(size)
    return mapping


def copy_into_segment(array: Any) -> float:
    """Seconds to copy ``array``'s bytes into a reused mapped segment: the worker's share
    of a large ``to_tensor`` reply, timed alone."""
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    data = memoryview(flat)  # type: ignore[arg-type]
    target = _segment(data.nbytes)
    started = time.perf_counter()
    target[: data.nbytes] = data
    return time.perf_counter() - started


@cache
def _touched(size: int) -> npt.NDArray[np.uint8]:
    """A buffer of ``size`` bytes whose pages are all touched (no first-touch faults)."""
    return np.ones(size, dtype=np.uint8)


def warm_reads(segment: str, regular: str, size: int) -> list[float]:
    """Seconds, in this worker, to fill a touched buffer of ``size`` bytes three ways: a
    memcpy from an array, ``preadv`` of the /dev/shm file ``segment``, and ``preadv`` of
    the page-cached regular file ``regular``. Each runs once untimed first, so the
    source is cached and the destination warm: this is the kernel's read speed of each
    file system against a memcpy, with no allocator in the way."""
    target = _touched(size)
    source = np.ones(size, dtype=np.uint8)
    view = memoryview(target)  # type: ignore[arg-type]

    def memcpy() -> None:
        np.copyto(target, source)

    def reader(path: str) -> Callable[[], None]:
        def read() -> None:
            fd = os.open(path, os.O_RDONLY)
            try:
                assert os.preadv(fd, [view], 0) == size
            finally:
                os.close(fd)

        return read

    timings = []
    for work in (memcpy, reader(segment), reader(regular)):
        work()
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return timings
