"""numpy <-> torch (and any DLPack library) sharing one buffer, inside one worker.

DLPack hands a tensor's memory from one library to another in the same process: the
consumer's ``from_dlpack`` wraps the producer's buffer, no bytes move, and a write on
one side is seen on the other. A DLPack export is a pointer into this process's
memory, so a :class:`DlpackHandle` is valid only inside the worker that made it;
:class:`DlpackExports` refuses it everywhere else, saying so. To move the data to
another worker use a shared-memory handle; to bring it to Elixir, a tensor.

numpy exports only writable arrays (DLPack has no read-only flag on torch's side): a
read-only view of a request's bytes needs a writable copy first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.tensors import NxType, Shape, nx_type

CONSUMERS = ("numpy", "torch")
_CPU = 1  # kDLCPU


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise BulkError(
            "encode_error",
            "DLPack to torch needs torch in the worker's environment; add torch to the "
            "libraries in mix.exs and run mix snakebridge.setup",
        ) from None
    return torch


def _exportable(value: Any) -> None:
    if not hasattr(value, "__dlpack__"):
        raise BulkError(
            "encode_error",
            f"a {type(value).__qualname__} does not support DLPack (no __dlpack__); numpy "
            "arrays, torch tensors, JAX and CuPy arrays do",
        )
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        raise BulkError(
            "encode_error",
            "this numpy array is read-only (a view of bytes sent from Elixir, or marked so) "
            "and DLPack can only share writable memory; make a writable copy first "
            "(arr.copy(), or ask for one when sending the tensor)",
        )


def to_torch(value: Any) -> Any:
    """A torch tensor sharing ``value``'s memory (a numpy array, or any DLPack producer)."""
    _exportable(value)
    return _torch().from_dlpack(value)


def to_numpy(value: Any) -> npt.NDArray[Any]:
    """A numpy array sharing ``value``'s memory (a CPU torch tensor, or any DLPack producer)."""
    _exportable(value)
    if _device(value) != _CPU:
        raise BulkError(
            "encode_error",
            f"the tensor lives on DLPack device {_device(value)}, not the CPU; numpy can "
            "only view CPU memory: move it first (tensor.cpu())",
        )
    try:
        return np.from_dlpack(value)
    except (BufferError, TypeError, RuntimeError) as exc:
        raise BulkError("encode_error", f"numpy cannot view this tensor: {exc}") from None


def convert(value: Any, consumer: str) -> Any:
    """``value`` as a ``consumer`` (``"numpy"`` or ``"torch"``) object over the same memory."""
    if consumer == "numpy":
        return to_numpy(value)
    if consumer == "torch":
        return to_torch(value)
    raise BulkError(
        "encode_error",
        f"DLPack consumers are {', '.join(map(repr, CONSUMERS))}, not {consumer!r}",
    )


def _device(value: Any) -> int:
    device = getattr(value, "__dlpack_device__", None)
    return int(device()[0]) if callable(device) else _CPU


@dataclass(frozen=True, slots=True)
class DlpackHandle:
    id: str
    owner: str
    session: str
    type: NxType | None
    shape: Shape


class DlpackExports:
    """The objects one worker has handed out DLPack handles for, by session."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self._objects: dict[str, tuple[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._objects)

    def export(self, value: Any, session: str) -> DlpackHandle:
        _exportable(value)
        shape = tuple(int(n) for n in value.shape)
        type_: NxType | None = None
        if _device(value) == _CPU:
            try:
                type_ = nx_type(to_numpy(value).dtype)
            except BulkError:
                type_ = None  # e.g. bfloat16: shareable, but without an Nx type
        handle_id = secrets.token_urlsafe(16)
        self._objects[handle_id] = (session, value)
        return DlpackHandle(handle_id, self.worker_id, session, type_, shape)

    def resolve(self, handle: DlpackHandle, session: str, consumer: str = "numpy") -> Any:
        """The object behind ``handle``, as ``consumer`` sees it, sharing its memory."""
        label = f"DLPack handle {handle.id[:8]}..."
        if handle.owner != self.worker_id:
            raise BulkError(
                "ref_lost",
                f"{label} is valid only inside the worker that made it ({handle.owner}), and "
                f"this call runs in {self.worker_id}: DLPack shares memory within one "
                "process. Call on that worker (pass the handle's ref), or move the data "
                "with SnakeBridge.share/1 (shared memory) or to_tensor/1",
            )
        entry = self._objects.get(handle.id)
        if entry is None:
            raise BulkError(
                "ref_lost",
                f"{label} was released (release/1, or its session ended) and can no longer be used",
            )
        if entry[0] != session:
            raise BulkError(
                "ref_lost",
                f"{label} belongs to session {entry[0]!r}, but this call runs in session "
                f"{session!r}; handles are bound to their session like refs",
            )
        return convert(entry[1], consumer)

    def release(self, handle_id: str) -> bool:
        return self._objects.pop(handle_id, None) is not None

    def release_session(self, session: str) -> int:
        ids = [i for i, (s, _obj) in self._objects.items() if s == session]
        for handle_id in ids:
            del self._objects[handle_id]
        return len(ids)
