"""Where a 1 MB round trip's time goes inside the worker, in situ and warm.

    .venv/bin/python bench/runtime/bulk_stages.py [--calls 1500] [--size 1048576]

In situ: a Python driver (on CPU 0) sends a real worker (on CPU 1, 1 MiB pipes) the
frame the VM sends for ``operator.concat(SnakeBridge.bytes(blob), SnakeBridge.bytes(""))``
(``worker_path._bulk_call``) ``calls`` times, reading each reply before the next; the
worker runs with each stage wrapped in a timer of the thread's CPU clock
(``time.thread_time_ns``: user and kernel time of the worker's main thread): reading
the frame from the pipe, decoding it, executing the call, draining user output,
encoding the reply, writing it, and the whole ``handle``. Its ``/proc/<pid>/stat``
user and system ticks over the run split its CPU into user space and kernel. The raw
echo (``echo_port.py``, 1 MiB pipes) then gets the same frames from the same driver,
for its ticks. Warm: the same stages in one process on one frame held in memory, the
reply written to ``/dev/null`` (``calls`` x 10 iterations): what the code costs when
no megabyte passes through the caches between two runs of it. ``--copies K``: the
driver copies each reply K times before the next request, the memory traffic the VM
adds to a round trip (its driver's copy, the decode, the comparison). Prints a
markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STAGES = ["read", "decode", "execute", "drain", "encode", "write", "handle"]


def _instrument(worker: Any, frames: Any, acc: dict[str, list[int]]) -> None:
    """Wrap each stage of ``worker`` in a thread-CPU timer summing into ``acc``."""
    clock = time.thread_time_ns
    targets = {
        "read": (frames, "read"),
        "decode": (worker.codec, "decode_request"),
        "execute": (worker, "_execute"),
        "drain": (worker.capture, "drain"),
        "encode": (worker.codec, "encode"),
        "write": (frames, "write_framed"),
        "handle": (worker, "handle"),
    }
    for stage, (obj, name) in targets.items():
        original = getattr(obj, name)
        slot = acc.setdefault(stage, [0, 0])

        def timed(*args: Any, _original: Any = original, _slot: list[int] = slot) -> Any:
            start = clock()
            try:
                return _original(*args)
            finally:
                _slot[0] += clock() - start
                _slot[1] += 1

        setattr(obj, name, timed)


def serve_instrumented(report: str) -> None:
    """A worker (``snakebridge.runtime.worker.main``) with its stages timed; the totals
    go to ``report`` when the pipe closes."""
    from snakebridge.runtime import worker as module

    acc: dict[str, list[int]] = {}
    original_init = module.Worker.__init__

    def init(self: Any, config: Any, frames: Any, capture: Any) -> None:
        original_init(self, config, frames, capture)
        _instrument(self, frames, acc)

    module.Worker.__init__ = init  # type: ignore[method-assign]
    try:
        module.main()
    finally:
        with open(report, "w") as out:
            for stage, (ns, count) in acc.items():
                out.write(f"{stage} {ns} {count}\n")


def _ticks(pid: int) -> tuple[int, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return int(fields[11]), int(fields[12])


def insitu(calls: int, size: int, copies: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import worker_path as wp

    os.sched_setaffinity(0, {0})
    blob = os.urandom(size)
    call = wp._bulk_call(blob)
    report = f"/tmp/bulk-stages-{os.getpid()}.txt"
    env = dict(os.environ, PYTHONPATH=str(HERE.parent.parent / "src"))
    result: dict[str, Any] = {}
    worker, registration = wp._worker_peer(HERE.parent.parent)
    worker.close()
    for side in ("worker", "echo"):
        if side == "worker":
            cmd = [sys.executable, __file__, "--serve", report]
            peer = wp._Peer(cmd, env)
            from snakebridge import etf
            from snakebridge.etf import Atom

            init = {Atom("libraries"): {"operator": "operator"}}
            peer.send(etf.encode((Atom("init"), init)))
            assert etf.decode(bytes(peer.recv()))[0] == "ready"
            first = registration + call
        else:
            cmd = [sys.executable, str(HERE / "echo_port.py"), "--pipe-bytes", str(1 << 20)]
            peer = wp._Peer(cmd, env)
            first = call
        peer.send(first)
        peer.recv()
        for _ in range(calls // 10):
            peer.send(call)
            peer.recv()
        user0, sys0 = _ticks(peer.proc.pid)
        cpu0 = peer.cpu_ns()
        start = time.perf_counter()
        for _ in range(calls):
            peer.send(call)
            reply = peer.recv()
            # What the VM does with each reply besides reading it (copy it out of the
            # driver's buffer, decode it, compare it): the same memory traffic.
            for _ in range(copies):
                bytes(reply)
        wall = time.perf_counter() - start
        user1, sys1 = _ticks(peer.proc.pid)
        cpu = (peer.cpu_ns() - cpu0) / calls / 1000
        tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
        result[side] = {
            "wall_us": wall / calls * 1e6,
            "cpu_us": cpu,
            "user_us": (user1 - user0) * tick_us / calls,
            "sys_us": (sys1 - sys0) * tick_us / calls,
        }
        peer.close()
    stages: dict[str, float] = {}
    for line in Path(report).read_text().splitlines():
        stage, ns, count = line.split()
        stages[stage] = int(ns) / int(count) / 1000
    os.unlink(report)
    result["stages"] = stages
    return result


def warm(calls: int, size: int) -> dict[str, float]:
    """The stages in this process on one frame, as the worker reads it (a Spliced)."""
    sys.path.insert(0, str(HERE))
    import fcntl
    import threading

    import worker_path as wp

    from snakebridge.etf import Atom, encode
    from snakebridge.runtime.frames import FrameIO
    from snakebridge.runtime.output import OutputCapture
    from snakebridge.runtime.worker import _OK_HEAD, Worker, _reply_head

    call = wp._bulk_call(os.urandom(size))
    descriptor = {Atom("call_type"): Atom("call"), Atom("function"): "concat",
                  Atom("ledger"): False, Atom("library"): "operator",
                  Atom("python_module"): "operator"}  # fmt: skip
    registration = encode((0, 9, descriptor))
    r, w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, 1 << 20)
    frames = FrameIO(r, os.open(os.devnull, os.O_WRONLY))
    capture = OutputCapture(lambda level, text: None)
    capture.install()
    worker = Worker({"libraries": {"operator": "operator"}}, frames, capture)
    worker.audit.install()

    def feed(data: bytes) -> None:
        view = memoryview(len(data).to_bytes(4, "big") + data)
        while view:
            view = view[os.write(w, view) :]

    for data in (registration + call, call):
        thread = threading.Thread(target=feed, args=(data,))
        thread.start()
        frame = frames.read()
        thread.join()
        assert frame is not None
        worker.handle(frame)
    codec = worker.codec
    request_id, (descriptor_id, args, kwargs, session, numeric) = codec.decode_request(frame)
    described = worker.descriptors[descriptor_id]
    value = worker._execute(described, list(args), kwargs, numeric, session)
    parts = codec.encode(value, _reply_head(request_id, _OK_HEAD))
    fns = {
        "decode": lambda: codec.decode_request(frame),
        "execute": lambda: worker._execute(described, list(args), kwargs, numeric, session),
        "drain": capture.drain,
        "encode": lambda: codec.encode(value, _reply_head(request_id, _OK_HEAD)),
        "write": lambda: frames.write_framed(list(parts)),
        "handle": lambda: worker.handle(frame),
    }
    out: dict[str, float] = {}
    n = calls * 10
    for stage, fn in fns.items():
        start = time.thread_time_ns()
        for _ in range(n):
            fn()
        out[stage] = (time.thread_time_ns() - start) / n / 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--size", type=int, default=1 << 20)
    parser.add_argument(
        "--copies", type=int, default=0, help="copies of each reply the driver makes"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.serve:
        serve_instrumented(opts.serve)
        return
    if opts.warm:
        # The capture takes fd 1 over: the answer goes out on a copy.
        out = os.dup(1)
        result = warm(opts.calls, opts.size)
        os.write(out, (" ".join(f"{k}={v}" for k, v in result.items()) + "\n").encode())
        return
    situ = insitu(opts.calls, opts.size, opts.copies)
    text = subprocess.run(
        ["taskset", "-c", "1", sys.executable, __file__, "--warm", "--calls", str(opts.calls)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(HERE.parent.parent / "src")),
    ).stdout.strip()
    warm_stages = dict(
        (k, float(v)) for k, v in (item.split("=") for item in text.splitlines()[-1].split(" "))
    )
    print(f"load average {os.getloadavg()[0]:.2f}; {opts.calls} round trips of {opts.size} "
          f"bytes; the driver copies each reply {opts.copies} times")  # fmt: skip
    print("| process | wall per round trip (µs) | CPU (µs) | user (µs, ticks) "
          "| system (µs, ticks) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: |")
    for side in ("echo", "worker"):
        s = situ[side]
        print(f"| {side} | {s['wall_us']:.0f} | {s['cpu_us']:.0f} | {s['user_us']:.0f} "
              f"| {s['sys_us']:.0f} |")  # fmt: skip
    print("\n| worker stage (thread CPU µs per call) | in situ | warm |\n| --- | ---: | ---: |")
    for stage in STAGES:
        warm_value = f"{warm_stages[stage]:.1f}" if stage in warm_stages else ""
        name = "write (warm: to /dev/null)" if stage == "write" else stage
        print(f"| {name} | {situ['stages'][stage]:.1f} | {warm_value} |")


if __name__ == "__main__":
    main()
