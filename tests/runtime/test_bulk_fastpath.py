"""The worker's bulk fast paths (a spliced compact call of ``%SnakeBridge.Bytes{}``
arguments read in one pass, a bytes result encoded as a constant prefix and the data)
give the very bytes the general paths give, and are refused exactly as they are."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakebridge import etf
from snakebridge.etf import Atom, Spliced
from snakebridge.runtime import callbacks
from snakebridge.runtime.frames import SPLICE_BYTES
from snakebridge.runtime.worker import _OK_HEAD, Worker, _reply_head

from .conftest import HOSTILE_PYTHON, REF, refused
from .conftest import Worker as Process

BYTES = Atom("Elixir.SnakeBridge.Bytes")
# OTP 25's term_to_binary({5, 41, [%SnakeBridge.Bytes{data: <<1, 2, 255>>}], %{}, "s",
# nil}) (atoms as ATOM_EXT); OTP 26 on writes SMALL_ATOM_UTF8_EXT (``elixir_frame``).
OTP25_FRAME = (
    b"\x83h\x06a\x05a)l\x00\x00\x00\x01t\x00\x00\x00\x04d\x00\n__struct__"
    b"d\x00\x18Elixir.SnakeBridge.Bytesd\x00\x04datam\x00\x00\x00\x03\x01\x02\xff"
    b"d\x00\x05dtyped\x00\x03nild\x00\x05shaped\x00\x03nil"
    b"jt\x00\x00\x00\x00m\x00\x00\x00\x01sd\x00\x03nil"
)


class Recorder:
    """The worker's frame writer, keeping each frame's bytes (without the length)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, payload: bytes) -> None:
        self.frames.append(bytes(payload))

    def write_parts(self, parts: list[bytes | bytearray | memoryview]) -> None:
        self.frames.append(b"".join(bytes(p) for p in parts))

    def write_framed(self, parts: list[bytes | bytearray | memoryview]) -> None:
        self.frames.append(b"".join(bytes(p) for p in parts)[4:])


class NoCapture:
    def drain(self) -> None:
        pass


def descriptor(function: str, library: str = "sbresults") -> dict[Atom, Any]:
    return {
        Atom("call_type"): Atom("call"),
        Atom("library"): library,
        Atom("python_module"): library,
        Atom("function"): function,
        Atom("ledger"): False,
    }


FUNCTIONS = ["first", "joined", "as_bytearray", "as_memoryview", "sizes", "with_object", "fail"]


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(HOSTILE_PYTHON))
        # The worker makes itself the process's callback bridge; this process has none.
        patch.setattr(callbacks, "_bridge", None)
        config = {"worker_id": "w", "libraries": {"sbresults": "sbresults"}}
        w = Worker(config, Recorder(), NoCapture())  # type: ignore[arg-type]
        for index, name in enumerate(FUNCTIONS):
            w.descriptors[index] = w.dispatcher.describe(descriptor(name))
        yield w


def elixir_bytes(data: bytes) -> dict[Atom, Any]:
    # The keys in term_to_binary's order for a small map.
    return {
        Atom("__struct__"): BYTES,
        Atom("data"): etf.Binary(data),
        Atom("dtype"): None,
        Atom("shape"): None,
    }


def splice(frame: bytes) -> Spliced | bytes:
    """The frame as FrameIO reads it: its large binary apart when it has one."""
    split = etf.split_point(frame, len(frame))
    if split is None:
        return frame
    at, length = split
    return Spliced.make(frame[:at] + frame[at + length :], at, frame[at : at + length])


def reply(worker: Worker, frame: bytes) -> bytes:
    """The reply frame, each ref id in it blanked (ids are unique per ref)."""
    recorder: Recorder = worker.frames  # type: ignore[assignment]
    recorder.frames.clear()
    worker.handle(frame)
    (written,) = recorder.frames
    for ref_id in _ref_ids(etf.decode(written)):
        written = written.replace(ref_id.encode(), b"-" * len(ref_id))
    return written


def _ref_ids(term: Any) -> list[str]:
    if isinstance(term, (list, tuple)):
        return [ref_id for item in term for ref_id in _ref_ids(item)]
    if isinstance(term, dict):
        if term.get(Atom("__struct__")) == REF:
            return [term[Atom("id")]]
        return [ref_id for value in term.values() for ref_id in _ref_ids(value)]
    return []


