"""Bulk data through the real call path: ``.venv/bin/python bench/zerocopy/run.py``.

Runs ``run.exs`` (two real pools of one worker each, the BEAM pinned to CPU 1 and both
workers to CPU 0 with ``taskset``, read back and printed) and writes ``results.json``,
``results.md`` and ``results.png``. Every timed row is measured in the same round as
``:binary.copy/1`` of a binary of the same size (the memcpy), rounds interleave all rows
and sizes, and the tables give per-round medians with min-max.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ROUNDS = int(os.environ.get("ROUNDS", "7"))
MB = 1 << 20
SIZES = (1, 10, 100)

ROWS = {
    "to_tensor": "SnakeBridge.to_tensor/2 (worker -> reusable shm segment -> pread)",
    "worker_copy": "  its worker's part: the copy into the mapped segment (timed in the worker)",
    "materialize": "  its BEAM's part: pread of the bytes from /dev/shm (materialize/1)",
    "page_cache": "  the same pread from a regular file's page cache (root file system)",
    "read_nonraw": "  the /dev/shm read through a file server process (not raw)",
    "read_file": "  the /dev/shm read by File.read/1 (prim_file read_file)",
    "read_chunks": "  the /dev/shm read as raw preads of 1 MiB (an iolist, not joined)",
    "py_memcpy": "in the worker: memcpy into a touched buffer (numpy.copyto)",
    "py_tmpfs": "  in the worker: preadv of the /dev/shm file into that buffer",
    "py_ext4": "  in the worker: preadv of the page-cached regular file into that buffer",
    "memcpy_cold": "memcpy into a fresh destination (cold)",
    "to_tensor_cold": "SnakeBridge.to_tensor/2 into a fresh destination (cold)",
    "materialize_cold": "  its BEAM's pread from /dev/shm into a fresh destination (cold)",
    "tolist": 'method(ref, "tolist") (element by element)',
    "peer_trivial": "worker B's trivial call (operator.getitem of a 1-item list)",
    "handoff_shm": "worker A -> worker B by shm handle (B reads one element)",
    "handoff_beam": "worker A -> worker B through the BEAM (to_tensor, then a segment to B)",
    "share": "share/2 + release/1 of an array (worker places it in shm, one copy)",
    "tensor_arg": "Elixir Tensor -> numpy through a BEAM-written segment (Bulk.placed/3)",
    "tensor_arg_pipe": "Elixir Tensor -> numpy in the request frame (the pipe)",
    "share_tensor": "share/2 + release/1 of a Tensor (the BEAM writes a segment)",
}


Samples = dict[str, list[tuple[int, float]]]

# The baseline of each row that is not timed against the BEAM's warm memcpy: cold rows
# (a fresh destination binary) against the cold memcpy, the worker's reads against the
# worker's memcpy.
BASE = {
    "memcpy_cold": "memcpy_cold",
    "to_tensor_cold": "memcpy_cold",
    "materialize_cold": "memcpy_cold",
    "py_memcpy": "py_memcpy",
    "py_tmpfs": "py_memcpy",
    "py_ext4": "py_memcpy",
}


def run_beam() -> tuple[Samples, Samples, list[str]]:
    python = str(ROOT / ".venv" / "bin" / "python")
    proc = subprocess.run(
        ["mix", "run", "--no-start", "../bench/zerocopy/run.exs", python, str(ROUNDS)],
        cwd=ROOT / "elixir",
        capture_output=True,
        text=True,
        check=True,
    )
    samples: Samples = defaultdict(list)
    faults: Samples = defaultdict(list)
    info: list[str] = []
    for line in proc.stdout.splitlines():
        parts = line.split("\t")
        if parts[0] == "info":
            info.append("\t".join(parts[1:]))
        elif len(parts) == 4:
            samples[parts[0]].append((int(parts[1]), float(parts[2])))
            faults[parts[0]].append((int(parts[1]), float(parts[3])))
        elif len(parts) == 3:
            samples[parts[0]].append((int(parts[1]), float(parts[2])))
    return samples, faults, info


def rounds_of(samples: list[tuple[int, float]], size: int) -> list[float]:
    return [t for s, t in samples if s == size]


def ratio_stats(row: list[float], base: list[float]) -> tuple[float, float, float]:
    # Rows with several samples per round (the hand-off pairs) count each round's median;
    # rows with fewer rounds (tolist at 100 MB) pair with the first rounds' memcpy.
    per_round = len(row) // len(base)
    if per_round > 1 and len(row) % len(base) == 0:
        row = [statistics.median(row[i : i + per_round]) for i in range(0, len(row), per_round)]
    ratios = [b / r for r, b in zip(row, base, strict=False)]
    return statistics.median(ratios), min(ratios), max(ratios)


def tree() -> str:
    """The commit measured, and any file changed in the worktree on top of it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout

    # Porcelain lines are "XY path": the path starts at the fourth character.
    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    head = git("rev-parse", "--short", "HEAD").strip()
    return f"{head}, changed: {', '.join(changed)}" if changed else f"{head}, clean"


