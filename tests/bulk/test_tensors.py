"""numpy <-> Nx binary layout: byte-exact for every dtype, copies counted, errors named."""

from __future__ import annotations

import array as pyarray
import struct
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime.bulk import TENSOR_STRUCT
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.service import Bulk
from snakebridge.runtime.bulk.tensors import numpy_dtype, nx_type, pack, view
from snakebridge.runtime.bulk.wire import struct_name, tensor_term

# dtype, Nx type, values, and the struct format that writes one element the way Nx's
# native bitstrings do (`<<x::float-native-64>>` ...): an oracle independent of numpy.
CASES: list[tuple[str, tuple[str, int], list[Any], str]] = [
    ("bool", ("u", 8), [True, False, True], "=B"),
    ("int8", ("s", 8), [-128, 0, 127], "=b"),
    ("int16", ("s", 16), [-32768, 1, 32767], "=h"),
    ("int32", ("s", 32), [-(2**31), 7, 2**31 - 1], "=i"),
    ("int64", ("s", 64), [-(2**63), 9, 2**63 - 1], "=q"),
    ("uint8", ("u", 8), [0, 200, 255], "=B"),
    ("uint16", ("u", 16), [0, 300, 65535], "=H"),
    ("uint32", ("u", 32), [0, 70000, 2**32 - 1], "=I"),
    ("uint64", ("u", 64), [0, 2**40, 2**64 - 1], "=Q"),
    ("float16", ("f", 16), [0.5, -2.0, 65504.0], "=e"),
    ("float32", ("f", 32), [1.5, -0.25, 3.0e38], "=f"),
    ("float64", ("f", 64), [1.0, -2.5, 1e300], "=d"),
]


@pytest.mark.parametrize(("dtype", "nx", "values", "fmt"), CASES)
def test_every_dtype_has_the_nx_type_and_byte_layout(
    dtype: str, nx: tuple[str, int], values: list[Any], fmt: str
) -> None:
    arr = np.array(values, dtype=dtype)
    packed = pack(arr)
    assert packed.type == nx
    assert packed.shape == (3,)
    expected = b"".join(struct.pack(fmt, int(v) if dtype == "bool" else v) for v in values)
    assert bytes(packed.data) == expected
    back = view(bytes(packed.data), nx, (3,))
    assert back.tolist() == np.array(values, dtype=dtype).astype(back.dtype).tolist()


@pytest.mark.parametrize(("dtype", "bits"), [("complex64", 64), ("complex128", 128)])
def test_complex_is_interleaved_real_and_imaginary(dtype: str, bits: int) -> None:
    arr = np.array([1 + 2j, -3.5 - 0.5j], dtype=dtype)
    packed = pack(arr)
    assert packed.type == ("c", bits)
    fmt = "=f" if bits == 64 else "=d"
    parts = [1.0, 2.0, -3.5, -0.5]
    assert bytes(packed.data) == b"".join(struct.pack(fmt, p) for p in parts)
    np.testing.assert_array_equal(view(bytes(packed.data), ("c", bits), (2,)), arr)


def test_matrix_is_row_major_with_the_shape_as_a_tuple() -> None:
    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    packed = pack(arr)
    assert packed.shape == (2, 3)
    assert bytes(packed.data) == struct.pack("=6d", 0, 1, 2, 3, 4, 5)


def test_contiguous_native_array_is_not_copied() -> None:
    arr = np.arange(1000, dtype=np.float32)
    packed = pack(arr)
    assert np.shares_memory(np.frombuffer(packed.data, dtype=np.uint8), arr)


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.arange(12, dtype=np.int32).reshape(3, 4).T,  # Fortran order
        lambda: np.arange(20, dtype=np.float64)[::3],  # strided
        lambda: np.arange(10, dtype=">f8"),  # big-endian
        lambda: np.arange(12, dtype=">i2").reshape(3, 4)[:, 1:3],  # both at once
    ],
)
def test_other_layouts_are_made_contiguous_and_native_in_one_copy(make: Any) -> None:
    arr = make()
    packed = pack(arr)
    native = arr.astype(arr.dtype.newbyteorder("="))
    assert bytes(packed.data) == np.ascontiguousarray(native).tobytes()
    assert packed.shape == arr.shape
    assert not np.shares_memory(np.frombuffer(packed.data, dtype=np.uint8), arr)


