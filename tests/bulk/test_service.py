"""The worker-facing surface: wire terms in and out, handles of every kind, lifetimes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import torch

from snakebridge import etf
from snakebridge.etf import Atom, Binary
from snakebridge.runtime.bulk import ZERO_COPY_STRUCT, shm
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.service import Bulk
from snakebridge.runtime.bulk.wire import handle_from_term


def over_the_wire(term: Any) -> Any:
    """What Elixir would send back: the term, encoded and decoded."""
    return etf.decode(etf.encode(term))


def test_to_tensor_and_column_terms(prefix: str) -> None:
    bulk = Bulk("w:1", prefix=prefix)
    term = over_the_wire(bulk.to_tensor(np.eye(2, dtype=np.float32)))
    assert term[Atom("__struct__")] == "Elixir.SnakeBridge.Tensor"
    assert term[Atom("type")] == ("f", 32) and type(term[Atom("type")][0]) is Atom
    assert term[Atom("shape")] == (2, 2)
    np.testing.assert_array_equal(bulk.struct_in(term, "s1"), np.eye(2, dtype=np.float32))
    column = over_the_wire(bulk.column(pd.DataFrame({"x": [1, 2]}), "x"))
    assert column[Atom("type")] == ("s", 64)


def test_shared_array_reaches_another_worker_as_a_view(prefix: str) -> None:
    a, b = Bulk("pool:0:a", prefix=prefix, node="n1@host"), Bulk("pool:1:b", prefix=prefix)
    term = over_the_wire(a.share(np.arange(6.0).reshape(2, 3), "s1"))
    assert term[Atom("kind")] == "shm" and term[Atom("node")] == "n1@host"
    assert term[Atom("size")] == 48 and term[Atom("owner")] == "pool:0:a"
    got = b.struct_in(term, "s7")  # any worker, any session: the handle is the capability
    np.testing.assert_array_equal(got, np.arange(6.0).reshape(2, 3))
    assert not got.flags.writeable
    assert b.struct_in(term, "s7", writable=True).flags.writeable
    assert not b.release(term)  # only the owner releases
    assert a.release(term)
    with pytest.raises(BulkError, match="was released"):
        b.struct_in(term, "s1")


@pytest.mark.parametrize(
    "table",
    [pd.DataFrame({"v": [1.5, 2.5]}), pl.DataFrame({"v": [1.5, 2.5]}), pa.table({"v": [1.5, 2.5]})],
    ids=["pandas", "polars", "pyarrow"],
)
def test_shared_table_and_from_arrow(prefix: str, table: Any) -> None:
    a, b = Bulk("pool:0:a", prefix=prefix), Bulk("pool:1:b", prefix=prefix)
    term = over_the_wire(a.share(table, "s1"))
    assert term[Atom("kind")] == "arrow" and term[Atom("type")] is None
    got = b.struct_in(term, "s1")  # an :arrow handle arrives as a pyarrow Table
    assert got.column("v").to_pylist() == [1.5, 2.5]
    assert b.from_arrow(term, "polars")["v"].to_list() == [1.5, 2.5]
    binary = a.to_arrow(table)
    assert isinstance(binary, Binary)
    assert b.from_arrow(bytes(binary.data), "pandas")["v"].tolist() == [1.5, 2.5]
    a.close()


def test_dlpack_handle_only_in_its_worker(prefix: str) -> None:
    a, b = Bulk("pool:0:a", prefix=prefix), Bulk("pool:1:b", prefix=prefix)
    tensor = torch.zeros(3)
    term = over_the_wire(a.share(tensor, "s1", kind="dlpack"))
    assert term[Atom("kind")] == "dlpack" and term[Atom("size")] is None
    a.struct_in(term, "s1")[2] = 7.0
    assert float(tensor[2]) == 7.0
    with pytest.raises(BulkError, match="valid only inside the worker that made it"):
        b.struct_in(term, "s1")
    with pytest.raises(BulkError, match="valid only inside the worker that made it"):
        b.from_arrow(term)  # any other use says so too: it is no Arrow handle
    assert a.release(term) and not a.release(term)


def test_session_end_and_close_release_everything(prefix: str) -> None:
    bulk = Bulk("w:1", prefix=prefix)
    bulk.share(np.ones(3), "s1")
    bulk.share(pd.DataFrame({"a": [1]}), "s1")
    bulk.share(np.ones(3), "s1", kind="dlpack")
    bulk.share(np.ones(3), "s2")
    assert len(shm.segments(prefix)) == 3
    assert bulk.release_session("s1") == 3
    assert len(shm.segments(prefix)) == 1
    assert bulk.close() == 1
    assert shm.segments(prefix) == []


def test_malformed_handles_are_refused(prefix: str) -> None:
    bulk = Bulk("w:1", prefix=prefix)
    term = over_the_wire(bulk.share(np.ones(2), "s1"))
    for key, value, words in [
        ("kind", Atom("gpu"), ":shm, :arrow or :dlpack"),
        ("kind", "shm", ":shm, :arrow or :dlpack"),  # a string, not the atom
        ("id", None, "pass the handle you got back unchanged"),
        ("size", "48", "pass the handle you got back unchanged"),
    ]:
        bad = dict(term)
        bad[Atom(key)] = value
        with pytest.raises(BulkError, match=words):
            handle_from_term(bad)
    with pytest.raises(BulkError, match="share kinds"):
        bulk.share(np.ones(2), "s1", kind="gpu")  # type: ignore[arg-type]
    assert term[Atom("__struct__")] == ZERO_COPY_STRUCT
    bulk.close()