def main() -> None:
    measured = tree()
    load_before = os.getloadavg()
    samples, faults, info = run_beam()
    load_after = os.getloadavg()
    results: dict[str, Any] = {
        "samples": samples,
        "faults": faults,
        "info": info,
        "load_before": load_before,
        "load_after": load_after,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Linux {platform.release()}",
        "rounds": ROUNDS,
        "tree": measured,
        "versions": f"Python {platform.python_version()}, "
        + ", ".join(f"{lib} {metadata.version(lib)}" for lib in ("numpy", "pandas", "pyarrow")),
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    report(results)
    plot(results)


def fmt(x: float) -> str:
    return f"{x:.3g}"


def report(results: dict[str, Any]) -> None:
    samples = results["samples"]
    lb, la = results["load_before"], results["load_after"]
    lines = [
        "# bench/zerocopy: bulk data through the call path",
        "",
        f"Machine: {results['machine']}. {results['versions']}. Load average (1/5/15 min) before: "
        f"{lb[0]:.2f}/{lb[1]:.2f}/{lb[2]:.2f}, after: {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f}. "
        f"{results['rounds']} interleaved rounds (tolist at 100 MB and the frame rows: 3). "
        f"Tree: {results.get('tree', 'not recorded')}.",
        "",
        "Pinning: `taskset`, the BEAM on CPU 1, both workers on CPU 0 (only one works at "
        "a time); the affinities below are read back. Settings as they took effect "
        "(printed by run.exs):",
        "",
        *[f"- {line}" for line in results["info"]],
        "",
        "Each row: median time and MB/s over the rounds, and the median (min-max) of the "
        "per-round ratio to `:binary.copy/1` of a binary of the same size in the same round "
        "(1.0 = memcpy speed).",
        "",
        "Warm rows run their work once untimed and collect garbage before the timed run, "
        "so the allocator gives the destination binary the already-touched pages of the "
        "one just freed; cold rows "
        "keep every result until the size's turn ends, so each destination is fresh and "
        "takes a page fault per 4 KiB on first touch. Cold rows are timed against the cold "
        "memcpy, the worker's rows against the worker's memcpy, the rest against the warm "
        "one; the faults column (median minor faults of the BEAM per sample) shows which "
        "each BEAM sample was.",
        "",
        "| row | size | median ms | MB/s | faults | vs memcpy, median (min-max) |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for key in ("memcpy", *ROWS):
        label = ROWS.get(key, "memcpy (`:binary.copy/1`, warm)")
        for size in SIZES:
            row = rounds_of(samples.get(key, []), size)
            if not row:
                continue
            base = rounds_of(samples[BASE.get(key, "memcpy")], size)
            med, lo, hi = ratio_stats(row, base)
            t = statistics.median(row)
            counted = rounds_of(results["faults"].get(key, []), size)
            fault = f"{statistics.median(counted):,.0f}" if counted else "-"
            lines.append(
                f"| {label} | {size} MB | {t * 1e3:.2f} | {size * MB / t / 1e6:,.0f} | {fault} | "
                f"{fmt(med)} ({fmt(lo)}-{fmt(hi)}) |"
            )
    lines += [
        "",
        "Worker A -> worker B by `:shm` handle against a trivial call on worker B, 5 pairs "
        "in turn per size and round (1.0 = the hand-off costs what any call costs: O(1) "
        "in the size):",
        "",
        "| size | handoff median ms | trivial call median ms | handoff / trivial, median "
        "(min-max) |",
        "| --- | ---: | ---: | --- |",
    ]
    for size in SIZES:
        handoff = rounds_of(samples.get("handoff_shm", []), size)
        trivial = rounds_of(samples.get("peer_trivial", []), size)
        if not handoff or not trivial:
            continue
        med, lo, hi = ratio_stats(trivial, handoff)
        lines.append(
            f"| {size} MB | {statistics.median(handoff) * 1e3:.2f} | "
            f"{statistics.median(trivial) * 1e3:.2f} | {fmt(med)} ({fmt(lo)}-{fmt(hi)}) |"
        )
    frame_bytes = next(
        (int(line.split("\t")[1]) for line in results["info"] if line.startswith("frame_bytes")),
        0,
    )
    lines += [
        "",
        f"1M-row pandas frame (float64, int64, str, datetime64, category; "
        f"{frame_bytes / 1e6:.1f} MB of column data), to Elixir and back:",
        "",
        "| row | median s (min-max) | vs memcpy of the frame's bytes |",
        "| --- | --- | --- |",
    ]
    base = [t for _s, t in samples["frame_memcpy"]]
    for key, label in (
        ("frame_arrow", "SnakeBridge.to_arrow/2 (Arrow IPC stream binary)"),
        ("frame_from_arrow", "SnakeBridge.from_arrow/3 of that binary (-> pandas)"),
        ("frame_to_dict", 'to_dict("list") by value (timestamps and categories as str)'),
    ):
        row = [t for _s, t in samples[key]]
        med, lo, hi = ratio_stats(row, base)
        lines.append(
            f"| {label} | {statistics.median(row):.4f} ({min(row):.4f}-{max(row):.4f}) | "
            f"{fmt(med)} ({fmt(lo)}-{fmt(hi)}) |"
        )
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = results["samples"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for key in (
        "memcpy",
        "memcpy_cold",
        "to_tensor",
        "to_tensor_cold",
        "worker_copy",
        "materialize",
        "materialize_cold",
        "page_cache",
        "tolist",
    ):
        xs = [s for s in SIZES if rounds_of(samples.get(key, []), s)]
        ys = [s * MB / statistics.median(rounds_of(samples[key], s)) / 1e6 for s in xs]
        left.plot(xs, ys, marker="o", label=key)
    left.set(xscale="log", yscale="log", xlabel="array size (MB)", ylabel="MB/s (median)")
    left.set_title("float64 array into Elixir")
    left.legend()
    for key in (
        "peer_trivial",
        "handoff_shm",
        "handoff_beam",
        "tensor_arg",
        "tensor_arg_pipe",
        "share_tensor",
    ):
        ys = [statistics.median(rounds_of(samples[key], s)) * 1e3 for s in SIZES]
        right.plot(SIZES, ys, marker="o", label=key)
    right.set(xscale="log", yscale="log", xlabel="array size (MB)", ylabel="ms (median)")
    right.set_title("worker A -> worker B, and Elixir -> numpy")
    right.legend()
    fig.tight_layout()
    fig.savefig(HERE / "results.png", dpi=90)


if __name__ == "__main__":
    main()
