"""Where a trivial call's time goes inside the worker, stage by stage.

    .venv/bin/python bench/runtime/worker_path.py [--rounds 7] [--calls 20000]
    .venv/bin/python bench/runtime/worker_path.py --base REV [--rounds 9] [--pin CPU]
    .venv/bin/python bench/runtime/worker_path.py --bulk [--base REV] [--rounds 7]

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

``--base REV`` is a same-run A/B instead: the git revision's worker (its ``src``,
extracted to a temporary folder) and this tree's, each in a process of its own with the
audit hooks as shipped, are timed in lock step, a batch of ``calls`` of one stage in one
and then in the other (the order swapping every batch), ``rounds`` times over every
stage; each stage's ratio is the median of the per-batch ratios (this tree / base) with
their min-max. It writes ``worker_path_ab.json`` and ``worker_path_ab.md``.

``--bulk`` times 1 MB and 10 MB binary round trips from a Python driver (on CPU 0),
as the VM sends them (``operator.concat(SnakeBridge.bytes(blob), SnakeBridge.bytes(""))``,
a compact call), through a real worker process (on CPU 1) beside the raw echo with
1 MiB pipes (``echo_port.py``, on CPU 1), and ``--base``'s worker when given; the sides
take one round trip each in turn (their order rotating every round). MB/s from each
side's p50 in a round; ratios are medians of per-round ratios to the echo; CPU per round
trip from each process's ``schedstat``. It writes ``worker_path_bulk.json`` and
``worker_path_bulk.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
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


def _stages(audited: bool) -> tuple[dict[str, Any], int]:
    """A worker in this process (output capture installed, as in production) and a
    function per stage that runs it once; and the request frame's size."""
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
    return {
        "handle": lambda: worker.handle(frame),
        "decode": lambda: codec.decode_request(frame),
        "execute": lambda: worker._execute(descriptor, list(args), kwargs, numeric, session),
        "drain": capture.drain,
        "encode": lambda: codec.encode(3, _reply_head(request_id, _OK_HEAD)),
        "write": lambda: frames.write_framed(list(parts)),
    }, len(frame)


