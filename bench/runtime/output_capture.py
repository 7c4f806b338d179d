"""Per-call cost of the end-of-call output drain, this checkout against another.

Each measurement runs in a fresh process that installs the capture over its own fd 1
and 2 (as the worker does) and counts its thread's CPU time (``CLOCK_THREAD_CPUTIME_ID``)
over a loop of calls: ``idle`` drains after each call with nothing printed (ten
times CALLS of them), ``output``
writes one 32-byte line to fd 1 and drains (so the read, the log send and, every
64 KiB, the release of read pages are in it). Rounds alternate which checkout goes
first; the summary is each side's median ns per call and the median (min-max) of
per-round ratios this/base.

    python bench/runtime/output_capture.py BASE_SRC [ROUNDS] [CALLS]   (repository root)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

LINE = b"a line of user output, 32 bytes\n"


def child(mode: str, calls: int) -> None:
    report = os.dup(1)
    from snakebridge.runtime.output import OutputCapture

    sent: list[int] = []
    capture = OutputCapture(lambda level, text: sent.append(len(text)))
    capture.install()
    drain = capture.drain
    for _ in range(1000):  # warm up
        drain()
    if mode == "idle":
        calls *= 10  # a tenth of a microsecond each: more of them for a steady figure
        begin = time.thread_time_ns()
        for _ in range(calls):
            drain()
        used = time.thread_time_ns() - begin
    else:
        write = os.write
        begin = time.thread_time_ns()
        for _ in range(calls):
            write(1, LINE)
            drain()
        used = time.thread_time_ns() - begin
        assert sum(sent) == calls * (len(LINE) - 1), "output went missing"
    os.write(report, json.dumps({"ns": used / calls}).encode() + b"\n")


def measure(src: str, mode: str, calls: int) -> float:
    env = dict(os.environ, PYTHONPATH=src)
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(calls)],
        env=env,
        capture_output=True,
        check=True,
    )
    ns: float = json.loads(done.stdout.decode().strip().splitlines()[-1])["ns"]
    return ns


def main() -> None:
    base = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    this = str(Path(__file__).resolve().parents[2] / "src")
    results: dict[str, dict[str, list[float]]] = {
        mode: {"base": [], "this": []} for mode in ("idle", "output")
    }
    for r in range(rounds):
        order = [("base", base), ("this", this)]
        if r % 2:
            order.reverse()
        for mode in ("idle", "output"):
            for side, src in order:
                results[mode][side].append(measure(src, mode, calls))
    print(f"rounds {rounds}, calls per measurement {calls}, load {os.getloadavg()[0]:.2f}")
    print("| drain per call | base ns | this ns | this/base median (min-max) |")
    print("| --- | --- | --- | --- |")
    for mode, sides in results.items():
        ratios = [t / b for t, b in zip(sides["this"], sides["base"], strict=True)]
        print(
            f"| {mode} | {statistics.median(sides['base']):.0f} "
            f"| {statistics.median(sides['this']):.0f} "
            f"| {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) |"
        )


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
