"""FrameIO: a reply encoded after room for its header leaves as one well-formed frame."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakebridge import etf
from snakebridge.etf import Atom, DecodeError, Spliced
from snakebridge.runtime.allowlist import Allowlist
from snakebridge.runtime.frames import FRAME_ROOM, SPLICE_BYTES, FrameIO
from snakebridge.runtime.store import RefStore
from snakebridge.runtime.values import BYTES_STRUCT, Codec


def _whole(frame: bytes | None) -> bytes | None:
    """The frame's bytes as sent (a spliced frame holds its payload apart)."""
    if type(frame) is Spliced:
        return frame[: frame.at] + frame.payload + frame[frame.at :]
    return frame


def _through_pipe(frame: bytes) -> bytes | None:
    read_fd, write_fd = os.pipe()
    try:
        frames = FrameIO(read_fd, write_fd)
        got: list[bytes | None] = []
        reader = threading.Thread(target=lambda: got.append(frames.read()))
        reader.start()
        frames.write(frame)
        reader.join()
        return got[0]
    finally:
        os.close(read_fd)
        os.close(write_fd)


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
        assert [_whole(frame) for frame in got] == [expected]
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


_LARGE = SPLICE_BYTES + 17
_small = st.recursive(
    st.integers(-(2**40), 2**40) | st.text(max_size=8) | st.binary(max_size=8) | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None)
@given(
    before=_small,
    after=_small,
    text=st.booleans(),
    second=st.sampled_from([0, 10, SPLICE_BYTES // 4]),
)
def test_a_large_binary_is_read_apart_and_decodes_in_place(
    before: Any, after: Any, text: bool, second: int
) -> None:
    # Terms around the large binary, before and after it; a second binary smaller than
    # half the frame stays in it; a UTF-8 payload decodes to text as usual.
    payload = b"a" * _LARGE if text else os.urandom(_LARGE)
    term = (before, [payload, {Atom("k"): b"\xff" * second}], after)
    frame = etf.encode(term)
    got = _through_pipe(frame)
    assert type(got) is Spliced and len(got.payload) == _LARGE
    assert _whole(got) == frame
    assert etf.decode(got) == etf.decode(frame)


def test_a_frame_whose_large_binary_is_under_half_is_read_whole() -> None:
    frame = etf.encode([os.urandom(SPLICE_BYTES // 2), os.urandom(SPLICE_BYTES // 2 + 9)])
    got = _through_pipe(frame)
    assert type(got) is bytes and got == frame


def test_a_bytes_argument_is_the_payload_itself() -> None:
    codec = Codec(RefStore(), Allowlist({"operator": "operator"}), "w", "default")
    blob = os.urandom(_LARGE)
    wrapped = {Atom("__struct__"): BYTES_STRUCT, Atom("data"): etf.Binary(blob),
               Atom("dtype"): None, Atom("shape"): None}  # fmt: skip
    got = _through_pipe(etf.encode((7, 3, [wrapped], {}, "", None)))
    assert type(got) is Spliced
    request_id, (_, args, _, _, _) = codec.decode_request(got)
    assert request_id == 7
    assert args[0] is got.payload and args[0] == blob


def test_only_the_spliced_position_takes_the_payload() -> None:
    # A binary running past the end anywhere else is as malformed as in any frame.
    frame = etf.encode(["x" * 40, b"\xff" * 9])
    truncated = frame[:-4]
    with pytest.raises(DecodeError, match="past the end"):
        etf.decode(truncated)
    with pytest.raises(DecodeError, match="past the end"):
        etf.decode(Spliced.make(truncated, 3, b"\xff" * 9))