def _timed(fn: Any, calls: int) -> float:
    """Thread CPU µs per call of ``fn``, after a warm-up."""
    for _ in range(calls // 10):
        fn()
    start = time.thread_time_ns()
    for _ in range(calls):
        fn()
    return (time.thread_time_ns() - start) / calls / 1000


def child(audited: bool, calls: int) -> dict[str, float]:
    """One round in this process: per-call CPU µs of each stage."""
    stages, frame_bytes = _stages(audited)
    row = {stage: _timed(fn, calls) for stage, fn in stages.items()}
    row["frame_bytes"] = float(frame_bytes)
    return row


def serve(out: int) -> None:
    """A/B child: times ``<stage> <calls>`` lines from stdin, one answer line each."""
    stages, _ = _stages(audited=True)
    os.write(out, (" ".join(stages) + "\n").encode())
    for line in sys.stdin:
        stage, calls = line.split()
        os.write(out, f"{_timed(stages[stage], int(calls))}\n".encode())


def _extract(rev: str, into: Path) -> str:
    """``rev``'s src and bench/runtime in ``into``; returns the full commit hash."""
    commit = subprocess.run(
        ["git", "rev-parse", rev], cwd=HERE, check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src", "bench/runtime"],
        cwd=HERE.parent.parent,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def _spread(values: list[float]) -> list[float]:
    return [statistics.median(values), min(values), max(values)]


def ab(rev: str, rounds: int, calls: int, pin: str | None) -> dict[str, Any]:
    """``rev``'s worker and this tree's in two processes (on one CPU with ``pin``),
    timed in lock step: a batch of a stage in one, then the same batch in the other,
    the order swapping every batch, so both see the same machine within milliseconds.
    Both run this script (the stages use worker internals that both revisions have)."""
    with tempfile.TemporaryDirectory() as tmp:
        commit = _extract(rev, Path(tmp))
        roots = {"base": Path(tmp), "this": HERE.parent.parent}
        procs: dict[str, subprocess.Popen[str]] = {}
        for side, root in roots.items():
            cmd = [sys.executable, str(Path(__file__).resolve()), "--serve"]
            procs[side] = subprocess.Popen(
                ["taskset", "-c", pin, *cmd] if pin is not None else cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=dict(os.environ, PYTHONPATH=str(root / "src")),
            )

        def answer(side: str) -> str:
            out = procs[side].stdout
            assert out is not None
            return out.readline()

        stages = answer("this").split()
        assert answer("base").split() == stages

        def run(side: str, stage: str) -> float:
            send = procs[side].stdin
            assert send is not None
            send.write(f"{stage} {calls}\n")
            send.flush()
            return float(answer(side))

        rows: dict[str, dict[str, list[float]]] = {
            side: {stage: [] for stage in stages} for side in procs
        }
        loads = [os.getloadavg()[0]]
        try:
            for i in range(rounds):
                for j, stage in enumerate(stages):
                    for side in ("base", "this") if (i + j) % 2 == 0 else ("this", "base"):
                        rows[side][stage].append(run(side, stage))
                loads.append(os.getloadavg()[0])
        finally:
            for proc in procs.values():
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=30)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=HERE, check=True, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "bench/runtime/worker_path.py"],
        cwd=HERE.parent.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "base": commit,
        "this": head,
        "dirty": bool(dirty),
        "rounds": rounds,
        "calls": calls,
        "pin": pin,
        "load": _spread(loads),
        "stages": {
            stage: {
                "base_us": _spread(rows["base"][stage]),
                "this_us": _spread(rows["this"][stage]),
                "ratio": _spread(
                    [t / b for b, t in zip(rows["base"][stage], rows["this"][stage], strict=True)]
                ),
            }
            for stage in stages
        },
    }


def ab_table(result: dict[str, Any]) -> str:
    def triple(values: list[float], fmt: str) -> str:
        return f"{fmt.format(values[0])} ({fmt.format(values[1])}-{fmt.format(values[2])})"

    lines = [
        "# Worker path: same-run A/B",
        "",
        "Generated by `bench/runtime/worker_path.py --base "
        f"{result['base'][:10]}` on `{result['this'][:10]}`"
        + (" plus uncommitted changes" if result["dirty"] else "")
        + ". Thread CPU µs per trivial call (`operator.add(1, 2)`, the committed "
        "`request.etf`), audit hooks installed as shipped; "
        "the two workers in processes of their own, timed in lock step: "
        f"{result['rounds']} rounds of one batch of {result['calls']:,} calls per stage "
        "in each, the order swapping every batch; "
        + (f"both pinned to CPU {result['pin']}; " if result["pin"] else "unpinned; ")
        + f"load average {triple(result['load'], '{:.2f}')} (1-minute, read between rounds). "
        "Cells are medians (min-max) over rounds; the ratio is the median of per-batch "
        "ratios (this / base).",
        "",
        "| stage | base (µs) | this (µs) | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for stage, row in result["stages"].items():
        lines.append(
            f"| {stage} | {triple(row['base_us'], '{:.2f}')} | "
            f"{triple(row['this_us'], '{:.2f}')} | {triple(row['ratio'], '{:.2f}')}x |"
        )
    return "\n".join(lines) + "\n"


_BYTES = {"__struct__": "Elixir.SnakeBridge.Bytes"}


class _Peer:
    """A child process spoken to with ``{:packet, 4}`` frames over its stdin/stdout."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            ["taskset", "-c", "1", *cmd], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self._buf = bytearray(16 << 20)

    def send(self, frame: bytes) -> None:
        view = memoryview(len(frame).to_bytes(4, "big") + frame)
        while view:
            view = view[os.write(self._in, view) :]

    def recv(self) -> memoryview:
        view = memoryview(self._buf)
        got = 0
        while got < 4:
            got += os.readv(self._out, [view[got:4]])
        size = int.from_bytes(self._buf[:4], "big")
        got = 0
        while got < size:
            got += os.readv(self._out, [view[4 + got : 4 + size]])
        return view[4 : 4 + size]

    def cpu_ns(self) -> int:
        """CPU time of all the child's threads so far (``schedstat``, in ns)."""
        tasks = Path(f"/proc/{self.proc.pid}/task")
        return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks.iterdir())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _worker_peer(root: Path) -> tuple[_Peer, bytes]:
    """A worker of ``root``'s src, initialized; and the registration of ``operator.concat``."""
    from snakebridge import etf
    from snakebridge.etf import Atom

    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    peer = _Peer([sys.executable, "-m", "snakebridge.runtime.worker"], env)
    peer.send(etf.encode((Atom("init"), {Atom("libraries"): {"operator": "operator"}})))
    assert etf.decode(bytes(peer.recv()))[0] == "ready"
    descriptor = {
        Atom("call_type"): Atom("call"),
        Atom("function"): "concat",
        Atom("ledger"): False,
        Atom("library"): "operator",
        Atom("python_module"): "operator",
    }
    return peer, etf.encode((0, 9, descriptor))


