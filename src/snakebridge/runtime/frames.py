"""``{:packet, 4}`` framing on the protocol file descriptors.

Writes go through one lock because the output-forwarding thread sends log frames
while the main thread sends replies; a frame must never interleave with another.
"""

from __future__ import annotations

import io
import os
import struct
import threading
from collections import deque

from snakebridge.etf import Spliced, split_point

_HEADER = struct.Struct(">I")
_pack_header_into = _HEADER.pack_into
# What a framed buffer (``write_framed``) starts with: room for the length header.
FRAME_ROOM = b"\x00\x00\x00\x00"
# The version of the frames a worker and its pool exchange (init and ready, compact calls
# and registrations, reply marks, callbacks). The worker reports it in its ready frame;
# the pool gives no call to a worker of another version. Bump it with the Elixir side's
# (SnakeBridge.Runtime.WorkerPort).
PROTOCOL = 1
# Frames from this size on are read with their large binary apart (``etf.Spliced``).
SPLICE_BYTES = 1 << 18


class FrameIO:
    def __init__(self, in_fd: int, out_fd: int) -> None:
        self._reader = io.BufferedReader(io.FileIO(in_fd, "rb", closefd=False), 1 << 16)
        self._out_fd = out_fd
        self._lock = threading.Lock()
        self._deferred: deque[bytes] = deque()

    def read(self) -> bytes | None:
        """The next frame, or None once the Elixir side has closed the port."""
        if self._deferred:
            return self._deferred.popleft()
        return self.read_pipe()

    def defer(self, frame: bytes) -> None:
        """Keep a request that arrived while a callback waited: ``read`` returns it
        (in arrival order) before anything else in the pipe."""
        self._deferred.append(frame)

    def read_pipe(self) -> bytes | None:
        """The next frame in the pipe, past any deferred one."""
        header = self._reader.read(4)
        if header is None or len(header) < 4:
            return None
        (size,) = _HEADER.unpack(header)
        if size >= SPLICE_BYTES:
            return self._read_spliced(size)
        data = self._reader.read(size)
        if data is None or len(data) < size:
            return None
        return data

    def _read_spliced(self, size: int) -> bytes | None:
        """A large frame, its large binary read into a ``bytes`` of its own (which the
        call then gets: no copy of it out of the frame) when what is buffered already
        reaches it; else whole."""
        reader = self._reader
        split = split_point(reader.peek(1), size)
        if split is None:
            data = reader.read(size)
            return data if data is not None and len(data) == size else None
        at, length = split
        head = reader.read(at)
        payload = reader.read(length)
        tail = reader.read(size - at - length)
        if head is None or payload is None or tail is None:
            return None
        if len(head) + len(payload) + len(tail) < size:
            return None
        return Spliced.make(head + tail, at, payload)

    def write(self, payload: bytes) -> None:
        self.write_parts([payload])

    def write_parts(self, parts: list[bytes | bytearray | memoryview]) -> None:
        """One frame from pieces (large binaries stay uncopied: ``os.writev``)."""
        if len(parts) == 1:
            part = parts[0]
            size = part.nbytes if type(part) is memoryview else len(part)
            if size < 65536:
                # A small frame (every trivial reply): header and body in one write.
                data = _HEADER.pack(size) + part
                with self._lock:
                    written = os.write(self._out_fd, data)
                    if written < len(data):
                        self._write_all([memoryview(data)[written:]])
                return
        size = sum(p.nbytes if isinstance(p, memoryview) else len(p) for p in parts)
        with self._lock:
            self._write_all([_HEADER.pack(size), *parts])

    def write_framed(self, parts: list[bytes | bytearray | memoryview]) -> None:
        """One frame whose first piece (a bytearray, or a writable view of one) starts
        with :data:`FRAME_ROOM`: the length goes there, so a reply the encoder built in
        one buffer leaves in one ``write`` with no copy."""
        first = parts[0]
        if len(parts) == 1:
            size = len(first) - 4
            _pack_header_into(first, 0, size)
            # acquire/release, not ``with``: the same lock held for the same span, at
            # half the cost of the context manager protocol (every reply comes here).
            lock = self._lock
            lock.acquire()
            try:
                written = os.write(self._out_fd, first)
                if written < size + 4:
                    self._write_all([memoryview(first)[written:]])
            finally:
                lock.release()
            return
        size = sum(p.nbytes if isinstance(p, memoryview) else len(p) for p in parts) - 4
        _pack_header_into(first, 0, size)
        with self._lock:
            self._write_all(parts)

    def _write_all(self, parts: list[bytes | bytearray | memoryview]) -> None:
        views = [memoryview(p).cast("B") for p in parts]
        while views:
            written = os.writev(self._out_fd, views[:1024])
            while written and views:
                first = views[0]
                if written >= len(first):
                    written -= len(first)
                    views.pop(0)
                else:
                    views[0] = first[written:]
                    written = 0
            while views and not len(views[0]):
                views.pop(0)
