"""A reply leaves under both of its locks, and every exit releases them: the bridge's
(a callback frame from another thread never interleaves with the reply) and the frame
writer's (a log frame of the output thread never interleaves with any frame)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime import callbacks, frames
from snakebridge.runtime.frames import FrameIO
from snakebridge.runtime.worker import Worker

from .conftest import HOSTILE_PYTHON


def held_elsewhere(lock: Any) -> bool:
    """Whether another thread cannot take ``lock`` now."""
    got: list[bool] = []

    def probe() -> None:
        taken = lock.acquire(blocking=False)
        if taken:
            lock.release()
        got.append(taken)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return not got[0]


class LockWatcher:
    """A frame writer that notes, for every frame, whether the bridge lock was held."""

    def __init__(self) -> None:
        self.lock: Any = None
        self.held: list[bool] = []
        self.frames: list[bytes] = []

    def _note(self, parts: list[Any]) -> None:
        self.held.append(held_elsewhere(self.lock))
        self.frames.append(b"".join(bytes(p) for p in parts))

    def write(self, payload: bytes) -> None:
        self._note([payload])

    def write_parts(self, parts: list[Any]) -> None:
        self._note(parts)

    def write_framed(self, parts: list[Any]) -> None:
        self._note(parts)


class NoCapture:
    def drain(self) -> None:
        pass


class Unsendable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.fixture
def worker() -> Iterator[tuple[Worker, LockWatcher]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(HOSTILE_PYTHON))
        patch.setattr(callbacks, "_bridge", None)
        watcher = LockWatcher()
        config = {"worker_id": "w", "libraries": {"operator": "operator"}}
        w = Worker(config, watcher, NoCapture())  # type: ignore[arg-type]
        watcher.lock = w.bridge.lock
        yield w, watcher


def compact(worker: Worker, function: str, args: list[Any]) -> bytes:
    worker.descriptors[1] = worker.dispatcher.describe(
        {
            Atom("call_type"): Atom("call"),
            Atom("library"): "operator",
            Atom("python_module"): "operator",
            Atom("function"): function,
            Atom("ledger"): False,
        }
    )
    return etf.encode((300, 1, args, {}, "s", None))


@pytest.mark.parametrize(
    ("function", "args", "status"),
    [
        ("add", [1, 2], "ok"),  # the framed reply
        ("truediv", [1, 0], "error"),  # the call raised
        ("nothing_here", [], "error"),  # not resolved: no call at all
    ],
)
def test_a_reply_is_written_under_the_bridge_lock_and_releases_it(
    worker: tuple[Worker, LockWatcher], function: str, args: list[Any], status: str
) -> None:
    w, watcher = worker
    w.handle(compact(w, function, args))
    assert watcher.held == [True]
    # A framed reply: its length header first.
    assert etf.decode(watcher.frames[0][4:])[1][0] == status
    assert not held_elsewhere(w.bridge.lock)


def test_an_unsendable_reply_is_written_under_the_lock_and_releases_it(
    worker: tuple[Worker, LockWatcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, watcher = worker

    def failing(value: Any, head: bytes = b"\x83") -> Any:
        raise RuntimeError("cannot encode")

    monkeypatch.setattr(w.codec, "encode", failing)
    w.handle(compact(w, "add", [1, 2]))
    assert watcher.held == [True]
    _, (status, error) = etf.decode(watcher.frames[0])
    assert status == "error" and error[Atom("type")] == "encode_error"
    assert not held_elsewhere(w.bridge.lock)


def test_a_framed_write_holds_the_writer_lock_and_releases_it_when_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_end, write_end = os.pipe()
    try:
        io = FrameIO(read_end, write_end)
        held: list[bool] = []
        real_write = os.write

        def watched(fd: int, data: Any) -> int:
            held.append(held_elsewhere(io._lock))
            return real_write(fd, data)

        monkeypatch.setattr(frames.os, "write", watched)
        io.write_framed([bytearray(b"\x00\x00\x00\x00\x83a\x07")])
        assert held == [True]
        assert io.read() == b"\x83a\x07"

        def broken(fd: int, data: Any) -> int:
            raise BrokenPipeError("the port closed")

        monkeypatch.setattr(frames.os, "write", broken)
        with pytest.raises(BrokenPipeError):
            io.write_framed([bytearray(b"\x00\x00\x00\x00\x83a\x07")])
        assert not held_elsewhere(io._lock)
    finally:
        os.close(read_end)
        os.close(write_end)
