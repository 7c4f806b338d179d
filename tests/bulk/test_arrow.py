"""Tables <-> Arrow IPC streams with real pandas, pyarrow and polars."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import polars.testing
import pyarrow as pa
import pytest

from snakebridge.runtime.bulk import arrow
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.tensors import view


def pandas_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "i8": np.array([1, -2, 3], dtype=np.int8),
            "i64": np.array([2**40, 0, -1], dtype=np.int64),
            "u16": np.array([0, 1, 65535], dtype=np.uint16),
            "f32": np.array([0.5, 1.5, -2.0], dtype=np.float32),
            "f64": [1.0, np.nan, 3.0],  # NaN crosses as null and comes back as NaN
            "flag": [True, False, True],
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "text": ["a", None, "ünïcode"],
            "when": pd.to_datetime(["2024-01-01", "2024-02-29T12:30:00", None], format="ISO8601"),
            "when_utc": pd.to_datetime(["2024-01-01", None, "2030-06-01"]).tz_localize("UTC"),
            "city": pd.Categorical(["Paris", "Lima", "Paris"]),
            "day": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), None],
        }
    )


def test_ipc_is_a_stream_not_a_file() -> None:
    data = arrow.to_ipc(pd.DataFrame({"a": [1]}))
    assert bytes(data[:4]) == b"\xff\xff\xff\xff"  # stream continuation marker
    assert not bytes(data).startswith(b"ARROW1")  # the file format's magic
    assert pa.ipc.open_stream(pa.py_buffer(data)).read_all().num_rows == 1


def test_pandas_round_trip_over_dtypes_nulls_strings_timestamps_categoricals() -> None:
    df = pandas_frame()
    back = arrow.from_ipc(arrow.to_ipc(df), "pandas")
    pd.testing.assert_frame_equal(back, df)
    assert isinstance(back["city"].dtype, pd.CategoricalDtype)
    assert str(back["when_utc"].dt.tz) == "UTC"


def test_pandas_index_comes_back() -> None:
    df = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="key"))
    pd.testing.assert_frame_equal(arrow.from_ipc(arrow.to_ipc(df), "pandas"), df)


def test_pandas_to_pyarrow_and_polars_keeps_types() -> None:
    data = arrow.to_ipc(pandas_frame())
    table = arrow.from_ipc(data, "pyarrow")
    schema = table.schema
    assert schema.field("i8").type == pa.int8()
    assert schema.field("when_utc").type == pa.timestamp(schema.field("when_utc").type.unit, "UTC")
    assert pa.types.is_dictionary(schema.field("city").type)
    assert table.column("text").null_count == 1
    assert table.column("f64").null_count == 1
    frame = arrow.from_ipc(data, "polars")
    assert frame["city"].dtype == pl.Categorical or isinstance(frame["city"].dtype, pl.Enum)
    assert frame["nullable"].to_list() == [1, None, 3]
    assert frame["text"].to_list() == ["a", None, "ünïcode"]


def test_polars_round_trip() -> None:
    frame = pl.DataFrame(
        {
            "i": pl.Series([1, None, 3], dtype=pl.Int32),
            "u": pl.Series([1, 2, 3], dtype=pl.UInt64),
            "f": [0.5, None, 2.5],
            "b": [True, None, False],
            "s": ["x", "y", None],
            "c": pl.Series(["lo", "hi", "lo"], dtype=pl.Categorical),
            "t": pl.Series([dt.datetime(2024, 1, 1), None, dt.datetime(2025, 5, 5, 5)]),
            "tz": pl.Series([dt.datetime(2024, 1, 1)] * 3).dt.replace_time_zone("Europe/Paris"),
            "d": [dt.date(2020, 1, 1), None, dt.date(2021, 1, 1)],
        }
    )
    data = arrow.to_ipc(frame)
    # The oldest compatibility level: large_string, which every Arrow reader reads.
    assert arrow.read_ipc(data).schema.field("s").type == pa.large_string()
    polars.testing.assert_frame_equal(arrow.from_ipc(data, "polars"), frame)
    assert arrow.from_ipc(data, "pandas")["c"].tolist() == ["lo", "hi", "lo"]


def test_pyarrow_round_trip_and_record_batches_and_series() -> None:
    table = pa.table(
        {
            "x": pa.array([1, None, 3], pa.int16()),
            "ts": pa.array([0, 1, None], pa.timestamp("ns", tz="Asia/Tokyo")),
            "cat": pa.array(["a", "b", "a"]).dictionary_encode(),
            "s": pa.array(["q", None, "r"], pa.string()),
        }
    )
    assert arrow.from_ipc(arrow.to_ipc(table), "pyarrow").equals(table)
    batch = table.to_batches()[0]
    assert arrow.from_ipc(arrow.to_ipc(batch), "pyarrow").equals(table)
    series = arrow.from_ipc(arrow.to_ipc(pd.Series([1.5, 2.5], name="v")), "pandas")
    assert series.columns.tolist() == ["v"]
    assert arrow.from_ipc(arrow.to_ipc(pl.Series("w", [1, 2])), "polars")["w"].to_list() == [1, 2]
    chunked = pa.concat_tables([table, table])  # several record batches in one stream
    assert arrow.from_ipc(arrow.to_ipc(chunked), "pyarrow").num_rows == 6


def test_reading_views_the_input_bytes() -> None:
    frame = bytes(arrow.to_ipc(pd.DataFrame({"v": np.arange(1000, dtype=np.float64)})))
    table = arrow.read_ipc(memoryview(frame))
    values = table.column("v").chunk(0).buffers()[1]
    start = np.frombuffer(frame, dtype=np.uint8).ctypes.data
    assert start <= values.address < start + len(frame)  # inside the frame: no copy


def test_is_table() -> None:
    assert arrow.is_table(pd.DataFrame()) and arrow.is_table(pl.DataFrame())
    assert arrow.is_table(pa.table({"a": [1]}))
    assert not arrow.is_table(pd.Series([1])) and not arrow.is_table(np.zeros(2))


@pytest.mark.parametrize(
    "table",
    [
        pd.DataFrame({"v": [1.0, np.nan, 3.0], "n": [1, 2, 3]}),
        pl.DataFrame({"v": [1.0, None, 3.0], "n": [1, 2, 3]}),
        pa.table({"v": [1.0, None, 3.0], "n": [1, 2, 3]}),
    ],
    ids=["pandas", "polars", "pyarrow"],
)
def test_one_column_as_a_tensor(table: Any) -> None:
    floats = arrow.column(table, "v")
    assert (floats.type, floats.shape) == (("f", 64), (3,))
    got = view(bytes(floats.data), floats.type, floats.shape)
    assert got[0] == 1.0 and np.isnan(got[1])  # nulls in a float column become NaN
    ints = arrow.column(table, "n")
    assert ints.type == ("s", 64)
    assert view(bytes(ints.data), ints.type, ints.shape).tolist() == [1, 2, 3]


def test_column_of_a_pandas_frame_is_not_copied() -> None:
    df = pd.DataFrame({"v": np.arange(100, dtype=np.float64)})
    packed = arrow.column(df, "v")
    assert np.shares_memory(np.frombuffer(packed.data, dtype=np.uint8), df["v"].to_numpy())


@pytest.mark.parametrize(
    ("table", "name", "words"),
    [
        (pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), "n", ["1 null", "fill"]),
        (pl.DataFrame({"n": [1, None]}), "n", ["1 null", "float"]),
        (pd.DataFrame({"s": ["a", "b"]}), "s", ["no tensor layout"]),
        (pd.DataFrame({"c": pd.Categorical(["a"])}), "c", ["cat.codes"]),
        (pa.table({"t": pa.array([0], pa.timestamp("s"))}), "t", ["int64"]),
        (pd.DataFrame({"a": [1], "b": [2]}), "zz", ["no column 'zz'", "'a', 'b'"]),
    ],
)
def test_columns_without_a_tensor_layout_are_refused(
    table: Any, name: str, words: list[str]
) -> None:
    with pytest.raises(BulkError) as info:
        arrow.column(table, name)
    for word in words:
        assert word in str(info.value)


def test_bad_input_errors() -> None:
    with pytest.raises(BulkError, match="not a table"):
        arrow.to_ipc([1, 2, 3])
    with pytest.raises(BulkError, match="not an Arrow IPC stream"):
        arrow.from_ipc(b"definitely not arrow", "pandas")
    with pytest.raises(BulkError, match="'pandas', 'pyarrow', 'polars', not 'dask'"):
        arrow.from_ipc(arrow.to_ipc(pa.table({"a": [1]})), "dask")
