"""Arrays and byte streams in POSIX shared memory, named by a handle.

A worker places data in a segment under ``/dev/shm`` (what
``multiprocessing.shared_memory`` uses on Linux; segments made here open with
``SharedMemory(name=...)`` too) and hands out a :class:`ShmHandle`. Any process on the
same host maps the segment from the handle without a copy.

Lifetime, and who unlinks (:mod:`.lifetime`): the owner (the worker that made the
segment) unlinks it on ``release``, when its session ends and when the worker closes; a
reaper process unlinks what is left when the owner dies any other way (SIGKILL
included), and :func:`sweep` at worker start is the backstop. Mapping processes never
unlink: an unlinked segment stays readable in every process that still maps it, and its
memory is freed when the last mapping goes.

Why not ``SharedMemory`` objects themselves: on Python 3.11 and 3.12 every
``SharedMemory``, including one that only attaches, registers with a resource-tracker
process that unlinks the segment when *that* process exits (so a reader's exit would
destroy the owner's data, with a "leaked shared_memory" warning), and an attached
``SharedMemory`` cannot be closed while numpy arrays view it. Mapping the segment's
file with :mod:`mmap` gives the mapping the lifetime of the arrays that use it, and
leaves unlinking to the owner alone.

Space is reserved with ``posix_fallocate`` before anything is written: writing into a
sparse tmpfs mapping when ``/dev/shm`` is full raises SIGBUS, which would kill the worker.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.lifetime import (
    PREFIX,
    SEGMENT_NAME,
    SHM_DIR,
    Guard,
    Reaper,
    owner_alive,
    parse_owner,
    placed_path,
    process_start,
    segments,
    stem,
    sweep,
    this_host,
)
from snakebridge.runtime.bulk.tensors import NxType, Shape, numpy_dtype, pack

ShmKind = Literal["shm", "arrow"]

# The owner of segments that the BEAM places (SnakeBridge.Bulk.Segments); a worker id
# names any other owner.
ELIXIR_OWNER = "elixir"

# Seconds an unread transfer segment may wait for its reader.
TRANSFER_TTL = 300.0
# The largest transfer segment a worker keeps mapped for reuse.
SLOT_MAX = 256 << 20

__all__ = [
    "ELIXIR_OWNER",
    "PREFIX",
    "SHM_DIR",
    "ShmHandle",
    "ShmSegments",
    "attach",
    "attach_bytes",
    "map_segment",
    "owner_alive",
    "process_start",
    "segments",
    "sweep",
    "this_host",
]


@dataclass(frozen=True, slots=True)
class ShmHandle:
    """Names one segment: what it holds (an array, or an Arrow IPC stream) and whose it is."""

    kind: ShmKind
    name: str
    size: int
    type: NxType | None
    shape: Shape | None
    owner: str
    session: str
    host: str


class ShmSegments:
    """The segments one worker owns, by session."""

    def __init__(
        self,
        worker_id: str,
        *,
        prefix: str = PREFIX,
        directory: Path = SHM_DIR,
        guard: Guard | None = None,
    ) -> None:
        if not directory.is_dir():
            raise BulkError(
                "encode_error",
                f"shared memory needs {directory} (a tmpfs, as on every Linux); it does not "
                "exist here, so hand data over with to_tensor/1 instead",
            )
        self.worker_id = worker_id
        self.prefix = prefix
        self.directory = directory
        self._stem = stem(prefix)
        self._guard = guard
        self._reaper: Reaper | None = None
        self._owned: dict[str, tuple[str, int]] = {}  # name -> (session, size)
        # One-shot segments a reader on this host unlinks once it has read them
        # (large replies to the BEAM); name -> when made, to drop the unread ones.
        self._transfers: dict[str, float] = {}
        self._slot: _Slot | None = None

    def __len__(self) -> int:
        return len(self._owned)

    @property
    def nbytes(self) -> int:
        return sum(size for _session, size in self._owned.values())

    def share(self, value: Any, session: str) -> ShmHandle:
        """Copy an array (anything :func:`~.tensors.pack` takes) into a new segment, once."""
        packed = pack(value)
        name = self._create(packed.data, session)
        return ShmHandle(
            "shm",
            name,
            packed.nbytes,
            packed.type,
            packed.shape,
            self.worker_id,
            session,
            this_host(),
        )

    def share_bytes(self, data: bytes | bytearray | memoryview, session: str) -> ShmHandle:
        """Place an Arrow IPC stream in a new segment."""
        view = memoryview(data).cast("B")
        name = self._create(view, session)
        return ShmHandle(
            "arrow", name, view.nbytes, None, None, self.worker_id, session, this_host()
        )

    def transfer(self, data: memoryview) -> tuple[str, str | None]:
        """A segment holding ``data`` for one reader on this host: ``(name, back)``.

        Fresh tmpfs pages cost about ten times a memcpy to fill, so the worker keeps one
        segment (the slot, at most ``SLOT_MAX`` bytes) mapped and fills it again for each
        transfer. The slot is lent by renaming it to a fresh ``name``; the reader reads
        ``data.nbytes`` bytes (the slot may be larger), then renames it back to ``back``,
        which hands it back. While it is lent, or for data larger than ``SLOT_MAX``, the
        transfer gets a one-shot segment and ``back`` is None: the reader unlinks it.
        A reader that never comes (its process died first) leaves its segment to
        :meth:`_prune`, after ``TRANSFER_TTL`` seconds, or to the reaper.
        """
        self._prune()
        size = data.nbytes
        slot = self._slot
        if size <= SLOT_MAX and (slot is None or slot.free(self.directory)):
            if slot is None or slot.capacity < size:
                if slot is not None:
                    slot.drop(self.directory)
                slot = self._slot = _Slot.make(self, size)
            slot.mapping[:size] = data
            name = self._stem + secrets.token_hex(16)
            os.rename(self.directory / slot.name, self.directory / name)
            self._transfers[name] = time.monotonic()
            slot.lent = name
            return name, slot.name
        name = self._write(data)
        self._transfers[name] = time.monotonic()
        return name, None

    def _prune(self) -> None:
        now = time.monotonic()
        for name, made in list(self._transfers.items()):
            path = self.directory / name
            if now - made > TRANSFER_TTL:
                _unlink(path)
                if self._slot is not None and self._slot.lent == name:
                    self._slot.mapping.close()  # never handed back: a new one next time
                    self._slot = None
            elif path.exists():
                continue
            del self._transfers[name]

    @property
    def reaper_pid(self) -> int | None:
        return None if self._reaper is None else self._reaper.pid

    def _create(self, data: memoryview, session: str) -> str:
        name = self._write(data)
        self._owned[name] = (session, data.nbytes)
        return name

    def _write(self, data: memoryview) -> str:
        name, fd = self._open(data.nbytes)
        try:
            if data.nbytes:
                with mmap.mmap(fd, data.nbytes) as target:
                    target[:] = data
        except BaseException:
            os.unlink(self.directory / name)
            raise
        finally:
            os.close(fd)
        return name

    def _open(self, size: int) -> tuple[str, int]:
        """A new segment of ``size`` bytes, its space reserved: its name and an open fd."""
        if self._reaper is None:
            self._reaper = Reaper(self.directory, self._stem, self._guard)
        name = self._stem + secrets.token_hex(16)
        path = self.directory / name
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        if size:
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as exc:
                os.close(fd)
                os.unlink(path)
                free = os.statvfs(self.directory)
                raise BulkError(
                    "encode_error",
                    f"no room in {self.directory} for {size} bytes "
                    f"({free.f_bavail * free.f_frsize} free): {exc.strerror}; release "
                    "handles you no longer need, or enlarge /dev/shm",
                ) from None
        return name, fd

    def release(self, name: str) -> bool:
        if self._owned.pop(name, None) is None:
            return False
        _unlink(self.directory / name)
        return True

    def release_session(self, session: str) -> int:
        names = [n for n, (s, _size) in self._owned.items() if s == session]
        for name in names:
            self.release(name)
        return len(names)

    def close(self) -> int:
        """Unlink every segment this worker owns (its shutdown path)."""
        names = list(self._owned)
        for name in names:
            self.release(name)
        for name in self._transfers:
            _unlink(self.directory / name)
        self._transfers.clear()
        if self._slot is not None:
            self._slot.drop(self.directory)
            self._slot = None
        if self._reaper is not None:
            self._reaper.close()
            self._reaper = None
        return len(names)


@dataclass(slots=True)
class _Slot:
    """The transfer segment a worker reuses: ``name`` while it is not lent."""

    name: str
    capacity: int
    mapping: mmap.mmap
    lent: str | None = None

    @classmethod
    def make(cls, segments: ShmSegments, size: int) -> _Slot:
        # Whole MiBs: a slightly larger transfer next time reuses the same pages.
        capacity = max(-(-size // (1 << 20)) << 20, 1 << 20)
        name, fd = segments._open(capacity)
        try:
            mapping = mmap.mmap(fd, capacity)
        except BaseException:
            os.unlink(segments.directory / name)
            raise
        finally:
            os.close(fd)
        return cls(name, capacity, mapping)

    def free(self, directory: Path) -> bool:
        """Whether the last reader handed it back (renamed it to ``name``)."""
        return (directory / self.name).exists()

    def drop(self, directory: Path) -> None:
        self.mapping.close()
        _unlink(directory / self.name)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # swept already, or removed by hand
        os.unlink(path)


def map_segment(
    handle: ShmHandle, *, writable: bool = False, directory: Path = SHM_DIR
) -> mmap.mmap:
    """Map the segment a handle names (read-only, or copy-on-write when ``writable``)."""
    if handle.host != this_host():
        raise BulkError(
            "ref_lost",
            f"shared memory handle {handle.name} was made on host {handle.host}, and shared "
            "memory does not cross machines; bring the data over with to_tensor/1 (arrays) "
            "or to_arrow/1 (tables) instead",
        )
    if not SEGMENT_NAME.fullmatch(handle.name):
        raise BulkError(
            "encode_error",
            f"{handle.name!r} is not a shared memory segment name; pass the handle you got "
            "back unchanged",
        )
    if handle.owner == ELIXIR_OWNER:
        path = placed_path(handle.name, directory)
    else:
        path = directory / handle.name
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise BulkError("ref_lost", _lost_message(handle)) from None
    try:
        size = os.fstat(fd).st_size
        if size != handle.size:
            raise BulkError(
                "ref_lost",
                f"shared memory segment {handle.name} holds {size} bytes but its handle says "
                f"{handle.size}: the handle was altered, or its name was reused",
            )
        if size == 0:
            # mmap cannot map zero bytes; an anonymous one-byte map stands in.
            return mmap.mmap(-1, 1)
        access = mmap.ACCESS_COPY if writable else mmap.ACCESS_READ
        return mmap.mmap(fd, size, access=access)
    finally:
        os.close(fd)


def _lost_message(handle: ShmHandle) -> str:
    label = f"shared memory handle {handle.name[-8:]}... ({handle.kind})"
    if handle.owner == ELIXIR_OWNER:
        return (
            f"{label} was placed by Elixir and removed since (release/1, the end of the "
            "call it was sent with, or the exit of the process that shared it); share the "
            "tensor again"
        )
    owner = parse_owner(handle.name)
    if owner is not None and not owner_alive(*owner):
        return (
            f"{label} belonged to worker {handle.owner}, which has stopped (it crashed, timed "
            "out or its pool stopped); shared memory lives only as long as its worker, so "
            "share the array again"
        )
    return (
        f"{label} was released (release/1, or its session ended) and can no longer be "
        "used; share the array again"
    )


def attach(
    handle: ShmHandle, *, writable: bool = False, directory: Path = SHM_DIR
) -> npt.NDArray[Any]:
    """The array a ``shm`` handle names, mapped without a copy.

    Read-only by default. ``writable=True`` maps it copy-on-write: the array is writable,
    pages are copied only when written, and the owner's data never changes.
    """
    if handle.kind != "shm" or handle.type is None or handle.shape is None:
        raise BulkError(
            "encode_error",
            f"handle {handle.name} holds an Arrow stream, not an array; pass it to from_arrow/2",
        )
    dtype = numpy_dtype(handle.type)
    mapped = map_segment(handle, writable=writable, directory=directory)
    count = handle.size // dtype.itemsize
    array = np.frombuffer(mapped, dtype=dtype, count=count).reshape(handle.shape)
    if not writable:
        array.flags.writeable = False
    return array


def attach_bytes(handle: ShmHandle, *, directory: Path = SHM_DIR) -> memoryview:
    """The bytes an ``arrow`` handle names, mapped read-only without a copy."""
    mapped = map_segment(handle, directory=directory)
    return memoryview(mapped)[: handle.size]
