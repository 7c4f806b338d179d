"""``{:packet, 4}`` framing on the protocol file descriptors.

Writes go through one lock because the output-forwarding thread sends log frames
while the main thread sends replies; a frame must never interleave with another.
"""

from __future__ import annotations

import os
import struct
import threading

_HEADER = struct.Struct(">I")


class FrameIO:
    def __init__(self, in_fd: int, out_fd: int) -> None:
        self._reader = open(in_fd, "rb", buffering=1 << 16, closefd=False)  # noqa: SIM115 - lives with the worker
        self._out_fd = out_fd
        self._lock = threading.Lock()

    def read(self) -> bytes | None:
        """The next frame, or None once the Elixir side has closed the port."""
        header = self._reader.read(4)
        if header is None or len(header) < 4:
            return None
        (size,) = _HEADER.unpack(header)
        data = self._reader.read(size)
        if data is None or len(data) < size:
            return None
        return data

    def write(self, payload: bytes) -> None:
        header = _HEADER.pack(len(payload))
        with self._lock:
            if len(payload) < 65536:
                self._write_all(header + payload)
            else:
                # Large frames: no 10 MB concatenation, two writes instead.
                self._write_all(header)
                self._write_all(payload)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._out_fd, view)
            view = view[written:]