SIZES = [0, 1, 3, 100, SPLICE_BYTES // 2 + 1, SPLICE_BYTES - 5, SPLICE_BYTES, SPLICE_BYTES + 7]


@settings(max_examples=60, deadline=None)
@given(
    function=st.integers(0, len(FUNCTIONS) - 1),
    sizes=st.lists(st.sampled_from(SIZES), min_size=0, max_size=3),
    request_id=st.sampled_from([0, 7, 255, 256, 70000, 2**40]),
    extra=st.sampled_from([None, 5, "text", [1, 2]]),
    kwargs=st.sampled_from([{}, {Atom("sep"): 1}]),
    session=st.sampled_from(["", "s1"]),
    numeric=st.sampled_from([None, True]),
)
def test_a_spliced_call_replies_as_the_whole_frame_does(
    worker: Worker,
    function: int,
    sizes: list[int],
    request_id: int,
    extra: Any,
    kwargs: dict[Atom, Any],
    session: str,
    numeric: bool | None,
) -> None:
    args: list[Any] = [elixir_bytes(os.urandom(size)) for size in sizes]
    if extra is not None:
        args.append(extra)
    frame = etf.encode((request_id, function, args, kwargs, session, numeric))
    spliced = splice(frame)
    # Twice: the first call of a tail reads it in full, the next ones know it.
    for _ in range(2):
        assert reply(worker, spliced) == reply(worker, frame)


def test_the_fast_path_reads_what_the_vm_writes(
    worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both atom encodings, a payload past the splice size and one inline: the fast path
    # answers (not the general decoder) and its arguments are the general path's.
    codec = worker.codec
    general_read = codec._read
    reads: list[int] = []

    def counted(buf: bytes, pos: int) -> tuple[Any, int]:
        reads.append(pos)
        return general_read(buf, pos)

    payload = os.urandom(SPLICE_BYTES)
    old = OTP25_FRAME
    at = old.index(b"m\x00\x00\x00\x03") + 5
    big25 = old[: at - 4] + struct.pack(">I", len(payload)) + payload + old[at + 3 :]
    big26 = etf.encode((5, 41, [elixir_bytes(payload), elixir_bytes(b"\x01")], {}, "s", None))
    for frame in (big25, big26, OTP25_FRAME):
        spliced = splice(frame)
        general = codec.decode_request(frame)
        reads.clear()
        monkeypatch.setattr(codec, "_read", counted)
        got = codec.decode_request(spliced)
        monkeypatch.setattr(codec, "_read", general_read)
        if type(spliced) is Spliced:
            # The bulk reader took over where the compact decoder's id parse ended: the
            # general reader read nothing of the frame.
            assert reads == []
            assert got[1][1][0] is spliced.payload
        assert got == general


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x00\xff",
        bytearray(b"abc"),
        os.urandom(etf.LARGE_BINARY - 1),
        os.urandom(etf.LARGE_BINARY),
        bytearray(os.urandom(SPLICE_BYTES + 1)),
    ],
)
def test_a_bytes_result_encodes_as_the_general_encoder_does(
    worker: Worker, value: bytes | bytearray
) -> None:
    codec = worker.codec
    head = _reply_head(7, _OK_HEAD)
    fast = b"".join(bytes(p) for p in codec.encode(value, head))
    assert fast == b"".join(bytes(p) for p in codec._encode(value, head))
    # The payload is the frame's last bytes (the caller takes it as a sub-binary).
    assert fast.endswith(struct.pack(">I", len(value)) + bytes(value))
    raw = etf.make_decoder(raw_binary_structs=frozenset({BYTES}))
    assert raw(fast[4:]) == (7, ("ok", {
        Atom("__struct__"): BYTES, Atom("data"): bytes(value), Atom("dtype"): None,
        Atom("shape"): None,
    }))  # fmt: skip


def test_a_spliced_call_is_refused_as_a_whole_frame_is() -> None:
    # A real worker (audit hooks installed): a process start and a module outside the
    # library are refused from a spliced frame (twice: the tail is then known) exactly
    # as from a small one.
    process = Process({"sbresults": "sbresults", "json": "json"})
    try:
        answers = {}
        outside = {**descriptor("system", "json"), Atom("python_module"): "os"}
        for descriptor_id, described in ((1, descriptor("run")), (2, outside)):
            results = []
            for data in (b"x", os.urandom(SPLICE_BYTES), os.urandom(SPLICE_BYTES)):
                call = etf.encode((9, descriptor_id, [elixir_bytes(data)], {}, "s1", None))
                if not results:
                    call = etf.encode((0, descriptor_id, described)) + call
                process.send_raw(call)
                request_id, result = process.reply()
                assert request_id == 9
                results.append(result)
            assert results[0] == results[1] == results[2]
            answers[descriptor_id] = results[0]
    finally:
        process.close()
    refused(answers[1], "os.system", "sbresults.run")
    refused(answers[2], "os")
