"""Arrays and byte streams in POSIX shared memory, named by a handle.

A worker places data in a segment under ``/dev/shm`` (what
``multiprocessing.shared_memory`` uses on Linux; segments made here open with
``SharedMemory(name=...)`` too) and hands out a :class:`ShmHandle`. Any process on the
same host maps the segment from the handle without a copy.

Lifetime, and who unlinks:

- the owner (the worker that made the segment) is the only process that unlinks it:
  on ``release``, when the session ends (``release_session``), and when the worker stops
  (``close``, from the worker's shutdown path: the pool stops it, or the BEAM dies and
  the worker reads EOF);
- a worker killed with SIGKILL cannot clean up, so every segment's name carries its
  owner's pid and process start time (``snakebridge-<pid>-<start>-<token>``), and
  :func:`sweep`, run when any worker starts, unlinks the segments whose owner is no
  longer running. The start time makes the check safe against pid reuse;
- mapping processes never unlink. An unlinked segment stays readable in every process
  that still maps it and its memory is freed when the last mapping goes.

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
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.tensors import NxType, Shape, numpy_dtype, pack

SHM_DIR = Path("/dev/shm")
PREFIX = "snakebridge"

ShmKind = Literal["shm", "arrow"]


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


@cache
def this_host() -> str:
    """Identifies this kernel instance (a reboot or another machine is another host)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:  # pragma: no cover - non-Linux
        boot = "unknown-boot"
    return f"{socket.gethostname()}/{boot}"


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, or None if none runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def owner_alive(pid: int, start: int) -> bool:
    return process_start(pid) == start


def _parse_owner(name: str, prefix: str | None = None) -> tuple[int, int] | None:
    """``(pid, start)`` from ``<prefix>-<pid>-<start>-<token>``; the prefix may hold dashes."""
    parts = name.rsplit("-", 3)
    if len(parts) != 4 or (prefix is not None and parts[0] != prefix):
        return None
    if not (parts[1].isdigit() and parts[2].isdigit() and parts[3]):
        return None
    return int(parts[1]), int(parts[2])


def sweep(prefix: str = PREFIX, directory: Path = SHM_DIR) -> list[str]:
    """Unlink the segments whose owner process no longer runs; returns their names."""
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return removed
    for name in sorted(names):
        owner = _parse_owner(name, prefix)
        if owner is None or owner_alive(*owner):
            continue
        try:
            os.unlink(directory / name)
        except (FileNotFoundError, PermissionError):
            continue  # another sweeper was first, or another user's segment
        removed.append(name)
    return removed


def segments(prefix: str = PREFIX, directory: Path = SHM_DIR) -> list[str]:
    """The names of all segments under ``prefix`` (any owner), sorted."""
    try:
        return sorted(n for n in os.listdir(directory) if _parse_owner(n, prefix) is not None)
    except FileNotFoundError:
        return []


class ShmSegments:
    """The segments one worker owns, by session."""

    def __init__(self, worker_id: str, *, prefix: str = PREFIX, directory: Path = SHM_DIR) -> None:
        if not directory.is_dir():
            raise BulkError(
                "encode_error",
                f"shared memory needs {directory} (a tmpfs, as on every Linux); it does not "
                "exist here, so hand data over with to_tensor/1 instead",
            )
        self.worker_id = worker_id
        self.prefix = prefix
        self.directory = directory
        pid = os.getpid()
        start = process_start(pid)
        self._stem = f"{prefix}-{pid}-{start if start is not None else 0}-"
        self._owned: dict[str, tuple[str, int]] = {}  # name -> (session, size)

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

    def _create(self, data: memoryview, session: str) -> str:
        name = self._stem + secrets.token_hex(16)
        path = self.directory / name
        size = data.nbytes
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if size:
                try:
                    os.posix_fallocate(fd, 0, size)
                except OSError as exc:
                    free = os.statvfs(self.directory)
                    raise BulkError(
                        "encode_error",
                        f"no room in {self.directory} for {size} bytes "
                        f"({free.f_bavail * free.f_frsize} free): {exc.strerror}; release "
                        "handles you no longer need, or enlarge /dev/shm",
                    ) from None
                with mmap.mmap(fd, size) as target:
                    target[:] = data
        except BaseException:
            os.unlink(path)
            raise
        finally:
            os.close(fd)
        self._owned[name] = (session, size)
        return name

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
        return len(names)


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
    owner = _parse_owner(handle.name)
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
