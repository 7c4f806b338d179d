"""The worker process over its real pipes, as the Elixir pool drives it."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import snakebridge
from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime.frames import PROTOCOL
from snakebridge.runtime.worker import Worker as ServingWorker

from .conftest import BYTES, REF, Worker, error, ok


def test_ready_info(worker: Worker) -> None:
    assert worker.info["numpy"] is not None
    assert worker.info["worker_id"] == "test:1:abc"
    # The pool compares it with its own before it sends a call (the handshake).
    assert worker.info["protocol"] == PROTOCOL
    assert worker.info["snakebridge"] == snakebridge.__version__


def test_call_and_values(worker: Worker) -> None:
    assert ok(worker.call("operator", "add", 1, 2)) == 3
    assert ok(worker.call("json", "dumps", {"a": [1, None]})) == '{"a": [1, null]}'
    assert ok(worker.call("math", "fsum", [Atom("infinity"), 1.0])) == Atom("infinity")
    assert ok(worker.call("json", "loads", "1e999")) == Atom("infinity")


def test_bytes_cross_as_struct(worker: Worker) -> None:
    bytes_term = {Atom("__struct__"): BYTES, Atom("data"): b"\xff\x00"}
    result = ok(worker.call("operator", "add", bytes_term, bytes_term))
    assert result[Atom("__struct__")] == BYTES
    assert result[Atom("data")] == b"\xff\x00\xff\x00"


def test_numpy_fast_path_only_for_numeric_libraries(worker: Worker) -> None:
    floats = [float(i) for i in range(100)]
    assert ok(worker.call("numpy", "sum", floats)) == 4950.0
    ref = ok(worker.call("numpy", "asarray", list(range(1000))))
    assert ref[Atom("type")] == "numpy.ndarray"
    # A list for json stays a list even though it decoded on the fast path.
    assert ok(worker.call("json", "dumps", floats[:20])).startswith("[0.0, 1.0")
    typed = {
        Atom("__struct__"): BYTES,
        Atom("data"): (1.5).hex().encode() and bytes(8 * 4),
        Atom("dtype"): "float64",
        Atom("shape"): (2, 2),
    }
    assert ok(worker.call("numpy", "shape", typed)) == (2, 2)


def test_refs_sessions_and_release(worker: Worker) -> None:
    ref = ok(worker.call("numpy", "array", [1.0, 2.0]))
    assert worker.last_made_refs
    assert ref[Atom("__struct__")] == REF
    assert ref[Atom("session")] == "s1"
    assert ok(worker.call("numpy", "mean", ref)) == 1.5
    assert not worker.last_made_refs
    other = error(worker.call("numpy", "mean", ref, session="s2"))
    assert other["type"] == "ref_lost"
    assert "belongs to session 's1'" in other["message"]
    foreign = dict(ref)
    foreign[Atom("worker")] = "test:9:dead"
    foreign[Atom("id")] = "nope"
    lost = error(worker.call("numpy", "mean", foreign))
    assert "stopped or been replaced" in lost["message"]
    assert ok(worker.request("release", args=[ref])) == 1
    released = error(worker.call("numpy", "mean", ref))
    assert "was released" in released["message"]
    # A release takes refs that may be gone or another session's, and is not refused
    # for them: its call type skips the ref checks every other call gets.
    assert ok(worker.request("release", args=[ref])) == 0
    assert ok(worker.request("release", args=[ref], session="s2")) == 0


def test_release_session(worker: Worker) -> None:
    for _ in range(3):
        ok(worker.call("numpy", "zeros", 3, session="gone"))
    assert ok(worker.request("stats"))["refs"] == 3
    assert ok(worker.request("release_session", session="gone")) == 3
    assert ok(worker.request("stats"))["refs"] == 0


def test_a_share_marks_its_session_as_holding_something(worker: Worker) -> None:
    # A tensor argument in a session that holds no ref: the shared block is the only
    # thing the session keeps here, so only the reply's mark gets it released.
    tensor = {
        Atom("__struct__"): BYTES,
        Atom("data"): bytes(8 * 4),
        Atom("dtype"): "float64",
        Atom("shape"): (4,),
    }
    handle = ok(worker.request("share", session="fresh", args=[tensor], kwargs={"as": "shm"}))
    assert handle[Atom("__struct__")] == Atom("Elixir.SnakeBridge.ZeroCopyRef")
    assert worker.last_made_refs
    assert ok(worker.request("release_session", session="fresh")) == 1
    assert not worker.last_made_refs


def test_keyword_names_arrive_interned() -> None:
    w = Worker({"sbkeywords": "sbkeywords", "binascii": "binascii"})
    try:
        # Atom keys (a keyword list) and string keys (a map) alike, call after call.
        for _ in range(2):
            names = ok(w.call("sbkeywords", "interned", **{"alpha": 1, "beta_gamma": 2}))
            assert names == ["alpha", "beta_gamma"]
            sent = w.request(
                "call",
                library="sbkeywords",
                python_module="sbkeywords",
                function="interned",
                kwargs={"delta": 1, Atom("epsilon"): 2},
            )
            assert ok(sent) == ["delta", "epsilon"]
        # A C function parsing its keywords (Argument Clinic): matched by identity.
        data = {Atom("__struct__"): BYTES, Atom("data"): b"\x01\xab"}
        hexed = ok(w.call("binascii", "hexlify", data, sep=":"))
        # The test harness decodes a UTF-8 binary as text.
        assert hexed[Atom("data")] == "01:ab"
    finally:
        w.close()


def test_a_bulk_call_registered_in_its_own_frame(worker: Worker) -> None:
    # The first call of a descriptor carries its registration; a frame this large has
    # its binary read apart from the rest (FrameIO), registration and all.
    descriptor = {
        Atom("call_type"): Atom("call"),
        Atom("function"): "concat",
        Atom("library"): "operator",
        Atom("python_module"): "operator",
    }
    blob = os.urandom(3 << 20)

    def wrap(data: bytes) -> dict[Atom, Any]:
        return {Atom("__struct__"): BYTES, Atom("data"): etf.Binary(data)}

    for registration in (etf.encode((0, 41, descriptor)), b""):
        worker.send_raw(registration + etf.encode((5, 41, [wrap(blob), wrap(b"!")], {}, "", None)))
        reply = worker.reply()
        assert reply[0] == 5
        assert ok(reply[1])[Atom("data")] == blob + b"!"


def test_allowlist(worker: Worker) -> None:
    assert error(worker.call("os", "system", "true"))["type"] == "not_allowed"
    assert error(worker.call("json", "codecs.open", "x"))["type"] == "not_allowed"
    assert error(worker.call("json", "__builtins__"))["type"] == "not_allowed"
    refused = worker.request(
        "call", library="json", python_module="os", function="system", args=["true"]
    )
    assert error(refused)["type"] == "not_allowed"


def test_exceptions(worker: Worker) -> None:
    err = error(worker.call("numpy", "linalg.solve", [[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0]))
    assert err["python_type"] == "numpy.linalg.LinAlgError"
    assert "ValueError" in err["bases"]
    assert "Traceback" in err["traceback"]
    assert "snakebridge/runtime" not in err["traceback"]


def test_bad_requests(worker: Worker) -> None:
    assert error(worker.request("nonsense"))["type"] == "bad_request"
    worker.send_raw(b"\x83garbage")
    got_id, result = worker.reply()
    assert got_id is None
    assert result[1]["type"] == "bad_request"
    assert ok(worker.call("operator", "add", 1, 1)) == 2
    # An undecodable request (an improper list) still answers its own id.
    frame = bytearray(etf.encode((77, {Atom("args"): [1, 2]})))
    frame[frame.rindex(b"j")] = ord("a")  # the list's NIL tail becomes a small int
    frame += b"\x00"
    worker.send_raw(bytes(frame))
    got_id, result = worker.reply()
    assert got_id == 77
    assert "could not be decoded" in result[1]["message"]


def test_streams(worker: Worker) -> None:
    it = ok(
        worker.request("stream", library="itertools", python_module="itertools", function="count")
    )
    assert ok(worker.request("stream_next", args=[it, 3])) == ([0, 1, 2], False)
    assert ok(worker.request("stream_close", args=[it])) is None
    assert error(worker.request("stream_next", args=[it, 1]))["type"] == "ref_lost"


def test_output_is_captured_and_precedes_the_reply(worker: Worker) -> None:
    # C code writing through libc's stdio to fd 1, the hardest case for the channel.
    libc = ok(worker.call("ctypes", "CDLL", None))
    printf = ok(worker.request("get_attr", function="printf", args=[libc]))
    fmt = {Atom("__struct__"): BYTES, Atom("data"): b"from C %d\n"}
    worker.logs.clear()
    ok(worker.request("method", function="__call__", args=[printf, fmt, 42]))
    # reply() gathers log frames until the reply: the output arrived first.
    assert ("info", "from C 42") in worker.logs
    assert ok(worker.call("operator", "add", 1, 1)) == 2


def test_ledger_flush(tmp_path: Path) -> None:
    path = tmp_path / ".snakebridge" / "ledger.json"
    w = Worker({"json": "json"}, ledger_path=str(path))
    try:
        w.request(
            "call", library="json", python_module="json", function="dumps", args=[1], ledger=True
        )
        w.request("call", library="json", python_module="json", function="loads", args=["1"])
    finally:
        assert w.close() == 0
    text = path.read_text()
    data = json.loads(text)
    assert "dumps" in text
    assert "loads" not in text
    assert data


def test_worker_exits_on_eof_promptly() -> None:
    w = Worker({"json": "json"})
    start = time.monotonic()
    assert w.close() == 0
    assert w.proc.poll() == 0
    assert time.monotonic() - start < 30  # generous: only guards against a hang


def test_serve_frees_a_frame_before_it_waits_for_the_next() -> None:
    # A large request's munmap must not land on the next call: serve lets go of each
    # frame once its reply is written, not when the next one rebinds the name.
    first = b"x" * 1000
    counts: list[int] = []

    class Frames:
        calls = 0

        def read(self) -> bytes | None:
            self.calls += 1
            if self.calls == 1:
                return first
            counts.append(sys.getrefcount(first))
            return None

    class Life:
        def busy(self) -> None: ...
        def idle(self) -> None: ...
        def graceful(self) -> None: ...

    class Dispatcher:
        ledger: Any = None

    worker: Any = object.__new__(ServingWorker)
    worker.frames = Frames()
    worker.ledger_path = None
    worker.dispatcher = Dispatcher()
    worker.handle = lambda frame: None
    worker.flush_ledger = lambda: None
    worker.serve(Life())
    assert counts == [sys.getrefcount(first)]


_FREED_PROBE = """
import os, sys
from snakebridge.runtime import worker
if sys.argv[1] == "kept":
    worker._keep_freed_memory()
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
block = bytearray(16 << 20)  # zeroed by hand: every page is touched
block[:] = b"x" * len(block)
before = rss()
del block
print(before - rss())
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
@pytest.mark.parametrize("mode", ["kept", "default"])
def test_a_worker_keeps_the_memory_of_a_freed_frame(mode: str) -> None:
    # A freed 16 MiB block stays mapped for the next frame of its size (kept), where
    # glibc's defaults hand it back at once (it was mmap'd): the next bulk call would
    # fault every page in again.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", _FREED_PROBE, mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    released = int(out)
    if mode == "kept":
        assert released < 1 << 20
    else:
        assert released >= 15 << 20
