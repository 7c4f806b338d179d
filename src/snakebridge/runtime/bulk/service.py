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
``from_arrow [bin, lib]``   :meth:`Bulk.from_arrow` -> the table (a ref)
``release`` of a handle     :meth:`Bulk.release`
``release_session``         :meth:`Bulk.release_session`
worker shutdown             :meth:`Bulk.close`
struct in the arguments     :meth:`Bulk.struct_in` (Tensor or ZeroCopyRef maps)
==========================  ====================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from snakebridge.etf import Binary
from snakebridge.runtime.bulk import arrow, shm
from snakebridge.runtime.bulk.dlpack import DlpackExports, DlpackHandle
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.shm import PREFIX, SHM_DIR, ShmHandle, ShmSegments
from snakebridge.runtime.bulk.tensors import pack
from snakebridge.runtime.bulk.wire import (
    TENSOR_STRUCT,
    ZERO_COPY_STRUCT,
    handle_from_term,
    handle_term,
    struct_name,
    tensor_from_term,
    tensor_term,
)

ShareKind = Literal["auto", "shm", "arrow", "dlpack"]


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
    ) -> None:
        self.worker_id = worker_id
        self.node = node
        self.directory = directory
        self.segments = ShmSegments(worker_id, prefix=prefix, directory=directory)
        self.exports = DlpackExports(worker_id)

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

    def to_tensor(self, value: Any) -> dict[Any, Any]:
        return tensor_term(pack(value))

    def column(self, table: Any, name: Any) -> dict[Any, Any]:
        return tensor_term(arrow.column(table, name))

    def to_arrow(self, table: Any) -> Binary:
        return Binary(arrow.to_ipc(table))

    def from_arrow(self, data: Any, library: str = "pandas") -> Any:
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
        return self.segments.release_session(session) + self.exports.release_session(session)

    def close(self) -> int:
        return self.segments.close()
