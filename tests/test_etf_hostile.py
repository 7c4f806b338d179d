"""The decoder against hostile bytes: only DecodeError, bounded inflation, and a worker
that answers every undecodable request and lives."""

from __future__ import annotations

import contextlib
import random
import struct
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakebridge import etf
from snakebridge.etf import Atom, DecodeError

from .runtime.conftest import Worker

# Frames like the pool's: {id, %{args, call_type, function, kwargs, library, ...}}.
CORPUS = [
    etf.encode(
        (
            7,
            {
                Atom("args"): [1, 2.5, "text", b"\xff\x00", [Atom("x"), (1, 2)], {"k": None}],
                Atom("call_type"): Atom("call"),
                Atom("function"): "add",
                Atom("kwargs"): {Atom("reverse"): True},
                Atom("library"): "operator",
                Atom("python_module"): "operator",
                Atom("session"): "s1",
            },
        )
    ),
    etf.encode([2**70, -(2**200), "é", Atom("ünï"), {(1, 2): [[]]}]),
    b"\x83P"
    + struct.pack(">I", len(etf.encode(list(range(5)))) - 1)
    + zlib.compress(etf.encode(list(range(5)))[1:]),
]


def _only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        etf.decode(data)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    _only_decode_error(b"\x83" + data)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_mutated_frames_raise_only_decode_error(frame: bytes, flips: list[Any]) -> None:
    data = bytearray(frame)
    for at, value in flips:
        data[at % len(data)] = value
    _only_decode_error(bytes(data))


def _mutants(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(CORPUS))
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            at = rng.randrange(len(data))
            if op < 0.6:
                data[at] = rng.randrange(256)
            elif op < 0.8:
                del data[at:]
                if len(data) < 2:
                    data = bytearray(b"\x83h")
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        out.append(bytes(data))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bounded_fuzz(seed: int) -> None:
    for data in _mutants(seed, 5_000):
        _only_decode_error(data)


def test_inflation_is_bounded_by_the_declared_size() -> None:
    # 100 MB of zeros compress to ~100 KB; the term claims 10 bytes.
    bomb = zlib.compress(b"k" + b"\x00" * 100_000_000)
    with pytest.raises(DecodeError, match="wrong size"):
        etf.decode(b"\x83P" + struct.pack(">I", 10) + bomb)
    with pytest.raises(DecodeError, match="more than the maximum"):
        etf.whole_term(etf.make_reader(), max_inflated=1000)(
            b"\x83P" + struct.pack(">I", 10_000) + bomb
        )
    assert etf.decode(CORPUS[2]) == [0, 1, 2, 3, 4]


def test_invalid_utf8_atom() -> None:
    with pytest.raises(DecodeError, match="UTF-8"):
        etf.decode(b"\x83w\x02\xff\xfe")


@pytest.fixture(scope="module")
def worker() -> Any:
    w = Worker({"operator": "operator"})
    yield w
    w.close()


def test_worker_answers_hostile_request_ids(worker: Worker) -> None:
    request = {Atom("call_type"): Atom("ping"), Atom("args"): [], Atom("kwargs"): {}}
    long_atom = b"\x83h\x02v\x01\x2c" + b"a" * 300 + etf.encode(request)[1:]
    worker.send_raw(long_atom)
    got_id, result = worker.reply()
    assert got_id is None and result[1]["type"] == "bad_request"
    port = b"\x83h\x02Yw\x0dnonode@nohost\x00\x00\x00\x01\x00\x00\x00\x00" + etf.encode(request)[1:]
    worker.send_raw(port)
    got_id, result = worker.reply()
    assert got_id is None and result[1]["type"] == "bad_request"
    assert worker.request("ping")[1] == "pong"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_worker_answers_every_undecodable_frame(worker: Worker, seed: int) -> None:
    for data in _mutants(seed, 150):
        worker.send_raw(data)
        reply = worker.reply()
        assert isinstance(reply, tuple) and len(reply) >= 2
    assert worker.request("ping")[1] == "pong"
