"""FrameIO: a reply encoded after room for its header leaves as one well-formed frame."""

from __future__ import annotations

import os
import threading

from snakebridge.runtime.frames import FRAME_ROOM, FrameIO


def _roundtrip(parts: list[bytes | bytearray | memoryview], expected: bytes) -> None:
    read_fd, write_fd = os.pipe()
    try:
        frames = FrameIO(read_fd, write_fd)
        # The reader runs beside the writer: a frame larger than the pipe would block.
        got: list[bytes | None] = []
        reader = threading.Thread(target=lambda: got.append(frames.read()))
        reader.start()
        frames.write_framed(parts)
        reader.join()
        assert got == [expected]
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_framed_buffer_gets_its_length_in_place() -> None:
    body = b"\x83h\x02a\x01a\x02"
    _roundtrip([bytearray(FRAME_ROOM + body)], body)


def test_a_framed_reply_with_large_pieces_counts_every_piece() -> None:
    # The encoder's shape for a reply holding a large binary: a view of its buffer up to
    # the binary, the binary itself (uncopied), then the rest of the buffer.
    large = os.urandom(3 << 20)
    buffer = bytearray(FRAME_ROOM + b"\x83h\x02a\x01m" + len(large).to_bytes(4, "big") + b"j")
    view = memoryview(buffer)
    cut = len(buffer) - 1
    _roundtrip([view[:cut], large, view[cut:]], bytes(buffer[4:cut]) + large + b"j")