def _bulk_call(blob: bytes) -> bytes:
    from snakebridge import etf
    from snakebridge.etf import Atom

    def wrap(data: bytes) -> dict[Atom, Any]:
        return {Atom("__struct__"): Atom(_BYTES["__struct__"]), Atom("data"): etf.Binary(data),
                Atom("dtype"): None, Atom("shape"): None}  # fmt: skip

    return etf.encode((123456, 9, [wrap(blob), wrap(b"")], {}, "", None))


def bulk(base: str | None, rounds: int) -> dict[str, Any]:
    """Bulk round trips: the echo, this tree's worker and ``base``'s, interleaved."""
    os.sched_setaffinity(0, {0})
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"this": HERE.parent.parent}
        commit = None
        if base is not None:
            commit = _extract(base, Path(tmp))
            roots["base"] = Path(tmp)
        echo = _Peer(
            [sys.executable, str(HERE / "echo_port.py"), "--pipe-bytes", str(1 << 20)],
            dict(os.environ),
        )
        peers: dict[str, tuple[_Peer, bytes]] = {"echo": (echo, b"")}
        for side, root in roots.items():
            peers[side] = _worker_peer(root)
        first = {side: True for side in peers}
        rows: list[dict[str, Any]] = []
        loads = [os.getloadavg()[0]]
        try:
            for mb in (1, 10):
                blob = os.urandom(mb << 20)
                call = _bulk_call(blob)
                reps = 100 if mb == 1 else 20
                for i in range(rounds):
                    names = list(peers)
                    names = names[i % len(names) :] + names[: i % len(names)]
                    row: dict[str, Any] = {"mb": mb, "round": i}
                    times: dict[str, list[float]] = {side: [] for side in names}
                    cpu: dict[str, int] = {}
                    # One round trip of each side in turn: they share the machine's
                    # moment, not just the round.
                    for rep in range(reps + 1):
                        if rep == 1:
                            cpu = {side: peers[side][0].cpu_ns() for side in names}
                        for side in names:
                            peer, registration = peers[side]
                            frame = call
                            if side != "echo" and first[side]:
                                frame, first[side] = registration + call, False
                            start = time.perf_counter()
                            peer.send(frame)
                            reply = peer.recv()
                            times[side].append(time.perf_counter() - start)
                            assert len(reply) > mb << 20
                    for side in names:
                        row[side] = mb / statistics.median(times[side][1:])
                        used = peers[side][0].cpu_ns() - cpu[side]
                        row[f"{side}_cpu_us"] = used / reps / 1000
                    rows.append(row)
                    loads.append(os.getloadavg()[0])
        finally:
            for peer, _ in peers.values():
                peer.close()
    summary: dict[str, Any] = {
        "base": commit,
        "rounds": rounds,
        "load": _spread(loads),
        "placement": "driver on CPU 0; echo and workers on CPU 1",
    }
    for mb in (1, 10):
        mine = [r for r in rows if r["mb"] == mb]
        summary[f"{mb}MB"] = {
            side: {
                "mb_s": _spread([r[side] for r in mine]),
                "of_echo": _spread([r[side] / r["echo"] for r in mine]),
                "cpu_us": _spread([r[f"{side}_cpu_us"] for r in mine]),
            }
            for side in peers
        }
        if base is not None:
            summary[f"{mb}MB"]["this"]["of_base"] = _spread([r["this"] / r["base"] for r in mine])
    return summary


