"""One worker's bulk data, behind the calls the dispatcher will route to it.

The worker makes one :class:`Bulk` (lazily, on the first bulk call or bulk argument)
and calls :func:`sweep` once at start. Each method maps to one call type or decoder
hook; results are wire terms ready for the worker's encoder:

==========================  ====================================================
call / hook                 method
==========================  ====================================================
``to_tensor [value]``       :meth:`Bulk.to_tensor` -> ``%SnakeBridge.Tensor{}``
``column [table, name]``    :meth:`Bulk.column` -> ``%SnakeBridge.Tensor{}``
``share [value]``           :meth:`Bulk.share` -> ``%SnakeBridge.ZeroCopyRef{}``
``to_arrow [table]``        :meth:`Bulk.to_arrow` -> Arrow IPC stream binary
``from_dlpack [v, lib]``    :func:`.dlpack.convert` -> the same memory as ``lib``
``from_arrow [bin, lib]``   :meth:`Bulk.from_arrow` -> the table (a ref)
``release`` of a handle     :meth:`Bulk.release`
``release_session``         :meth:`Bulk.release_session`
worker shutdown             :meth:`Bulk.close`
struct in the arguments     :meth:`Bulk.struct_in` (Tensor or ZeroCopyRef maps)
==========================  ====================================================

Large replies (``to_tensor``, ``column``, ``to_arrow`` of ``TRANSFER_MIN`` bytes or
more) travel through a one-shot shared-memory segment when the caller says it runs on
this host: a pipe moves a few hundred MB/s, a segment the BEAM reads with one
``pread`` several GB/s. The reply is then ``{:shm, name, size, type, shape, back}`` (a
tensor) or ``{:shm, name, size, back}`` (an Arrow stream); the BEAM reads ``size``
bytes of the segment, then renames it to ``back`` (the worker's reusable segment) or,
when ``back`` is nil, unlinks it (:meth:`.shm.ShmSegments.transfer`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np

from snakebridge.etf import Atom, Binary
from snakebridge.runtime.bulk import TENSOR_STRUCT, ZERO_COPY_STRUCT, arrow, shm
from snakebridge.runtime.bulk.dlpack import DlpackExports, DlpackHandle
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.lifetime import Guard
from snakebridge.runtime.bulk.shm import PREFIX, SHM_DIR, ShmHandle, ShmSegments
from snakebridge.runtime.bulk.tensors import Packed, pack
from snakebridge.runtime.bulk.wire import (
    handle_from_term,
    handle_term,
    struct_name,
    tensor_from_term,
    tensor_term,
)

ShareKind = Literal["auto", "shm", "arrow", "dlpack"]

# Below this a reply goes through the pipe: a segment costs a few system calls each way.
TRANSFER_MIN = 1 << 18
SHM = Atom("shm")


def sweep(prefix: str = PREFIX, directory: Path = SHM_DIR) -> list[str]:
    """Remove the segments of workers that died without cleaning up (at worker start)."""
    return shm.sweep(prefix, directory)


class Bulk:
    def __init__(
        self,
        worker_id: str,
        *,
        node: str | None = None,
        prefix: str = PREFIX,
        directory: Path = SHM_DIR,
        guard: Guard | None = None,
    ) -> None:
        self.worker_id = worker_id
        self.node = node
        self.directory = directory
        self.prefix = prefix
        self.guard = guard
        self._segments: ShmSegments | None = None
        self.exports = DlpackExports(worker_id)

    @property
    def segments(self) -> ShmSegments:
        """Made on first use: tensors and DLPack work where /dev/shm does not exist."""
        if self._segments is None:
            self._segments = ShmSegments(
                self.worker_id, prefix=self.prefix, directory=self.directory, guard=self.guard
            )
        return self._segments

    # ------------------------------------------------------------------ arguments

    def struct_in(self, term: dict[Any, Any], session: str, *, writable: bool = False) -> Any:
        """A decoded Tensor or ZeroCopyRef struct as the Python value it stands for.

        Returns ``term`` unchanged for any other map (including look-alike maps with
        string keys), so the decoder can offer every struct map.
        """
        name = struct_name(term)
        if name == TENSOR_STRUCT:
            return tensor_from_term(term, writable=writable)
        if name == ZERO_COPY_STRUCT:
            return self.resolve(handle_from_term(term), session, writable=writable)
        return term

    def resolve(
        self, handle: ShmHandle | DlpackHandle, session: str, *, writable: bool = False
    ) -> Any:
        if isinstance(handle, DlpackHandle):
            return self.exports.resolve(handle, session)
        if handle.kind == "arrow":
            return arrow.read_ipc(shm.attach_bytes(handle, directory=self.directory))
        return shm.attach(handle, writable=writable, directory=self.directory)

    # ------------------------------------------------------------------ calls

    def to_tensor(self, value: Any, host: str | None = None) -> Any:
        """``value`` as a tensor reply; through a segment if large and ``host`` is this one."""
        return self._tensor_reply(pack(value), host)

    def column(self, table: Any, name: Any, host: str | None = None) -> Any:
        return self._tensor_reply(arrow.column(table, name), host)

    def to_arrow(self, table: Any, host: str | None = None) -> Any:
        data = arrow.to_ipc(table)
        if self._transfer_ok(data.nbytes, host):
            name, back = self.segments.transfer(data)
            return (SHM, name, data.nbytes, back)
        return Binary(data)

    def _tensor_reply(self, packed: Packed, host: str | None) -> Any:
        if self._transfer_ok(packed.nbytes, host):
            kind, bits = packed.type
            name, back = self.segments.transfer(packed.data)
            return (SHM, name, packed.nbytes, (Atom(kind), bits), packed.shape, back)
        return tensor_term(packed)

    def _transfer_ok(self, size: int, host: str | None) -> bool:
        if size < TRANSFER_MIN or host != shm.this_host():
            return False
        try:
            self.segments  # noqa: B018 - made here, so a host without /dev/shm uses the pipe
        except BulkError:
            return False
        return True

    def from_arrow(self, data: Any, library: str = "pandas") -> Any:
        """A table of ``library`` from an IPC stream: bytes, a uint8 array over them (a
        tensor argument), an ``:arrow`` handle's term, or the Table such a handle became."""
        if isinstance(data, dict):
            handle = handle_from_term(data) if struct_name(data) == ZERO_COPY_STRUCT else None
            if isinstance(handle, DlpackHandle):
                raise BulkError(
                    "encode_error",
                    f"a :dlpack handle is valid only inside the worker that made it "
                    f"({handle.owner}), as an argument of a call there; it holds no Arrow "
                    "stream: from_arrow/2 takes an Arrow IPC stream binary or an :arrow handle",
                )
            if not isinstance(handle, ShmHandle) or handle.kind != "arrow":
                raise BulkError(
                    "encode_error",
                    "from_arrow/2 takes an Arrow IPC stream binary or an :arrow handle",
                )
            data = shm.attach_bytes(handle, directory=self.directory)
        if arrow.is_table(data):
            return arrow.from_table(arrow.to_table(data), library)
        if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
            data = memoryview(data)  # type: ignore[arg-type]
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise BulkError(
                "encode_error",
                f"from_arrow/2 takes an Arrow IPC stream binary, not {type(data).__qualname__}",
            )
        return arrow.from_ipc(data, library)

    def share(self, value: Any, session: str, kind: ShareKind = "auto") -> dict[Any, Any]:
        """A handle other workers (``shm``/``arrow``) or this worker (``dlpack``) accept."""
        if kind == "dlpack":
            return handle_term(self.exports.export(value, session), self.node)
        if kind == "arrow" or (kind == "auto" and arrow.is_table(value)):
            handle = self.segments.share_bytes(arrow.to_ipc(value), session)
        elif kind in ("auto", "shm"):
            handle = self.segments.share(value, session)
        else:
            raise BulkError(
                "encode_error", f"share kinds are :shm, :arrow and :dlpack, not {kind!r}"
            )
        return handle_term(handle, self.node)

    # ------------------------------------------------------------------ lifetime

    def release(self, term: dict[Any, Any]) -> bool:
        handle = handle_from_term(term)
        if isinstance(handle, DlpackHandle):
            return handle.owner == self.worker_id and self.exports.release(handle.id)
        return handle.owner == self.worker_id and self.segments.release(handle.name)

    def release_session(self, session: str) -> int:
        released = self.exports.release_session(session)
        if self._segments is not None:
            released += self._segments.release_session(session)
        return released

    def close(self) -> int:
        return 0 if self._segments is None else self._segments.close()
