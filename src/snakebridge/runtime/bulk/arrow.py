"""Tables <-> Arrow IPC streams (the format Explorer's ``load_ipc_stream`` reads).

Out: a pandas DataFrame, pyarrow Table or RecordBatch, polars DataFrame (a Series of
either becomes a one-column table), or anything with the Arrow PyCapsule stream
interface (``__arrow_c_stream__``) becomes one IPC *stream* (schema, dictionaries,
record batches). pandas goes through ``pyarrow.Table.from_pandas``: NaN in float
columns becomes null, categoricals become dictionary columns, a non-default index
becomes a column (``__index_level_0__``) and comes back as the index in pandas.
polars is written at its oldest compatibility level (``large_string``, not
``string_view``), which every Arrow reader, old Explorer versions included, reads.

In: IPC stream bytes (a frame's bytes or a shared-memory mapping) become a pyarrow
Table whose buffers point into those bytes (no copy), or a pandas / polars frame made
from it.

One column of any of these tables becomes a tensor with :func:`column`: numeric and
boolean columns only; nulls in a float column become NaN, nulls elsewhere are refused.
"""

from __future__ import annotations

import sys
from typing import Any

from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.tensors import Packed, pack

LIBRARIES = ("pandas", "pyarrow", "polars")


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise BulkError(
            "encode_error",
            "tables cross as Arrow, which needs pyarrow in the worker's environment; add "
            'pyarrow to the libraries in mix.exs (pyarrow: "~> 26.0") and run '
            "mix snakebridge.setup",
        ) from None
    return pyarrow


def _is(value: Any, module: str, name: str) -> bool:
    """Whether ``value`` is ``module.name`` without importing a library the user does not use."""
    mod = sys.modules.get(module)
    cls = getattr(mod, name, None) if mod is not None else None
    return isinstance(cls, type) and isinstance(value, cls)


def is_table(value: Any) -> bool:
    """Whether ``value`` is a whole table (a Series or an array is not)."""
    return (
        _is(value, "pandas", "DataFrame")
        or _is(value, "polars", "DataFrame")
        or _is(value, "pyarrow", "Table")
        or _is(value, "pyarrow", "RecordBatch")
    )


def to_table(value: Any) -> Any:
    """A ``pyarrow.Table`` for a table-like value."""
    pa = _pyarrow()
    if isinstance(value, pa.Table):
        return value
    if isinstance(value, pa.RecordBatch):
        return pa.Table.from_batches([value])
    if _is(value, "pandas", "DataFrame"):
        return pa.Table.from_pandas(value)
    if _is(value, "pandas", "Series"):
        return pa.Table.from_pandas(value.to_frame())
    if _is(value, "polars", "DataFrame") or _is(value, "polars", "Series"):
        import polars

        frame = value if isinstance(value, polars.DataFrame) else value.to_frame()
        return frame.to_arrow(compat_level=polars.CompatLevel.oldest())
    if hasattr(value, "__arrow_c_stream__"):
        return pa.table(value)
    raise BulkError(
        "encode_error",
        f"a {type(value).__qualname__} is not a table: to_arrow takes a pandas or polars "
        "DataFrame or Series, a pyarrow Table or RecordBatch, or an object with "
        "__arrow_c_stream__",
    )


def to_ipc(value: Any) -> memoryview:
    """The Arrow IPC stream of a table-like value, as one buffer."""
    pa = _pyarrow()
    table = to_table(value)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return memoryview(sink.getvalue())


def read_ipc(data: bytes | bytearray | memoryview) -> Any:
    """The ``pyarrow.Table`` in an IPC stream; its buffers view ``data``."""
    pa = _pyarrow()
    try:
        with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
            return reader.read_all()
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BulkError(
            "encode_error",
            f"the binary is not an Arrow IPC stream ({exc}); from_arrow/2 takes what "
            "to_arrow/1 or Explorer.DataFrame.dump_ipc_stream/1 produce",
        ) from None


def from_ipc(data: bytes | bytearray | memoryview, library: str = "pandas") -> Any:
    """An IPC stream as a table of ``library``: ``"pandas"``, ``"pyarrow"`` or ``"polars"``."""
    _check_library(library)
    return from_table(read_ipc(data), library)


def from_table(table: Any, library: str) -> Any:
    """A ``pyarrow.Table`` as a table of ``library`` (the Table itself for ``"pyarrow"``)."""
    _check_library(library)
    if library == "pyarrow":
        return table
    if library == "pandas":
        return table.to_pandas()
    import polars

    return polars.from_arrow(table)


def _check_library(library: str) -> None:
    if library not in LIBRARIES:
        raise BulkError(
            "encode_error",
            f"from_arrow makes a table of {', '.join(map(repr, LIBRARIES))}, not {library!r}",
        )


def column(value: Any, name: Any) -> Packed:
    """One column of a table as a tensor."""
    if _is(value, "pandas", "DataFrame"):
        series = _pick(value, name, list(value.columns))
        import numpy as np

        if isinstance(series.dtype, np.dtype):
            return pack(series.to_numpy())
        return _from_arrow_column(_pyarrow().Array.from_pandas(series), name)
    if _is(value, "polars", "DataFrame"):
        return _from_arrow_column(_pick(value, name, value.columns).to_arrow(), name)
    table = to_table(value)
    return _from_arrow_column(_pick(table, name, table.column_names), name)


def _pick(table: Any, name: Any, names: list[Any]) -> Any:
    if name not in names:
        shown = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
        raise BulkError("encode_error", f"the table has no column {name!r}; its columns: {shown}")
    return table[name]


def _from_arrow_column(array: Any, name: Any) -> Packed:
    pa = _pyarrow()
    types = pa.types
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    kind = array.type
    numeric = types.is_integer(kind) or types.is_floating(kind) or types.is_boolean(kind)
    if not numeric:
        fix = (
            "take its codes (df[col].cat.codes) or cast the values"
            if types.is_dictionary(kind)
            else "cast it to a number first (e.g. timestamps to int64)"
            if types.is_temporal(kind)
            else "keep the table as a ref, or cross it whole with to_arrow/1"
        )
        raise BulkError(
            "encode_error",
            f"column {name!r} is {kind}, which has no tensor layout; {fix}",
        )
    if array.null_count and not types.is_floating(kind):
        raise BulkError(
            "encode_error",
            f"column {name!r} ({kind}) has {array.null_count} null(s), which a tensor of "
            f"{kind} cannot hold; fill them first (fillna / fill_null) or cast the column "
            "to float, where nulls become NaN",
        )
    # Zero-copy for null-free numeric columns; booleans (bit-packed in Arrow) and
    # float columns with nulls (filled with NaN) take one copy.
    return pack(array.to_numpy(zero_copy_only=False))