def bulk_table(result: dict[str, Any]) -> str:
    def triple(values: list[float], fmt: str) -> str:
        return f"{fmt.format(values[0])} ({fmt.format(values[1])}-{fmt.format(values[2])})"

    base = result["base"]
    lines = [
        "# Worker path: bulk binary round trips",
        "",
        "Generated by `bench/runtime/worker_path.py --bulk"
        + (f" --base {base[:10]}`" if base else "`")
        + ". A Python driver sends the frame the VM sends for "
        '`operator.concat(SnakeBridge.bytes(blob), SnakeBridge.bytes(""))` (a compact '
        "call) and reads the reply; the raw echo (`echo_port.py`, 1 MiB pipes) gets the "
        f"same frame. {result['placement']}; {result['rounds']} rounds of 100 (1 MB) or 20 "
        "(10 MB) round trips per side after one warm-up, the sides taking one round trip "
        "each in turn (their order rotating every round); MB/s from a side's median in a "
        "round; cells are medians (min-max) over rounds, ratios medians of "
        "per-round ratios to the echo. CPU: the process's threads' run time "
        "(`/proc/<pid>/task/*/schedstat`) over the timed round trips. Load average "
        f"{triple(result['load'], '{:.2f}')}.",
        "",
        "| size | side | MB/s | of the echo | CPU per round trip, that process (µs) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for mb in (1, 10):
        for side, row in result[f"{mb}MB"].items():
            label = {"echo": "raw echo", "this": "this tree's worker"}.get(side, "base worker")
            lines.append(
                f"| {mb} MB | {label} | {triple(row['mb_s'], '{:.0f}')} | "
                f"{triple([100 * x for x in row['of_echo']], '{:.0f}')}% | "
                f"{triple(row['cpu_us'], '{:.0f}')} |"
            )
        if "of_base" in result[f"{mb}MB"]["this"]:
            ratio = result[f"{mb}MB"]["this"]["of_base"]
            lines.append(f"| {mb} MB | this / base, per round | | {triple(ratio, '{:.2f}')}x | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--child", choices=["audited", "plain"])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help="a git revision to A/B this tree's worker against")
    parser.add_argument("--pin", help="a CPU both sides of an A/B run on (taskset)")
    parser.add_argument("--bulk", action="store_true", help="bulk round trips instead")
    opts = parser.parse_args()
    if opts.bulk:
        result = bulk(opts.base, opts.rounds)
        (HERE / "worker_path_bulk.json").write_text(json.dumps(result, indent=1) + "\n")
        (HERE / "worker_path_bulk.md").write_text(bulk_table(result))
        print(json.dumps(result))
        return
    if opts.base:
        result = ab(opts.base, opts.rounds, opts.calls, opts.pin)
        (HERE / "worker_path_ab.json").write_text(json.dumps(result, indent=1) + "\n")
        (HERE / "worker_path_ab.md").write_text(ab_table(result))
        print(json.dumps(result))
        return
    if opts.serve:
        # The capture takes fd 1 over: the answers go out on a copy.
        serve(os.dup(1))
        return
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
