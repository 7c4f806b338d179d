"""User output capture: nothing user code prints can reach the protocol channel.

At startup the worker moves the protocol to duplicated file descriptors and points fd 1
and fd 2 at unnamed files in memory (``O_TMPFILE`` in /dev/shm), so Python ``print``, C
code calling ``printf`` or ``write(1, ...)``, and child processes that inherit the
descriptors all append there, in the order they wrote: they share one open file and so
one file offset, which each write advances atomically. A call that printed has its
output sent as ``{:log, level, text}`` frames before its reply, so a call's output
always reaches Logger ahead of its result, in the order it was written. A daemon thread
forwards output written while no call ends (long calls, background threads) every
:data:`FORWARD_SECONDS`.

The file offset belongs to the writers alone: the reader never moves it. Reads go
forward from a cursor to the offset, and the bytes behind the cursor are given back with
``fallocate(FALLOC_FL_PUNCH_HOLE)`` once per :data:`_FREE` bytes read, so the file holds
only unread output in memory while its offset keeps growing (a sparse file; tmpfs takes
offsets to 2**63, ext4 under the /tmp fallback to 16 TiB). Every byte of the file is
written at most once, so every byte past the offset is still zero: the end of a call
checks the byte after the cursor in a mapping of the file, two memory reads instead of a
system call, and a call that prints nothing costs the worker exactly one ``read`` and
one ``write``. The mapping is a :data:`CAPACITY` window that moves forward with the
cursor; output past it is read with ``pread``. Where the file cannot grow for a new window
(a full /dev/shm) the old one stays, and the end-of-call check asks the offset instead
(one ``lseek``) until a later move succeeds: the capture degrades, it never ends the
worker.

Why not the alternatives. Rewinding the offset to reuse the front of the file races any
writer (threads, and child processes the worker cannot pause): after the rewind writers
resume at the front while the bytes they appended during the read still have to be
copied there, and a writer that appends enough meanwhile overwrites them before the
copy. Rewinding only when nothing was appended is no way out: ``lseek`` has no
compare-and-swap, and a check before it races writers in other processes. Swapping in a
fresh file cannot reach children that hold fd 1 and 2. ``FALLOC_FL_COLLAPSE_RANGE``
shifts the data under the writers' offset (and tmpfs lacks it). A pipe drained by a
thread keeps no byte in place for a check in memory: knowing at the end of a call that
the thread has everything written before it takes a system call per call, the cost this
design exists to avoid. C stdio is made unbuffered and Python's streams write through,
so no output waits in a buffer past the end of its call.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import mmap
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable

SendLog = Callable[[str, str], None]

# Size of the mapped window over each output file; output beyond it is read with pread.
CAPACITY = 1 << 20
FORWARD_SECONDS = 0.05
_MAX_PARTIAL = 8192
# Bytes read before their pages are given back (one fallocate per this much output).
_FREE = 1 << 16
_PAGE = mmap.PAGESIZE
_IONBF = 2
_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
# pread returns at most this much at once on Linux.
_READ_MAX = 0x7FFFF000


def _unbuffer_c_stdio() -> None:
    """C ``printf`` output must reach fd 1 at once, not when a buffer fills."""
    try:
        libc = ctypes.CDLL(None)
        setvbuf = libc.setvbuf
        setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
        for name in ("stdout", "stderr"):
            setvbuf(ctypes.c_void_p.in_dll(libc, name), None, _IONBF, 0)
    except (OSError, AttributeError, ValueError):  # pragma: no cover - not glibc
        pass


def _libc_fallocate() -> Callable[[int, int, int, int], int]:
    libc = ctypes.CDLL(None, use_errno=True)
    function = getattr(libc, "fallocate64", None) or libc.fallocate
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int
    return function


_fallocate_call = _libc_fallocate()


def _fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    """``fallocate(2)`` itself: glibc's ``posix_fallocate`` may emulate it by writing
    zeros, which would overwrite output a writer put there."""
    if _fallocate_call(fd, mode, offset, length) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _anonymous_file() -> int:
    """An unnamed file in memory. Not a memfd: the kernel keeps a memfd's file offset
    without the lock a regular file's takes, so two writers sharing it could land on
    the same bytes; a regular file's offset advances atomically with each write."""
    for folder in ("/dev/shm", tempfile.gettempdir()):
        try:
            return os.open(folder, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
        except OSError:
            continue
    raise OSError("no folder accepts an unnamed temporary file (O_TMPFILE) for user output")


class _Sink:
    """One captured descriptor: a memory file, a mapped window over it from ``base``,
    the read cursor and the partial line held."""

    def __init__(self, target_fd: int, level: str) -> None:
        self.level = level
        self.fd = _anonymous_file()
        self.start = 0  # where the next read begins
        self.freed = 0  # the pages before this offset were given back
        self.base = 0
        self.map = self._window(0)
        self.here = 0  # start - base: the index of the byte after the last read
        # fd 1 (or 2) and self.fd now share one file offset: where the next write lands.
        os.dup2(self.fd, target_fd)
        self.partial = b""

    def _window(self, base: int) -> mmap.mmap:
        # The window must lie inside the file. fallocate only ever grows the file and keeps
        # what is there, so a writer that already wrote past the window loses nothing (a
        # truncate could cut it off); it holds one zeroed page until a writer gets there.
        _fallocate(self.fd, 0, base + CAPACITY - 1, 1)
        return mmap.mmap(self.fd, CAPACITY, offset=base)

    def written(self) -> int:
        """Bytes written since the last read."""
        return os.lseek(self.fd, 0, os.SEEK_CUR) - self.start

    def fresh(self) -> bool:
        """Whether the byte after the last read is set: two memory reads, no syscall."""
        return self.map[self.here] != 0

    def _written(self) -> bool:
        return self.written() != 0

    def take(self) -> bytes:
        """Everything written since the last read."""
        end = os.lseek(self.fd, 0, os.SEEK_CUR)
        if end == self.start:
            return b""
        stop = end - self.base
        data = self.map[self.here : stop] if stop <= CAPACITY else self._past_window(end)
        self.start = end
        if stop >= CAPACITY // 2 or end - self.freed >= _FREE:
            self._release(end)
        else:
            self.here = stop
        return data

    def _past_window(self, end: int) -> bytes:
        """A burst that runs past the mapped window: the rest comes from pread."""
        data = self.map[self.here :]
        at = max(self.start, self.base + CAPACITY)
        while at < end:
            chunk = os.pread(self.fd, min(end - at, _READ_MAX), at)
            if not chunk:  # pragma: no cover - the offset never passes the file's end
                break
            data += chunk
            at += len(chunk)
        return data

    def _release(self, end: int) -> None:
        """Give back the pages read so far and move the window up to the cursor. Only
        bytes before `end` are touched, and writers only ever write past it."""
        upto = end // _PAGE * _PAGE
        if end - self.freed >= _FREE:
            mode = _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE
            # A file system without hole punching (the /tmp fallback on some): the read
            # pages stay; the capture must not end the worker over it.
            with contextlib.suppress(OSError):
                _fallocate(self.fd, mode, self.freed, upto - self.freed)
            self.freed = upto
        if end - self.base >= CAPACITY // 2:
            try:
                window = self._window(upto)
            except OSError:
                # No room to extend the file (a full /dev/shm): the old window stays,
                # reads past it use pread and the end-of-call check asks the offset
                # (a system call) until a later move succeeds.
                self.fresh = self._written  # type: ignore[method-assign]
            else:
                old, self.map = self.map, window
                old.close()
                self.base = upto
                self.__dict__.pop("fresh", None)
        self.here = end - self.base


class OutputCapture:
    """Owns fds 1 and 2 after :meth:`install`; forwards their bytes as log frames."""

    def __init__(self, send_log: SendLog) -> None:
        self._send_log = send_log
        self._lock = threading.Lock()
        self._sinks: list[_Sink] = []
        self._pending = False  # a partial line held back

    def install(self) -> None:
        _unbuffer_c_stdio()
        self._sinks = [_Sink(1, "info"), _Sink(2, "warning")]
        # Write-through text streams keep no partial line of their own, so nothing is
        # left to flush when a call ends.
        sys.stdout = _text_stream(1)
        sys.stderr = _text_stream(2)
        thread = threading.Thread(target=self._forward, name="snakebridge-output", daemon=True)
        thread.start()

    def drain(self) -> None:
        """Send everything written so far, partial lines included (end of a call)."""
        out, err = self._sinks
        # Nothing written and no forwarder send in progress (checked in that order: a
        # send that took the bytes before the first check still holds the lock at the
        # second): nothing of the call's can come after its reply, so no lock is taken.
        if not (out.fresh() or err.fresh() or self._pending or self._lock.locked()):
            return
        # The lock also waits for a forwarder send in progress, so a call's output is
        # always framed before its reply.
        with self._lock:
            if out.fresh() or err.fresh() or self._pending:
                for sink in self._sinks:
                    self._send(sink, sink.take(), final=True)

    def _forward(self) -> None:
        while True:
            time.sleep(FORWARD_SECONDS)
            # The offset, not the first byte: output that starts with a NUL counts too.
            if any(sink.written() for sink in self._sinks):
                with self._lock:
                    for sink in self._sinks:
                        self._send(sink, sink.take(), final=False)

    def _send(self, sink: _Sink, chunk: bytes, final: bool) -> None:
        data = sink.partial + chunk
        if not data:
            return
        if final or len(data) > _MAX_PARTIAL:
            complete, rest = data, b""
        else:
            cut = data.rfind(b"\n") + 1
            complete, rest = data[:cut], data[cut:]
        sink.partial = rest
        self._pending = any(s.partial for s in self._sinks)
        if complete:
            text = complete.decode("utf-8", "replace")
            self._send_log(sink.level, text.removesuffix("\n"))


def _text_stream(fd: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False),
        encoding="utf-8",
        errors="replace",
        write_through=True,
    )
