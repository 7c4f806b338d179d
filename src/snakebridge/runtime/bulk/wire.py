"""The wire terms of bulk data: ``%SnakeBridge.Tensor{}`` and ``%SnakeBridge.ZeroCopyRef{}``.

Both are Elixir structs, so they arrive as maps whose keys are all atoms, one of them
``:__struct__`` with the struct's module atom as its value. :func:`struct_name` accepts
only that: a map with string keys that merely looks like a struct
(``%{"__struct__" => "Elixir.SnakeBridge.Tensor", ...}``) stays a plain dict, because
a user's data must never be taken for a handle.

``%SnakeBridge.Tensor{data, type, shape}``: ``data`` the element bytes (see
:mod:`.tensors`), ``type`` ``{:f, 64}``, ``shape`` a tuple. Encoded with ``data`` as a
:class:`~snakebridge.etf.Binary` over the array's memory, so the parts encoder hands it
to ``os.writev`` uncopied: the kernel's copy into the pipe is the only one.

``%SnakeBridge.ZeroCopyRef{kind, id, type, shape, size, owner, session, host, node}``:
``kind`` ``:shm`` (an array in shared memory), ``:arrow`` (an Arrow IPC stream in shared
memory) or ``:dlpack`` (an object in its worker); ``id`` the segment name or export id;
``owner`` the worker id that made it; ``host`` the machine (shared memory does not cross
machines); ``node`` the BEAM node of the owner's pool (a string, or nil when unknown).

The atoms used here (``:shm``, ``:arrow``, ``:dlpack``, ``:f``, ``:s``, ``:u``, ``:c`` and
the field names) are all literals of the Elixir modules, so ``binary_to_term(.., [:safe])``
accepts them once those modules are loaded.
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from snakebridge.etf import Atom, Binary
from snakebridge.runtime.bulk import TENSOR_STRUCT, ZERO_COPY_STRUCT
from snakebridge.runtime.bulk.dlpack import DlpackHandle
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.shm import ShmHandle
from snakebridge.runtime.bulk.tensors import NxType, Packed, Shape, view

STRUCT = Atom("__struct__")
K_DATA, K_TYPE, K_SHAPE = Atom("data"), Atom("type"), Atom("shape")
K_KIND, K_ID, K_SIZE = Atom("kind"), Atom("id"), Atom("size")
K_OWNER, K_SESSION, K_HOST, K_NODE = Atom("owner"), Atom("session"), Atom("host"), Atom("node")

Handle = ShmHandle | DlpackHandle


def struct_name(term: dict[Any, Any]) -> Atom | None:
    """The struct module of a decoded map, only if it is a real struct (all keys atoms)."""
    name = term.get(STRUCT)
    if type(name) is not Atom or not all(type(key) is Atom for key in term):
        return None
    return name


# ---------------------------------------------------------------------------- tensors


def tensor_term(packed: Packed) -> dict[Any, Any]:
    kind, bits = packed.type
    return {
        STRUCT: TENSOR_STRUCT,
        K_DATA: Binary(packed.data),
        K_TYPE: (Atom(kind), bits),
        K_SHAPE: packed.shape,
    }


def tensor_from_term(term: dict[Any, Any], *, writable: bool = False) -> npt.NDArray[Any]:
    """The numpy array of a decoded ``%SnakeBridge.Tensor{}``: a view of its bytes."""
    data = term.get(K_DATA)
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise BulkError(
            "encode_error", f"a SnakeBridge.Tensor's data is a binary, not {type(data).__name__}"
        )
    return view(data, _type(term.get(K_TYPE)), _shape(term.get(K_SHAPE)), writable=writable)


def _type(value: Any) -> NxType:
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and type(value[0]) is Atom
        and type(value[1]) is int
    ):
        return (str(value[0]), value[1])
    raise BulkError(
        "encode_error",
        f"a SnakeBridge.Tensor's type is {{kind, bits}} like {{:f, 64}}, not {value!r}",
    )


def _shape(value: Any) -> Shape:
    if isinstance(value, tuple) and all(type(n) is int and n >= 0 for n in value):
        return value
    raise BulkError(
        "encode_error",
        f"a SnakeBridge.Tensor's shape is a tuple of non-negative integers, not {value!r}",
    )


# ---------------------------------------------------------------------------- handles


def handle_term(handle: Handle, node: str | None = None) -> dict[Any, Any]:
    kind: str
    size: int | None
    if isinstance(handle, ShmHandle):
        kind, ident, size, host = handle.kind, handle.name, handle.size, handle.host
    else:
        kind, ident, size, host = "dlpack", handle.id, None, ""
    type_ = handle.type
    return {
        STRUCT: ZERO_COPY_STRUCT,
        K_KIND: Atom(kind),
        K_ID: ident,
        K_TYPE: None if type_ is None else (Atom(type_[0]), type_[1]),
        K_SHAPE: handle.shape,
        K_SIZE: size,
        K_OWNER: handle.owner,
        K_SESSION: handle.session,
        K_HOST: host,
        K_NODE: node,
    }


def handle_from_term(term: dict[Any, Any]) -> Handle:
    """The handle a decoded ``%SnakeBridge.ZeroCopyRef{}`` names (not yet resolved)."""
    kind = term.get(K_KIND)
    ident, owner, session = term.get(K_ID), term.get(K_OWNER), term.get(K_SESSION)
    if not all(isinstance(v, str) and v for v in (ident, owner)) or not isinstance(session, str):
        raise BulkError(
            "encode_error",
            "a SnakeBridge.ZeroCopyRef needs its id, owner and session as the worker made "
            "them; pass the handle you got back unchanged",
        )
    raw_type = term.get(K_TYPE)
    type_ = None if raw_type is None else _type(raw_type)
    raw_shape = term.get(K_SHAPE)
    shape = None if raw_shape is None else _shape(raw_shape)
    if kind == "dlpack" and type(kind) is Atom:
        return DlpackHandle(str(ident), str(owner), session, type_, shape or ())
    if kind in ("shm", "arrow") and type(kind) is Atom:
        size, host = term.get(K_SIZE), term.get(K_HOST)
        if type(size) is not int or not isinstance(host, str):
            raise BulkError(
                "encode_error",
                "a shared-memory SnakeBridge.ZeroCopyRef needs its size and host as the "
                "worker made them; pass the handle you got back unchanged",
            )
        return ShmHandle(
            "shm" if kind == "shm" else "arrow",
            str(ident),
            size,
            type_,
            shape,
            str(owner),
            session,
            host,
        )
    raise BulkError(
        "encode_error",
        f"a SnakeBridge.ZeroCopyRef's kind is :shm, :arrow or :dlpack, not {kind!r}",
    )
