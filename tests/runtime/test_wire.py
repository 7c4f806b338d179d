"""Compact call frames: a descriptor registered once per worker, then a small id."""

from __future__ import annotations

from typing import Any

from snakebridge import etf
from snakebridge.etf import Atom

from .conftest import Worker, error, ok

ADD = {
    Atom("call_type"): Atom("call"),
    Atom("library"): "operator",
    Atom("python_module"): "operator",
    Atom("function"): "add",
    Atom("ledger"): False,
}


def registration(descriptor_id: int, descriptor: dict[Any, Any]) -> bytes:
    return etf.encode((0, descriptor_id, descriptor))


def compact(request_id: int, descriptor_id: int, args: list[Any], session: str = "s1") -> bytes:
    return etf.encode((request_id, descriptor_id, args, {}, session, None))


def test_a_registered_descriptor_serves_every_later_call(worker: Worker) -> None:
    worker.send_raw(registration(41, ADD) + compact(1, 41, [1, 2]))
    assert worker.reply() == (1, ("ok", 3))
    for i in range(2, 5):
        worker.send_raw(compact(i, 41, [i, i]))
        assert worker.reply() == (i, ("ok", 2 * i))
    # The map form is still read, beside the compact one.
    assert ok(worker.call("operator", "add", 5, 5)) == 10


def test_an_unregistered_descriptor_is_an_error_naming_the_fix(worker: Worker) -> None:
    worker.send_raw(compact(7, 999, [1, 2]))
    request_id, result = worker.reply()
    assert request_id == 7
    err = error(result)
    assert err["type"] == "unknown_descriptor"
    assert "999" in err["message"]
    # The worker goes on serving.
    worker.send_raw(registration(999, ADD) + compact(8, 999, [2, 2]))
    assert worker.reply() == (8, ("ok", 4))


def test_a_fresh_worker_knows_no_descriptor(worker: Worker) -> None:
    worker.send_raw(registration(5, ADD) + compact(1, 5, [1, 1]))
    assert worker.reply() == (1, ("ok", 2))
    fresh = Worker({"operator": "operator"})
    try:
        fresh.send_raw(compact(1, 5, [1, 1]))
        assert error(fresh.reply()[1])["type"] == "unknown_descriptor"
    finally:
        fresh.close()


def test_compact_calls_keep_sessions_refs_and_numeric(worker: Worker) -> None:
    zeros = {**ADD, Atom("library"): "numpy", Atom("python_module"): "numpy"}
    zeros[Atom("function")] = "zeros"
    worker.send_raw(registration(3, zeros) + compact(1, 3, [4], session="sA"))
    request_id, result, mark = worker.reply()
    assert (request_id, mark) == (1, "refs")
    assert result[0] == "ok"
    ref = result[1]
    # A ref made in session sA is refused in another session.
    method = {**zeros, Atom("call_type"): Atom("method"), Atom("library"): None}
    method[Atom("function")] = "sum"
    worker.send_raw(registration(4, method) + compact(2, 4, [ref], session="sB"))
    assert error(worker.reply()[1])["type"] in {"ref_lost", "bad_argument", "ref_session"}
    worker.send_raw(compact(3, 4, [ref], session="sA"))
    assert worker.reply() == (3, ("ok", 0.0))


def test_a_truncated_compact_frame_answers_its_own_id(worker: Worker) -> None:
    frame = compact(77, 41, [1, 2])[:-3]
    worker.send_raw(frame)
    request_id, result = worker.reply()
    assert request_id == 77
    assert "could not be decoded" in error(result)["message"]
    assert ok(worker.call("operator", "add", 1, 1)) == 2


def test_a_reply_starts_with_its_id_as_the_request_encodes_it(worker: Worker) -> None:
    # The pool routes a reply by the id's bytes right after `{` (no decoding).
    assert worker.proc.stdout is not None
    worker.send_raw(registration(43, ADD) + compact(1, 43, [0, 0]))
    assert worker.reply() == (1, ("ok", 0))
    for request_id in (
        7,
        255,
        256,
        300,
        -5,
        2**31 - 1,
        2**31,
        -(2**31),
        -(2**31) - 1,
        2**31 + 9,
        -(2**40),
    ):
        worker.send_raw(compact(request_id, 43, [1, 1]))
        size = int.from_bytes(worker.proc.stdout.read(4), "big")
        frame = worker.proc.stdout.read(size)
        id_bytes = etf.encode(request_id)[1:]
        assert frame[1] == 104 and frame[3 : 3 + len(id_bytes)] == id_bytes
        assert etf.decode(frame) == (request_id, ("ok", 2))
