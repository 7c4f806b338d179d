"""numpy arrays <-> Nx's binary layout.

A tensor crosses as three things: the element bytes, an Nx type tuple and a shape.
The bytes are the elements in C (row-major) order and the machine's native byte order,
which is exactly what ``Nx.from_binary(data, type) |> Nx.reshape(shape)`` reads.

Types (numpy dtype -> Nx type, and back):

=====================  ============  =============================================
numpy                  Nx            note
=====================  ============  =============================================
int8 ... int64         {:s, 8..64}
uint8 ... uint64       {:u, 8..64}
float16/32/64          {:f, 16..64}
complex64 / 128        {:c, 64/128}  real and imaginary parts interleaved, as both
                                     numpy and Nx store them
bool                   {:u, 8}       one byte per element, 0 or 1 (Nx has no boolean
                                     type; its comparisons return {:u, 8} too), so a
                                     bool array comes back from Elixir as uint8
=====================  ============  =============================================

Everything else (``object``, strings, datetimes, structured dtypes, ``longdouble``)
has no Nx layout and is refused with the conversion that fixes it.

Copies: :func:`pack` copies nothing for an array that is already C-contiguous in
native byte order (the reply frame is written from the array's own memory); any other
array is made contiguous and native in one pass. :func:`view` makes an array over the
given bytes without copying; it is read-only, and ``writable=True`` asks for one copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from snakebridge.runtime.bulk.errors import BulkError

NxType = tuple[str, int]
Shape = tuple[int, ...]
Buffer = bytes | bytearray | memoryview

# One owner for the mapping; the reverse is derived from it.
_NX_OF_KIND: dict[str, str] = {"i": "s", "u": "u", "f": "f", "c": "c"}
_KIND_OF_NX: dict[str, str] = {"s": "i", "u": "u", "f": "f", "c": "c"}
_BITS: dict[str, frozenset[int]] = {
    "s": frozenset({8, 16, 32, 64}),
    "u": frozenset({8, 16, 32, 64}),
    "f": frozenset({16, 32, 64}),
    "c": frozenset({64, 128}),
}


def nx_type(dtype: np.dtype[Any]) -> NxType:
    """The Nx type tuple of a numpy dtype, or a :class:`BulkError` naming the fix."""
    if dtype.kind == "b":
        return ("u", 8)
    kind = _NX_OF_KIND.get(dtype.kind)
    bits = dtype.itemsize * 8
    if kind is None or bits not in _BITS[kind]:
        raise BulkError("encode_error", _unsupported(dtype))
    return (kind, bits)


def numpy_dtype(type_: NxType) -> np.dtype[Any]:
    """The native-order numpy dtype of an Nx type tuple (``("f", 64)`` -> float64)."""
    kind, bits = type_
    numpy_kind = _KIND_OF_NX.get(kind)
    if numpy_kind is None or bits not in _BITS[kind]:
        valid = ", ".join(f"{{:{k}, {b}}}" for k in _BITS for b in sorted(_BITS[k]))
        raise BulkError(
            "encode_error",
            f"{{:{kind}, {bits}}} is not a tensor type SnakeBridge can map to numpy; "
            f"valid types: {valid}",
        )
    return np.dtype(f"={numpy_kind}{bits // 8}")


def _unsupported(dtype: np.dtype[Any]) -> str:
    base = f"a numpy array of dtype {dtype} has no tensor layout: "
    if dtype.kind == "O":
        return base + (
            "its elements are Python objects; convert it to a numeric dtype first "
            "(arr.astype('float64')) or keep it as a ref"
        )
    if dtype.kind in "US":
        return base + "it holds strings; keep it as a ref, or send it as a list with tolist()"
    if dtype.kind in "mM":
        return base + (
            f"convert the {dtype} values to integers first (arr.view('int64') or "
            "arr.astype('int64')), or cross a table through Arrow, which keeps timestamps"
        )
    if dtype.kind == "f" or dtype.kind == "c":
        return base + (
            f"{dtype.itemsize * 8}-bit values have no Nx type; convert with "
            "arr.astype('float64') (or 'complex128')"
        )
    return base + (
        "only bool, integer, float and complex dtypes cross as tensors; convert it with "
        "astype(), or keep it as a ref"
    )


@dataclass(frozen=True, slots=True)
class Packed:
    """A tensor ready to send: ``data`` views C-ordered, native-endian element bytes."""

    data: memoryview
    type: NxType
    shape: Shape

    @property
    def nbytes(self) -> int:
        return self.data.nbytes


def as_array(value: Any) -> npt.NDArray[Any]:
    """An ndarray for ``value``: arrays as they are, ``__array__`` objects and buffers."""
    if isinstance(value, np.ndarray):
        if isinstance(value, np.ma.MaskedArray):
            raise BulkError(
                "encode_error",
                "a masked array has no tensor layout (the mask would be lost); fill the "
                "masked elements first (arr.filled(value)) or send the mask separately",
            )
        return value
    if isinstance(value, np.generic):
        return np.asarray(value)
    if hasattr(value, "__array__"):
        try:
            return np.asarray(value)
        except (TypeError, ValueError, RuntimeError) as exc:
            # The library's own refusal (a torch bfloat16, GPU or grad-tracking tensor):
            # its words, and the conversion that fixes it.
            raise BulkError(
                "encode_error",
                f"a {type(value).__qualname__} could not become a numpy array ({exc}); "
                "convert it to a numeric CPU array first (torch: tensor.detach().cpu(), "
                "and .float() for bfloat16, which numpy has no dtype for)",
            ) from None
    try:
        view = memoryview(value)
    except TypeError:
        raise BulkError(
            "encode_error",
            f"a {type(value).__qualname__} is not an array: to_tensor takes a numpy array, "
            "an object with __array__ (pandas Series, torch CPU tensors, ...) or one that "
            "supports the buffer protocol",
        ) from None
    return np.asarray(view)


def pack(value: Any) -> Packed:
    """``value`` as tensor bytes, type and shape, with at most one copy (none if it can)."""
    array = as_array(value)
    dtype = array.dtype
    type_ = nx_type(dtype)
    native = dtype if dtype.isnative else dtype.newbyteorder("=")
    if not (array.flags.c_contiguous and dtype.isnative):
        array = np.array(array, dtype=native, order="C", copy=True)
    # A uint8 view of the flat array: the memoryview keeps the array alive, and its
    # length is the byte count whatever the element type (0-d arrays included).
    data = memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]
    return Packed(data, type_, tuple(int(n) for n in array.shape))


def view(
    data: Buffer | str,
    dtype: NxType | str | np.dtype[Any],
    shape: Shape | None = None,
    *,
    writable: bool = False,
) -> npt.NDArray[Any]:
    """An array over ``data`` without a copy (read-only), or a writable copy.

    ``dtype`` is an Nx type tuple (``("f", 64)``) or a numpy dtype (string). ``shape``
    ``None`` means one dimension. The bytes must match the type and shape exactly.
    """
    np_dtype = _parse_dtype(dtype)
    raw: Buffer = data.encode("utf-8") if isinstance(data, str) else data
    size = raw.nbytes if isinstance(raw, memoryview) else len(raw)
    if shape is None:
        if size % np_dtype.itemsize:
            raise BulkError(
                "encode_error",
                f"{size} bytes are not a whole number of {np_dtype} elements "
                f"({np_dtype.itemsize} bytes each)",
            )
        shape = (size // np_dtype.itemsize,)
    shape = _parse_shape(shape)
    expected = math.prod(shape) * np_dtype.itemsize
    if size != expected:
        raise BulkError(
            "encode_error",
            f"the tensor data has {size} bytes, but {_describe(np_dtype)} with shape "
            f"{_elixir_shape(shape)} needs {expected}; build it with "
            "SnakeBridge.Tensor.new/3, which checks the size",
        )
    # Built on the buffer directly, so the array's base is the caller's object (a frame's
    # bytes, through a memoryview slice of them), with no intermediate array.
    array: npt.NDArray[Any] = np.ndarray(shape, dtype=np_dtype, buffer=raw)
    if writable:
        return array.copy()
    array.flags.writeable = False
    return array


def _parse_dtype(dtype: NxType | str | np.dtype[Any]) -> np.dtype[Any]:
    if isinstance(dtype, tuple):
        if len(dtype) != 2 or not isinstance(dtype[1], int):
            raise BulkError(
                "encode_error", f"a tensor type is {{kind, bits}} like {{:f, 64}}, not {dtype!r}"
            )
        return numpy_dtype((str(dtype[0]), dtype[1]))
    try:
        np_dtype = np.dtype(dtype)
    except TypeError as exc:
        raise BulkError("encode_error", f"{dtype!r} is not a numpy dtype: {exc}") from None
    nx_type(np_dtype)  # refuses object, strings, datetimes ... with the fix
    return np_dtype


def _parse_shape(shape: Any) -> Shape:
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise BulkError(
            "encode_error",
            f"a tensor shape is a tuple of non-negative integers like {{2, 3}}, not {shape!r}",
        )
    return tuple(shape)


def _describe(dtype: np.dtype[Any]) -> str:
    kind, bits = nx_type(dtype)
    return f"type {{:{kind}, {bits}}}"


def _elixir_shape(shape: Shape) -> str:
    return "{" + ", ".join(str(n) for n in shape) + "}"
