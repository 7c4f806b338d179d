"""Per-call cost of the worker's audit hooks, against the same worker without them.

    .venv/bin/python bench/runtime/audit_overhead.py [--rounds 10] [--calls 2000]

Two real workers over their pipes, driven like the pool drives them: one as shipped,
one started with ``Audit.install`` replaced by a no-op (the only difference). Rounds
alternate between them (so load drift on a shared host hits both alike); each round
times ``calls`` sequential calls per worker. Reported: per-call p50 of each side, and
the median (min-max) of the per-round differences and ratios. Both workers are pinned
to the same CPU with ``taskset`` when it is available.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
from typing import Any

from snakebridge import etf
from snakebridge.etf import Atom

_NO_AUDIT = (
    "import runpy, snakebridge.runtime.audit as a; a.Audit.install = lambda self: None; "
    "runpy.run_module('snakebridge.runtime.worker', run_name='__main__')"
)


class Driver:
    def __init__(self, audited: bool) -> None:
        argv = [sys.executable, "-m", "snakebridge.runtime.worker"]
        if not audited:
            argv = [sys.executable, "-c", _NO_AUDIT]
        if shutil.which("taskset"):
            argv = ["taskset", "-c", "0", *argv]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.ids = itertools.count(1)
        libraries = {"operator": "operator", "numpy": "numpy"}
        self._send((Atom("init"), {Atom("worker_id"): "bench", Atom("libraries"): libraries}))
        assert self._recv()[0] == "ready"

    def _send(self, term: Any) -> None:
        data = etf.encode(term)
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()

    def _recv(self) -> Any:
        assert self.proc.stdout is not None
        (size,) = struct.unpack(">I", self.proc.stdout.read(4))
        return etf.decode(self.proc.stdout.read(size))

    def call(self, module: str, function: str, args: list[Any]) -> Any:
        request = {
            Atom("call_type"): Atom("call"),
            Atom("session"): "s",
            Atom("library"): module,
            Atom("python_module"): module,
            Atom("function"): function,
            Atom("args"): args,
            Atom("kwargs"): {},
        }
        self._send((next(self.ids), request))
        return self._recv()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def per_call_us(driver: Driver, calls: int, module: str, function: str, args: list[Any]) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        driver.call(module, function, args)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    opts = parser.parse_args()
    audited, plain = Driver(True), Driver(False)
    cases = {
        "operator.add(1, 2)": ("operator", "add", [1, 2]),
        "numpy.zeros(10) (a ref)": ("numpy", "zeros", [10]),
    }
    print(f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}, rounds {opts.rounds}")
    print("| call | p50 without hooks (µs) | p50 with hooks (µs) | overhead µs/call | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, (module, function, args) in cases.items():
        for d in (audited, plain):
            per_call_us(d, 200, module, function, args)  # warm up
        rows = []
        for _ in range(opts.rounds):
            b = per_call_us(plain, opts.calls, module, function, args)
            a = per_call_us(audited, opts.calls, module, function, args)
            rows.append((b, a))
        diffs = sorted(a - b for b, a in rows)
        ratios = sorted(a / b for b, a in rows)
        print(
            f"| {label} | {statistics.median(b for b, _ in rows):.1f} | "
            f"{statistics.median(a for _, a in rows):.1f} | "
            f"{statistics.median(diffs):+.2f} ({diffs[0]:+.2f}..{diffs[-1]:+.2f}) | "
            f"{statistics.median(ratios):.3f} ({ratios[0]:.3f}..{ratios[-1]:.3f}) |"
        )
    audited.close()
    plain.close()


if __name__ == "__main__":
    main()
