"""User output capture: nothing user code prints can reach the protocol channel.

At startup the worker moves the protocol to duplicated file descriptors and points
fd 1 and fd 2 at unnamed files in memory (``O_TMPFILE`` in /dev/shm), so Python
``print``, C code calling ``printf`` or ``write(1, ...)``, and child processes that
inherit the descriptors all append there, in the order they wrote. Each file is also
mapped into the worker, and the byte after the last read tells whether anything was
written since: the end of a call checks two bytes in memory instead of making a system
call, so a call that prints nothing costs the worker exactly one ``read`` and one
``write``. A call that printed has its output sent as ``{:log, level, text}`` frames
before its reply, so a call's output always reaches Logger ahead of its result, in the
order it was written. A daemon thread forwards output written while no call ends (long
calls, background threads) every :data:`FORWARD_SECONDS`.

Reads go forward from a cursor; once past a threshold the file is started over by
rewinding the shared file offset (``lseek(fd, -n, SEEK_CUR)``, atomic with respect to
the writers' own offset updates), so it stays small; bytes that a concurrent writer
appended meanwhile are moved to the front and read next time. C stdio is made
unbuffered and Python's streams write through, so no output waits in a buffer past the
end of its call.
"""

from __future__ import annotations

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

# Mapped size of each output file; output beyond it in one burst is read with pread.
CAPACITY = 1 << 20
FORWARD_SECONDS = 0.05
_MAX_PARTIAL = 8192
# Bytes read before the file is started over (see _Sink._rewind).
_REWIND = 1 << 16
_PAGE = mmap.PAGESIZE
_IONBF = 2


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


def _anonymous_file() -> int:
    """An unnamed file in memory. Not a memfd: the kernel keeps the file offset of a
    memfd without its lock, so a write racing the reader's rewind could undo it; a
    regular file's offset is updated atomically with each write."""
    for folder in ("/dev/shm", tempfile.gettempdir()):
        try:
            return os.open(folder, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
        except OSError:
            continue
    raise OSError("no folder accepts an unnamed temporary file (O_TMPFILE) for user output")


class _Sink:
    """One captured descriptor: a memory file, its mapping and the partial line held."""

    def __init__(self, target_fd: int, level: str) -> None:
        self.level = level
        self.fd = _anonymous_file()
        os.ftruncate(self.fd, CAPACITY)
        self.map = mmap.mmap(self.fd, CAPACITY)
        # fd 1 (or 2) and self.fd now share one file offset: where the next write lands.
        os.dup2(self.fd, target_fd)
        self.partial = b""
        self.start = 0  # where the next read begins

    def written(self) -> int:
        """Bytes written since the last read."""
        return os.lseek(self.fd, 0, os.SEEK_CUR) - self.start

    def fresh(self) -> bool:
        """Whether the byte after the last read is set: two memory reads, no syscall."""
        return self.map[self.start] != 0

    def take(self) -> bytes:
        """Everything written since the last read."""
        start = self.start
        end = os.lseek(self.fd, 0, os.SEEK_CUR)
        if end == start:
            return b""
        data = self.map[start : min(end, CAPACITY)]
        if end > CAPACITY:
            data += os.pread(self.fd, end - CAPACITY, CAPACITY)
        self.start = end
        if end >= _REWIND:
            self._rewind(end)
        return data

    def _rewind(self, end: int) -> None:
        """Start the file over, so it stays small. Writers resume at the offset the rewind
        leaves, so bytes appended during a read must be moved to the front before new
        writes reach them; reading a cursor and rewinding only past _REWIND bytes makes
        that window rare (once per _REWIND bytes of output, not once per call) and
        needs a writer to append most of _REWIND bytes within it to lose anything."""
        # Zero what was read while no writer can touch [0, end), so the byte after the
        # next read's start says "written" only when it was: whole pages are given back.
        pages = min(end, CAPACITY) // _PAGE * _PAGE
        if pages:
            self.map.madvise(mmap.MADV_REMOVE, 0, pages)
        tail = min(end, CAPACITY) - pages
        if tail:
            self.map[pages : pages + tail] = bytes(tail)
        raced = os.lseek(self.fd, -end, os.SEEK_CUR)
        if raced:
            # A writer appended while this read ran: its bytes sit right after `end`
            # and become the start of the next read (writers go on from `raced`).
            os.pwrite(self.fd, os.pread(self.fd, raced, end), 0)
        self.start = 0


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