def test_scalars_empty_arrays_and_other_array_likes() -> None:
    zero_d = pack(np.float64(2.5))
    assert (zero_d.shape, bytes(zero_d.data)) == ((), struct.pack("=d", 2.5))
    assert view(bytes(zero_d.data), ("f", 64), ()).item() == 2.5
    empty = pack(np.zeros((0, 3), dtype=np.int16))
    assert (empty.shape, empty.nbytes) == ((0, 3), 0)
    assert view(b"", ("s", 16), (0, 3)).shape == (0, 3)
    series = pack(pd.Series([1.0, 2.0]))  # __array__
    assert (series.type, bytes(series.data)) == (("f", 64), struct.pack("=2d", 1, 2))
    buffer = pack(pyarray.array("i", [1, -1]))  # buffer protocol with a format
    assert (buffer.type, bytes(buffer.data)) == (("s", 32), struct.pack("=2i", 1, -1))
    assert pack(b"\x01\x02").type == ("u", 8)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (np.array([object(), 1], dtype=object), ["dtype object", "astype", "ref"]),
        (np.array(["a", "b"]), ["strings", "tolist"]),
        (np.array(["2024-01-01"], dtype="datetime64[ns]"), ["int64", "Arrow"]),
        (np.ma.masked_array([1.0, 2.0], mask=[0, 1]), ["masked", "filled"]),
        (np.zeros(2, dtype=[("a", "i4")]), ["astype"]),
        ({"not": "an array"}, ["dict", "buffer protocol"]),
    ],
)
def test_values_without_a_tensor_layout_are_refused_with_the_fix(
    value: Any, words: list[str]
) -> None:
    with pytest.raises(BulkError) as info:
        pack(value)
    assert info.value.kind == "encode_error"
    for word in words:
        assert word in str(info.value)


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize == 8, reason="longdouble is float64 here")
def test_longdouble_is_refused() -> None:
    with pytest.raises(BulkError, match="no Nx type"):
        pack(np.zeros(2, dtype=np.longdouble))


def test_view_is_read_only_and_shares_the_bytes() -> None:
    frame = struct.pack("=4d", 1, 2, 3, 4)
    arr = view(memoryview(frame), ("f", 64), (2, 2))
    assert arr.base is frame  # the sender's bytes are the array's base
    assert not arr.flags.writeable
    with pytest.raises(ValueError):
        arr[0, 0] = 9.0
    mutable = bytearray(frame)
    shared = view(mutable, "float64", (4,))
    mutable[0:8] = struct.pack("=d", 7.0)
    assert shared[0] == 7.0  # a view, not a copy
    assert not shared.flags.writeable


def test_writable_asks_for_one_copy() -> None:
    frame = struct.pack("=3q", 1, 2, 3)
    arr = view(frame, ("s", 64), (3,), writable=True)
    arr[0] = 10
    assert arr.tolist() == [10, 2, 3]
    assert struct.unpack("=3q", frame) == (1, 2, 3)


@pytest.mark.parametrize(
    ("data", "type_", "shape", "words"),
    [
        (b"\x00" * 40, ("f", 64), (2, 3), ["40 bytes", "{2, 3}", "needs 48"]),
        (b"\x00" * 8, ("f", 8), (1,), ["{:f, 8}", "valid types"]),
        (b"\x00" * 8, ("x", 64), (1,), ["{:x, 64}"]),
        (b"\x00" * 8, ("f", 64), (-1,), ["non-negative"]),
        (b"\x00" * 8, "object", (1,), ["dtype object"]),
        (b"\x00" * 7, "float64", None, ["whole number"]),
    ],
)
def test_bad_tensors_are_refused_with_what_is_wrong(
    data: bytes, type_: Any, shape: Any, words: list[str]
) -> None:
    with pytest.raises(BulkError) as info:
        view(data, type_, shape)
    for word in words:
        assert word in str(info.value)


