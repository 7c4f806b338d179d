"""User output capture: nothing user code prints can reach the protocol channel.

At startup the worker moves the protocol to duplicated file descriptors and points
fd 1 and fd 2 at pipes, so Python ``print`` and C code calling ``printf`` /
``write(1, ...)`` alike land in a pipe. A daemon thread forwards complete lines as
``{:log, level, text}`` frames while a call runs; at the end of each call the main
thread drains what is left (and flushes C stdio buffers) *before* sending the reply,
so a call's output always reaches Logger ahead of its result.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import io
import os
import select
import sys
import threading
from collections.abc import Callable

SendLog = Callable[[str, str], None]

_MAX_PARTIAL = 8192


def _libc_fflush() -> Callable[[], None]:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        fflush = libc.fflush
        fflush.argtypes = [ctypes.c_void_p]
        return lambda: fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - exotic platforms
        return lambda: None


class OutputCapture:
    """Owns fds 1 and 2 after :meth:`install`; forwards their bytes as log frames."""

    def __init__(self, send_log: SendLog) -> None:
        self._send_log = send_log
        self._lock = threading.Lock()
        self._pipes: dict[int, str] = {}
        self._partial: dict[int, bytes] = {}
        self._pending = False  # any partial line held back
        self._fflush = _libc_fflush()

    def install(self) -> None:
        for fd, level in ((1, "info"), (2, "warning")):
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)
            os.close(write_end)
            flags = fcntl.fcntl(read_end, fcntl.F_GETFL)
            fcntl.fcntl(read_end, fcntl.F_SETFL, flags | os.O_NONBLOCK)
            self._pipes[read_end] = level
            self._partial[read_end] = b""
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False),
            encoding="utf-8",
            errors="replace",
            line_buffering=True,
        )
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False),
            encoding="utf-8",
            errors="replace",
            line_buffering=True,
        )
        self._poll = select.poll()
        for fd in self._pipes:
            self._poll.register(fd, select.POLLIN)
        thread = threading.Thread(target=self._forward, name="snakebridge-output", daemon=True)
        thread.start()

    def drain(self) -> None:
        """Send everything written so far, partial lines included (end of a call)."""
        try:  # not contextlib.suppress: this runs after every call
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        self._fflush()
        # The lock also waits for a forwarder send in progress, so a call's output is
        # always framed before its reply. One poll syscall tells whether anything is
        # pending; the common case (no output) then costs no reads and no exceptions.
        with self._lock:
            if not self._poll.poll(0) and not self._pending:
                return
            for fd in self._pipes:
                self._read_available(fd, final=True)

    def _forward(self) -> None:
        fds = list(self._pipes)
        while True:
            try:
                ready, _, _ = select.select(fds, [], [])
            except OSError:  # pragma: no cover - fds closed at exit
                return
            with self._lock:
                for fd in ready:
                    self._read_available(fd, final=False)

    def _read_available(self, fd: int, final: bool) -> None:
        data = self._partial[fd]
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        if not data:
            return
        if final or len(data) > _MAX_PARTIAL:
            complete, rest = data, b""
        else:
            cut = data.rfind(b"\n") + 1
            complete, rest = data[:cut], data[cut:]
        self._partial[fd] = rest
        self._pending = any(self._partial.values())
        if complete:
            text = complete.decode("utf-8", "replace")
            self._send_log(self._pipes[fd], text.removesuffix("\n"))
