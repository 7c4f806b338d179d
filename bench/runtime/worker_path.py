"""Where a trivial call's time goes inside the worker, stage by stage.

    .venv/bin/python bench/runtime/worker_path.py [--rounds 7] [--calls 20000]

Runs a real ``Worker`` in a child process (output capture installed, as in
production) and feeds it the exact frame the VM sends for ``operator.add(1, 2)``
(``registration.etf`` and ``request.etf``, written by ``bench.exs``; same-shape frames
when absent). Each
stage is timed on its own over ``calls`` iterations with the thread's CPU clock
(``time.thread_time_ns``: other jobs on a shared host do not inflate it): decoding the
request, executing it, draining user output, encoding the reply, writing it (to
``/dev/null``), and the whole ``handle``. Two children alternate round by round: one
with the audit hooks installed (as shipped) and one without, so the hooks' per-call
cost is the difference of their ``handle`` times. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FRAME = HERE / "request.etf"
REGISTRATION = HERE / "registration.etf"


def _frames() -> tuple[bytes, bytes]:
    """The registration of ``operator.add`` and a compact call of it, as the VM sends them."""
    if FRAME.exists() and REGISTRATION.exists():
        return REGISTRATION.read_bytes(), FRAME.read_bytes()
    from snakebridge import etf
    from snakebridge.etf import Atom

    descriptor = {
        Atom("call_type"): Atom("call"),
        Atom("function"): "add",
        Atom("ledger"): False,
        Atom("library"): "operator",
        Atom("python_module"): "operator",
    }
    return etf.encode((0, 7, descriptor)), etf.encode((123456, 7, [1, 2], {}, "a" * 16, None))


def child(audited: bool, calls: int) -> dict[str, float]:
    """One round in this process: per-call CPU µs of each stage."""
    from snakebridge.runtime.frames import FrameIO
    from snakebridge.runtime.output import OutputCapture
    from snakebridge.runtime.worker import _OK_HEAD, Worker, _reply_head

    sink = os.open(os.devnull, os.O_WRONLY)
    source = os.open(os.devnull, os.O_RDONLY)
    frames = FrameIO(source, sink)
    capture = OutputCapture(lambda level, text: None)
    capture.install()
    worker = Worker({"libraries": {"operator": "operator"}}, frames, capture)
    if audited:
        worker.audit.install()
    registration, frame = _frames()
    worker.handle(registration + frame)
    codec = worker.codec
    request_id, (descriptor_id, args, kwargs, session, numeric) = codec.decode_request(frame)
    descriptor = worker.descriptors[descriptor_id]
    parts = codec.encode(3, _reply_head(request_id, _OK_HEAD))

    def timed(fn: Any) -> float:
        for _ in range(calls // 10):
            fn()
        start = time.thread_time_ns()
        for _ in range(calls):
            fn()
        return (time.thread_time_ns() - start) / calls / 1000

    return {
        "handle": timed(lambda: worker.handle(frame)),
        "decode": timed(lambda: codec.decode_request(frame)),
        "execute": timed(lambda: worker._execute(descriptor, list(args), kwargs, numeric, session)),
        "drain": timed(capture.drain),
        "encode": timed(lambda: codec.encode(3, _reply_head(request_id, _OK_HEAD))),
        "write": timed(lambda: frames.write_framed(list(parts))),
        "frame_bytes": float(len(frame)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--child", choices=["audited", "plain"])
    opts = parser.parse_args()
    if opts.child:
        # The capture takes fd 1 over, as in a worker: the result goes out on a copy.
        out = os.dup(1)
        os.write(out, json.dumps(child(opts.child == "audited", opts.calls)).encode() + b"\n")
        return
    rounds: dict[str, list[dict[str, float]]] = {"audited": [], "plain": []}
    for i in range(opts.rounds):
        order = ["audited", "plain"] if i % 2 == 0 else ["plain", "audited"]
        for kind in order:
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--calls", str(opts.calls)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rounds[kind].append(json.loads(out.strip().splitlines()[-1]))
    summary: dict[str, Any] = {"rounds": opts.rounds, "calls": opts.calls}
    for kind, rows in rounds.items():
        summary[kind] = {
            stage: [statistics.median(r[stage] for r in rows), min(r[stage] for r in rows),
                    max(r[stage] for r in rows)]
            for stage in rows[0]
        }  # fmt: skip
    hooks = sorted(a["handle"] - p["handle"] for a, p in zip(*rounds.values(), strict=True))
    summary["audit_hooks_us"] = [statistics.median(hooks), hooks[0], hooks[-1]]
    summary["load"] = os.getloadavg()[0]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