def test_type_mapping_round_trips() -> None:
    for dtype, nx, _values, _fmt in CASES:
        if dtype != "bool":
            assert numpy_dtype(nx) == np.dtype(dtype)
            assert nx_type(np.dtype(dtype)) == nx


SUPPORTED = st.sampled_from(
    ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"]
)


@settings(max_examples=150, deadline=None)
@given(
    arr=hnp.arrays(
        dtype=st.tuples(SUPPORTED, st.sampled_from("<>")).map(lambda t: np.dtype(t[1] + t[0])),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    ),
    transpose=st.booleans(),
)
def test_pack_then_view_round_trips_any_array(arr: Any, transpose: bool) -> None:
    if transpose:
        arr = arr.T
    packed = pack(arr)
    back = view(bytes(packed.data), packed.type, packed.shape)
    assert back.shape == arr.shape
    expected = arr.astype(np.uint8) if arr.dtype.kind == "b" else arr
    assert bytes(packed.data) == np.ascontiguousarray(expected.astype(back.dtype)).tobytes()
    np.testing.assert_array_equal(back, expected.astype(back.dtype))


# ------------------------------------------------------------------ in the frame


def test_reply_frame_is_written_from_the_array_memory() -> None:
    arr = np.arange(1 << 15, dtype=np.float64)  # 256 KiB: a separate writev piece
    encode = etf.make_parts_encoder()
    parts = encode((1, (Atom("ok"), tensor_term(pack(arr)))))
    big = [p for p in parts if memoryview(p).nbytes == arr.nbytes]
    assert len(big) == 1
    assert np.shares_memory(np.frombuffer(big[0], dtype=np.uint8), arr)
    term = etf.decode(b"".join(parts))[1][1]
    assert term[Atom("type")] == ("f", 64) and term[Atom("shape")] == (1 << 15,)
    assert term[Atom("data")] == arr.tobytes()


def test_request_tensor_views_the_frame() -> None:
    arr = np.arange(12, dtype=np.int16).reshape(3, 4)
    frame = etf.encode(
        {
            Atom("__struct__"): TENSOR_STRUCT,
            Atom("data"): etf.Binary(arr.tobytes()),
            Atom("type"): (Atom("s"), 16),
            Atom("shape"): (3, 4),
        }
    )
    bulk = Bulk("test:1:zz", prefix="sbtest_unused")
    read = etf.whole_term(
        etf.make_reader(
            struct_hook=lambda t: bulk.struct_in(t, "s1"),
            raw_binary_structs=frozenset({TENSOR_STRUCT}),
        )
    )
    got = read(frame)
    np.testing.assert_array_equal(got, arr)
    assert got.base is frame  # no copy: the frame's bytes are the array's base
    assert not got.flags.writeable


def test_string_keyed_look_alike_maps_are_not_structs() -> None:
    look_alike = etf.decode(
        etf.encode(
            {
                "__struct__": "Elixir.SnakeBridge.Tensor",
                "data": b"\x00" * 8,
                "type": (Atom("f"), 64),
                "shape": (1,),
            }
        )
    )
    assert struct_name(look_alike) is None
    assert Bulk("test:1:zz", prefix="sbtest_unused").struct_in(look_alike, "s1") is look_alike
    mixed = {Atom("__struct__"): TENSOR_STRUCT, "data": b""}  # one string key
    assert struct_name(mixed) is None
    atom_value_only = {Atom("__struct__"): "Elixir.SnakeBridge.Tensor"}
    assert struct_name(atom_value_only) is None


def test_native_byte_order_is_little_endian_here() -> None:
    # The layout tests above use native struct formats; say which order that is.
    assert sys.byteorder == "little"
