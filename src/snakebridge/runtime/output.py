"""User output capture: nothing user code prints can reach the protocol channel.

At startup the worker moves the protocol to duplicated file descriptors and points
fd 1 and fd 2 at unnamed files in memory (``O_TMPFILE`` in /dev/shm), so Python
``print``, C code calling ``printf`` or ``write(1, ...)``, and child processes that
inherit the descriptors all append there, in the order they wrote. Each file is also
mapped into the worker, and its first byte tells whether anything was written since it
was last read: the end of a call checks two bytes in memory instead of making a system
call, so a call that prints nothing costs the worker exactly one ``read`` and one
``write``. A call that printed has its output sent as ``{:log, level, text}`` frames
before its reply, so a call's output always reaches Logger ahead of its result, in the
order it was written. A daemon thread forwards output written while no call ends (long
calls, background threads) every :data:`FORWARD_SECONDS`.

Reading rewinds the shared file offset by the amount read (``lseek(fd, -n,
SEEK_CUR)``, atomic with respect to the writers' own offset updates), so the files
stay small; bytes that a concurrent writer appended meanwhile are moved to the front
and read next time. C stdio is made unbuffered and Python's streams write through, so
no output waits in a buffer past the end of its call.
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

    def written(self) -> int:
        return os.lseek(self.fd, 0, os.SEEK_CUR)

    def take(self) -> bytes:
        """Everything written so far; the file is rewound for the next writes."""
        end = self.written()
        if not end:
            return b""
        data = self.map[: min(end, CAPACITY)]
        if end > CAPACITY:
            data += os.pread(self.fd, end - CAPACITY, CAPACITY)
        # Only the first byte says "written since the last read": clear it while the
        # offset is still past it (no writer can touch [0, end) now), and give big
        # bursts' pages back.
        self.map[0] = 0
        if end > 16 * _PAGE:
            self.map.madvise(mmap.MADV_REMOVE, _PAGE, min(end, CAPACITY) // _PAGE * _PAGE - _PAGE)
        raced = os.lseek(self.fd, -end, os.SEEK_CUR)
        if raced:
            # A writer appended while this read ran: its bytes sit right after `end`
            # and become the start of the next read (writers go on from `raced`).
            os.pwrite(self.fd, os.pread(self.fd, raced, end), 0)
        return data


class OutputCapture:
    """Owns fds 1 and 2 after :meth:`install`; forwards their bytes as log frames."""

    def __init__(self, send_log: SendLog) -> None:
        self._send_log = send_log
        self._lock = threading.Lock()
        self._sinks: list[_Sink] = []
        self._maps: tuple[mmap.mmap, ...] = ()
        self._pending = False  # a partial line held back

    def install(self) -> None:
        _unbuffer_c_stdio()
        self._sinks = [_Sink(1, "info"), _Sink(2, "warning")]
        self._maps = tuple(sink.map for sink in self._sinks)
        # Write-through text streams keep no partial line of their own, so nothing is
        # left to flush when a call ends.
        sys.stdout = _text_stream(1)
        sys.stderr = _text_stream(2)
        thread = threading.Thread(target=self._forward, name="snakebridge-output", daemon=True)
        thread.start()

    def drain(self) -> None:
        """Send everything written so far, partial lines included (end of a call)."""
        out, err = self._maps
        # Nothing written and no forwarder send in progress (checked in that order: a
        # send that took the bytes before the first check still holds the lock at the
        # second): nothing of the call's can come after its reply, so no lock is taken.
        if not (out[0] or err[0] or self._pending or self._lock.locked()):
            return
        # The lock also waits for a forwarder send in progress, so a call's output is
        # always framed before its reply.
        with self._lock:
            if out[0] or err[0] or self._pending:
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
