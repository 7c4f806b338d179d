"""Bulk data benchmark: ``.venv/bin/python bench/zerocopy/run.py`` (see README.md).

Every row is measured against a plain memcpy of the same number of bytes (numpy
``copyto`` into a preallocated buffer) in the same round; rounds interleave all methods
and sizes, and the table reports per-round medians with min-max. This process is pinned
to CPU 0 and the receiving process (``peer.py``) to CPU 1.

Rows:
1. array -> reply frame: ``pack`` + the worker's ETF parts encoder + writing the frame
   into a pipe that another process drains, against the ``tolist`` path (the worker's
   encoder with its numpy list hook) into the same pipe;
2. handing an array from process A to process B: an shm handle (the array already in
   shared memory) against pickling it through a pipe, plus the one-time cost of
   placing the array in shared memory;
3. a 1M-row pandas frame: Arrow IPC against ``to_dict("list")`` + ETF;
4. request bytes -> numpy: the tensor view against the current typed-binary path
   (``%SnakeBridge.Bytes{dtype}``, which copies into a bytearray);
5. (``beam.exs``, same run) materializing into Elixir: a Tensor reply through an Erlang
   port, and an shm handle read with ``ZeroCopyRef.materialize/1``, against
   ``:binary.copy/1``. A handoff A -> B *through the BEAM* comes with the wiring.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime.allowlist import Allowlist
from snakebridge.runtime.bulk import arrow
from snakebridge.runtime.bulk.service import Bulk
from snakebridge.runtime.bulk.tensors import pack
from snakebridge.runtime.bulk.wire import TENSOR_STRUCT, tensor_term
from snakebridge.runtime.store import RefStore
from snakebridge.runtime.values import Codec

HERE = Path(__file__).resolve().parent
MB = 1 << 20
SIZES_MB = (1, 10, 100)
ROUNDS = int(os.environ.get("ROUNDS", "7"))


class Peer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "peer.py"), "1"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.fd_in = self.proc.stdin.fileno()
        self.fd_out = self.proc.stdout.fileno()

    def send(self, kind: bytes, parts: list[Any]) -> float:
        """Send one frame; returns the seconds the peer spent using it once received."""
        size = sum(memoryview(p).nbytes for p in parts)
        views = [
            memoryview(struct.pack(">I", size) + kind),
            *(memoryview(p).cast("B") for p in parts),
        ]
        while views:
            written = os.writev(self.fd_in, views)
            while written:
                if written >= len(views[0]):
                    written -= len(views[0])
                    views.pop(0)
                else:
                    views[0] = views[0][written:]
                    written = 0
        reply = os.read(self.fd_out, 8)
        return float(struct.unpack(">d", reply)[0])

    def close(self) -> None:
        os.write(self.fd_in, struct.pack(">IB", 0, ord("q")))
        self.proc.wait(timeout=30)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    os.sched_setaffinity(0, {0})
    load_before = os.getloadavg()
    codec = Codec(RefStore(), Allowlist({"numpy": "numpy"}), "bench:a", "default")
    encode = etf.make_parts_encoder()
    peer = Peer()
    bulk = Bulk("bench:a")
    try:
        rng = np.random.default_rng(0)
        arrays = {mb: rng.random(mb * MB // 8) for mb in SIZES_MB}
        targets = {mb: np.empty_like(a) for mb, a in arrays.items()}
        shared = {mb: etf.encode(bulk.share(a, "bench")) for mb, a in arrays.items()}
        frames = {
            mb: etf.encode(
                {
                    Atom("__struct__"): TENSOR_STRUCT,
                    Atom("data"): etf.Binary(a.tobytes()),
                    Atom("type"): (Atom("f"), 64),
                    Atom("shape"): a.shape,
                }
            )
            for mb, a in arrays.items()
        }
        bytes_frames = {
            mb: etf.encode(
                {
                    Atom("__struct__"): Atom("Elixir.SnakeBridge.Bytes"),
                    Atom("data"): etf.Binary(a.tobytes()),
                    Atom("dtype"): "float64",
                    Atom("shape"): a.shape,
                }
            )
            for mb, a in arrays.items()
        }
        read_tensor = etf.whole_term(
            etf.make_reader(
                struct_hook=lambda t: bulk.struct_in(t, "bench"),
                raw_binary_structs=frozenset({TENSOR_STRUCT}),
            )
        )
        frame = make_frame(1_000_000)
        frame_bytes = frame.memory_usage(deep=True).sum()
        frame_copy = np.empty(int(frame_bytes), dtype=np.uint8)
        frame_src = np.ones(int(frame_bytes), dtype=np.uint8)
        ipc_bytes = bytes(arrow.to_ipc(frame))

        samples: dict[str, list[float]] = {}

        def add(key: str, value: float) -> None:
            samples.setdefault(key, []).append(value)

        # Warm-up, untimed: first touches of the copy targets, the peer's buffer and mappings.
        for mb in SIZES_MB:
            np.copyto(targets[mb], arrays[mb])
            peer.send(b"d", encode(tensor_term(pack(arrays[mb]))))
            peer.send(b"h", [shared[mb]])
            peer.send(b"p", [pickle.dumps(arrays[mb], protocol=5)])
        np.copyto(frame_copy, frame_src)

        view_is_base = True
        for _round in range(ROUNDS):
            for mb in SIZES_MB:
                a = arrays[mb]
                memcpy = timed(lambda a=a, mb=mb: np.copyto(targets[mb], a))
                add(f"memcpy/{mb}", memcpy)
                add(
                    f"tensor/{mb}", timed(lambda a=a: peer.send(b"d", encode(tensor_term(pack(a)))))
                )
                add(f"tensor_encode/{mb}", timed(lambda a=a: encode(tensor_term(pack(a)))))
                if mb <= 10 or _round < 3:  # tolist at 100 MB takes seconds: three rounds suffice
                    add(
                        f"tolist/{mb}", timed(lambda a=a: peer.send(b"d", codec.encode(a.tolist())))
                    )
                    add(f"tolist_memcpy/{mb}", memcpy)
                add(
                    f"share_once/{mb}",
                    timed(lambda a=a: bulk.release(etf.decode(etf.encode(bulk.share(a, "b"))))),
                )
                start = time.perf_counter()
                add(f"receiver_shm/{mb}", peer.send(b"h", [shared[mb]]))
                add(f"handoff_shm/{mb}", time.perf_counter() - start)
                start = time.perf_counter()
                add(f"receiver_pickle/{mb}", peer.send(b"p", [pickle.dumps(a, protocol=5)]))
                add(f"handoff_pickle/{mb}", time.perf_counter() - start)
                add(f"view/{mb}", timed(lambda mb=mb: read_tensor(frames[mb])))
                add(f"bytes_copy/{mb}", timed(lambda mb=mb: codec.decode(bytes_frames[mb])))
                view_is_base = view_is_base and read_tensor(frames[mb]).base is frames[mb]
            add("frame_memcpy", timed(lambda: np.copyto(frame_copy, frame_src)))
            add("arrow_ipc", timed(lambda: arrow.to_ipc(frame)))
            add("arrow_read", timed(lambda: arrow.from_ipc(ipc_bytes, "pandas")))
            if _round < 3:
                add("to_dict", timed(lambda: etf.encode(frame.to_dict("list"), default=str)))
    finally:
        peer.close()
        bulk.close()  # a failed run must not leave its segments in /dev/shm
    beam = beam_samples()
    load_after = os.getloadavg()
    results = {
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_after,
        "rounds": ROUNDS,
        "pinning": "run.py on CPU 0 (sched_setaffinity), peer.py on CPU 1",
        "view_is_frame_base": view_is_base,
        "frame_rows": len(frame),
        "frame_bytes": int(frame_bytes),
        "ipc_bytes": len(ipc_bytes),
        "samples": samples,
        "beam_samples": beam,
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    report(results)


def beam_samples() -> dict[str, list[float]]:
    """The BEAM rows (beam.exs), its process on CPU 1 and its Python peer on CPU 0."""
    out = subprocess.run(
        ["mix", "run", "--no-start", str(HERE / "beam.exs"), sys.executable, str(ROUNDS), "0"],
        cwd=HERE.parents[1] / "elixir",
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {1}),
    ).stdout
    samples: dict[str, list[float]] = {}
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) == 3:
            samples.setdefault(f"{fields[0]}/{fields[1]}", []).append(float(fields[2]))
    return samples


def make_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "x": rng.random(rows),
            "n": rng.integers(0, 1 << 40, rows),
            "name": pd.Series([f"item{i % 1000}" for i in range(rows)], dtype="str"),
            "when": pd.date_range("2024-01-01", periods=rows, freq="s"),
            "city": pd.Categorical(rng.choice(["Paris", "Lima", "Oslo"], rows)),
        }
    )


def machine() -> dict[str, Any]:
    import polars
    import pyarrow

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "polars": polars.__version__,
        "kernel": platform.release(),
    }


def report(results: dict[str, Any]) -> None:
    samples = results["samples"]

    def per_round(method: str, base: str, mb: int | None) -> tuple[float, float, float, float]:
        suffix = f"/{mb}" if mb is not None else ""
        times = samples[method + suffix]
        bases = samples[base + suffix][: len(times)]
        ratios = [b / t for b, t in zip(bases, times, strict=True)]
        size = (mb * MB) if mb is not None else results["frame_bytes"]
        return (
            size / statistics.median(times) / MB,
            statistics.median(ratios),
            min(ratios),
            max(ratios),
        )

    lines = [
        "# bench/zerocopy: Python half",
        "",
        f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"Linux {results['machine']['kernel']}. Python {results['machine']['python']}, numpy "
        f"{results['machine']['numpy']}, pandas {results['machine']['pandas']}, pyarrow "
        f"{results['machine']['pyarrow']}, polars {results['machine']['polars']}.",
        f"Load average (1/5/15 min) before: {fmt_load(results['load_before'])}, after: "
        f"{fmt_load(results['load_after'])}. {results['rounds']} interleaved rounds "
        "(tolist at 100 MB and to_dict: 3); pinning: " + results["pinning"] + ".",
        "",
        "Each row: median MB/s over the rounds, and the median (min-max) of the per-round ratio "
        "to a plain memcpy of the same bytes measured in the same round (1.0 = memcpy speed; "
        "above 1 means faster than copying the data once).",
        "",
        "| row | size | MB/s | vs memcpy, median (min-max) |",
        "| --- | --- | ---: | --- |",
    ]
    rows = [
        ("array -> frame written to a pipe (pack + ETF parts + writev)", "tensor"),
        ("array -> ETF parts only (no bytes move: O(1))", "tensor_encode"),
        ("array -> tolist + ETF (current path) to the same pipe", "tolist"),
        ("placing the array in shared memory (one copy, once)", "share_once"),
        ("handoff A -> B by shm handle (already shared)", "handoff_shm"),
        ("handoff A -> B by pickle through a pipe", "handoff_pickle"),
        ("request bytes -> numpy view (Tensor)", "view"),
        ("request bytes -> numpy (current typed binary, copies)", "bytes_copy"),
    ]
    for label, key in rows:
        for mb in SIZES_MB:
            base = "tolist_memcpy" if key == "tolist" else "memcpy"
            speed, med, low, high = per_round(key, base, mb)
            lines.append(f"| {label} | {mb} MB | {speed:,.0f} | {med:.3g} ({low:.3g}-{high:.3g}) |")
    beam = results["beam_samples"]
    lines += [
        "",
        "Materializing a float64 array into Elixir (the BEAM on CPU 1, its Python peer on CPU 0; "
        "`:binary.copy/1` of the same size is the memcpy, in the same round):",
        "",
        "| row | size | MB/s | vs memcpy, median (min-max) |",
        "| --- | --- | ---: | --- |",
    ]
    for label, key in [
        ("memcpy (`:binary.copy/1`)", "memcpy"),
        ("Tensor reply through the Erlang port, decoded", "port"),
        ("shm handle, `ZeroCopyRef.materialize/1` (File.read)", "shm"),
    ]:
        for mb in SIZES_MB:
            times, bases = beam[f"{key}/{mb}"], beam[f"memcpy/{mb}"]
            ratios = [b / t for b, t in zip(bases, times, strict=True)]
            lines.append(
                f"| {label} | {mb} MB | {mb / statistics.median(times):,.0f} | "
                f"{statistics.median(ratios):.3g} ({min(ratios):.3g}-{max(ratios):.3g}) |"
            )
    lines.append("")
    lines.append(
        f"1M-row pandas frame ({results['frame_bytes'] / MB:.0f} MB in memory; columns float64, "
        f"int64, str, datetime64, category; IPC stream {results['ipc_bytes'] / MB:.0f} MB):"
    )
    lines.append("")
    lines.append("| row | median s (min-max) | vs memcpy of the frame's bytes |")
    lines.append("| --- | --- | --- |")
    for label, key in [
        ("Arrow IPC stream (to_arrow)", "arrow_ipc"),
        ("Arrow IPC -> pandas (from_arrow)", "arrow_read"),
        ("to_dict('list') + ETF (timestamps via str())", "to_dict"),
    ]:
        times = samples[key]
        bases = samples["frame_memcpy"][: len(times)]
        ratios = [b / t for b, t in zip(bases, times, strict=True)]
        lines.append(
            f"| {label} | {statistics.median(times):.4f} ({min(times):.4f}-{max(times):.4f}) | "
            f"{statistics.median(ratios):.3g} ({min(ratios):.3g}-{max(ratios):.3g}) |"
        )
    lines += [
        "",
        f"No copy from request bytes to numpy: the decoded array's `.base` is the frame's "
        f"`bytes` object in every round and size: **{results['view_is_frame_base']}**.",
        "",
        "Handoff A -> B, median (min-max) per size: the round trip (A sends, B receives, uses "
        "the array, answers) and B's own work once the message is in (decode + map + read one "
        "element, or unpickle + read one element):",
        "",
        "| size | shm round trip | shm, B's work | pickle round trip | pickle, B's work |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {mb} MB | "
            + " | ".join(
                ms(samples[f"{key}/{mb}"])
                for key in ("handoff_shm", "receiver_shm", "handoff_pickle", "receiver_pickle")
            )
            + " |"
            for mb in SIZES_MB
        ),
    ]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    plot(results)
    print("\n".join(lines))


def ms(times: list[float]) -> str:
    return (
        f"{statistics.median(times) * 1e3:.3g} ms ({min(times) * 1e3:.3g}-{max(times) * 1e3:.3g})"
    )


def fmt_load(load: list[float] | tuple[float, ...]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = results["samples"]
    panels = [
        (
            "Arrays: MB/s (median), memcpy as the baseline",
            "MB/s",
            lambda key, mb: mb / statistics.median(samples[f"{key}/{mb}"]),
            [
                ("memcpy", "memcpy (baseline)"),
                ("tensor", "tensor frame to pipe"),
                ("tolist", "tolist + ETF to pipe"),
                ("view", "bytes -> numpy view"),
                ("bytes_copy", "bytes -> numpy, current copy"),
            ],
        ),
        (
            "Handing an array from process A to B",
            "ms (median)",
            lambda key, mb: statistics.median(samples[f"{key}/{mb}"]) * 1e3,
            [
                ("handoff_shm", "shm handle, round trip"),
                ("receiver_shm", "shm handle, B's work (map + read)"),
                ("handoff_pickle", "pickle through a pipe, round trip"),
                ("share_once", "placing in shm (once)"),
            ],
        ),
    ]
    beam = results["beam_samples"]
    panels.append(
        (
            "Materializing into Elixir (BEAM)",
            "MB/s",
            lambda key, mb: mb / statistics.median(beam[f"{key}/{mb}"]),
            [
                ("memcpy", "memcpy (:binary.copy)"),
                ("port", "Tensor through the port"),
                ("shm", "shm handle, File.read"),
            ],
        )
    )
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
    for axis, (title, unit, value, series) in zip(axes, panels, strict=True):
        for key, label in series:
            axis.plot(SIZES_MB, [value(key, mb) for mb in SIZES_MB], marker="o", label=label)
        axis.set(xscale="log", yscale="log", xlabel="array size (MB)", ylabel=unit, title=title)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "results.png", dpi=110)


if __name__ == "__main__":
    main()
