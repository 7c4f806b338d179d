"""Run the runtime benchmark and render its table and plot.

    .venv/bin/python bench/runtime/run.py            # full run (about 8 minutes)
    .venv/bin/python bench/runtime/run.py --report   # re-render from the saved results

The measurement is ``bench.exs`` (Elixir, run with ``mix run`` in ``elixir/``; it writes
``results.etf`` and ``request.etf``, the exact request frame it sent) and
``worker_path.py`` (the worker's own stages on that frame; it writes
``worker_path.json``); ``bench.exs`` runs the crash barrier's rows (``crash.exs``) last,
in the same VM. This script renders them to ``results.md`` and ``results.png``.
Every SnakeBridge figure sits beside the raw port echo measured in the same run; ratios
are medians of per-round ratios, with their min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from snakebridge import etf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results.etf"
STAGES = HERE / "worker_path.json"


def run_bench(churn: int, rounds: int) -> None:
    env = dict(os.environ, SNAKEBRIDGE_PYTHON=sys.executable, CHURN=str(churn), ROUNDS=str(rounds))
    load_before = os.getloadavg()
    subprocess.run(
        ["mix", "run", str(HERE / "bench.exs")], cwd=ROOT / "elixir", env=env, check=True
    )
    out = subprocess.run(
        [sys.executable, str(HERE / "worker_path.py"), "--rounds", str(rounds)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    stages = json.loads(out.strip().splitlines()[-1])
    stages["load_before_bench"] = list(load_before)
    STAGES.write_text(json.dumps(stages, indent=1) + "\n")


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """Median (min-max)."""
    ordered = sorted(values)
    med = statistics.median(ordered)
    return f"{fmt.format(med)} ({fmt.format(ordered[0])}-{fmt.format(ordered[-1])})"


def med(values: list[float]) -> float:
    return float(statistics.median(values))


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def latency_rows(results: dict[Any, Any]) -> list[tuple[str, ...]]:
    rows = []
    targets = {"same": 2.0, "cross": 1.6}
    for placement in ("same", "cross"):
        batch = [r for r in results["latency"] if str(r["placement"]) == placement]
        echo = [r["echo"]["p50_us"] for r in batch]
        call = [r["call"]["p50_us"] for r in batch]
        ratios = [c / e for c, e in zip(call, echo, strict=True)]
        where = "VM and worker on CPU 0" if placement == "same" else "VM on CPU 0, worker on 1"
        target = targets[placement]
        rows.append((f"trivial call p50 (µs), {placement} CPU ({where})", spread(echo, "{:.1f}"),
                     spread(call, "{:.1f}"), spread(ratios) + "x echo", f"≤ {target}x",
                     _ok(med(ratios) <= target)))  # fmt: skip
    for placement in ("same", "cross"):
        batch = [r for r in results["latency"] if str(r["placement"]) == placement]
        if "relay" not in batch[0]:
            continue
        echo = [r["echo"]["p50_us"] for r in batch]
        relay = [r["relay"]["p50_us"] for r in batch]
        cpu = [r["relay"]["vm_cpu_us"] - r["echo"]["vm_cpu_us"] for r in batch]
        rows.append((f"the pool's hops: echo through a relay process, p50 (µs), {placement} CPU",
                     spread(echo, "{:.1f}"), spread(relay, "{:.1f}") + " (relay)",
                     spread([r / e for r, e in zip(relay, echo, strict=True)]) + "x echo; "
                     f"+{med([r - e for r, e in zip(relay, echo, strict=True)]):.1f} µs, "
                     f"VM CPU +{med(cpu):.1f} µs", "", ""))  # fmt: skip
    for placement in ("same", "cross"):
        batch = [r for r in results["latency"] if str(r["placement"]) == placement]
        echo = [r["echo"]["vm_cpu_us"] + r["echo"]["py_cpu_us"] for r in batch]
        call = [r["call"]["vm_cpu_us"] + r["call"]["py_cpu_us"] for r in batch]
        split = (f"VM {med([r['call']['vm_cpu_us'] for r in batch]):.1f} + Python "
                 f"{med([r['call']['py_cpu_us'] for r in batch]):.1f}")  # fmt: skip
        rows.append((f"CPU per trivial call (µs), VM + Python, {placement} CPU",
                     spread(echo, "{:.1f}"), f"{spread(call, '{:.1f}')}: {split}",
                     spread([c / e for c, e in zip(call, echo, strict=True)]) + "x echo",
                     "≤ 17 µs", _ok(med(call) <= 17)))  # fmt: skip
    return rows


def throughput_rows(results: dict[Any, Any]) -> list[tuple[str, ...]]:
    tput = results["throughput"]
    one = [r["one"]["rate"] for r in tput]
    flat = [r["unpipelined"]["rate"] for r in tput]
    two = [r["two"]["rate"] for r in tput]
    scale = [r["two"]["rate"] / r["one"]["rate"] for r in tput]
    echo_scale = [r["echo_two"] / r["echo_one"] for r in tput]
    cpu = results["cpu_bound"]
    plain_scale = [r["plain_two"] / r["plain_one"] for r in cpu]
    ceiling = min(med(echo_scale), med(plain_scale))

    cpus = results["settings"]["schedulers"]
    two_cpu = [r["two"]["cpu_us"] for r in tput]
    bound = cpus * 1e6 / med(two_cpu)
    # CPUs one worker's row keeps busy (VM + worker): a second worker can only use what is
    # left, so 2 workers reach at most cpus / used times one worker at the same CPU per call.
    used = [r["one"]["rate"] * r["one"]["cpu_us"] / 1e6 for r in tput]

    # The CPU per call at which 2 workers could reach 1.7x one worker's rate on this host.
    needed = [cpus * 1e6 / (1.7 * r["one"]["rate"]) for r in tput]

    def cpu_of(key: str) -> str:
        return spread([r[key]["cpu_us"] for r in tput], "{:.1f}")

    def split_of(key: str) -> str:
        vm = med([r[key]["vm_us"] for r in tput])
        return f"VM {vm:.1f} + Python {med([r[key]['py_us'] for r in tput]):.1f}"

    rows = [
        ("calls/s, 8 callers, 1 worker, pipelined (default)", "", spread(one, "{:,.0f}"),
         spread([r["one"]["rate"] / r["echo_one"] for r in tput]) + "x 1 echo process; "
         + spread([o / f for o, f in zip(one, flat, strict=True)]) + "x unpipelined",
         "≥ 2x today's", ""),
        ("calls/s, 8 callers, 1 worker, `pipeline: 1` (as before)", "", spread(flat, "{:,.0f}"),
         spread([r["unpipelined"]["rate"] / r["echo_one"] for r in tput]) + "x 1 echo process",
         "", ""),
        ("CPU per call (µs, VM + workers) at 8 callers: 1 pipelined / unpipelined / 2 workers",
         "", f"{cpu_of('one')} / {cpu_of('unpipelined')} / {cpu_of('two')}",
         f"1 pipelined: {split_of('one')}; 2 workers: {split_of('two')}", "", ""),
        ("calls/s, 8 callers, 2 workers", "", spread(two, "{:,.0f}"), spread(scale) + "x 1 worker",
         "≥ 1.7x 1 worker, where the host scales that far",
         _ok(med(scale) >= min(1.7, ceiling))),
        # What 2 workers could reach at all: the host's CPUs over what one call costs.
        (f"ceiling from CPU per call: {cpus} CPUs x 1,000,000 µs / {med(two_cpu):.1f} µs "
         "(CPU per call, 2 workers)", "", f"{bound:,.0f} calls/s",
         f"2 workers reach {med(two) / bound:.0%} of it", "", ""),
        (f"CPUs busy with 1 worker (calls/s x CPU per call, VM + worker), of {cpus}", "",
         spread(used, "{:.2f}"),
         f"2 workers can reach at most {cpus / med(used):.2f}x 1 worker at its CPU per call",
         "", ""),
        (f"CPU per call (µs, VM + workers) at which 2 workers could reach 1.7x 1 worker: "
         f"{cpus} CPUs x 1,000,000 µs / (1.7 x 1 worker's calls/s)", "", spread(needed, "{:.1f}"),
         f"{med(two_cpu) / med(needed):.2f}x that is spent now (2 workers)", "", ""),
        ("ceiling: 1 → 2 echo processes (one Elixir driver each)",
         f"{med([r['echo_one'] for r in tput]):,.0f} → {med([r['echo_two'] for r in tput]):,.0f}",
         "", spread(echo_scale) + "x", "", ""),
        ("floor: a pipelined relay (one process owning 1 → 2 echo ports, no depth limit), "
         "8 callers; CPU per call VM + echo processes",
         f"{med([r['floor_one']['rate'] for r in tput]):,.0f} → "
         f"{med([r['floor_two']['rate'] for r in tput]):,.0f}; "
         f"{cpu_of('floor_one')} → {cpu_of('floor_two')} µs", "",
         spread([r["floor_two"]["rate"] / r["floor_one"]["rate"] for r in tput]) + "x; "
         f"2 echo processes: {split_of('floor_two')}", "", ""),
        ("ceiling: 1 → 2 plain Python processes (PBKDF2, no BEAM)",
         f"{med([r['plain_one'] for r in cpu]):,.0f} → {med([r['plain_two'] for r in cpu]):,.0f}",
         "", spread(plain_scale) + "x", "", ""),
        ("calls/s, 8 callers, CPU-bound call (PBKDF2 2,000 rounds): 1 → 2 workers", "",
         f"{med([r['one'] for r in cpu]):,.0f} → {med([r['two'] for r in cpu]):,.0f}",
         spread([r["two"] / r["one"] for r in cpu]) + "x", "", ""),
    ]  # fmt: skip
    return rows


def bulk_rows(results: dict[Any, Any]) -> list[tuple[str, ...]]:
    rows = []
    for mb in (1, 10):
        batch = [r for r in results["bulk"] if r["mb"] == mb]
        call = [r["call_mb_s"] for r in batch]
        # The worker's pipes hold 1 MiB: the echo with pipes as large is the like-for-like
        # baseline, the one with the default 64 KiB pipes shows what the capacity is worth.
        for key, pipes, target in (
            ("echo_mb_s", "64 KiB", False),
            ("wide_echo_mb_s", "1 MiB", True),
        ):
            echo = [r[key] for r in batch]
            ratios = [c / e for c, e in zip(call, echo, strict=True)]
            rows.append((f"{mb} MB binary round trip (MB/s), echo with {pipes} pipes",
                         spread(echo, "{:,.0f}"), spread(call, "{:,.0f}"),
                         spread([r * 100 for r in ratios], "{:.0f}") + "% of echo",
                         "≥ 90%" if target else "",
                         _ok(med(ratios) >= 0.9) if target else ""))  # fmt: skip
    return rows


def placed_rows(results: dict[Any, Any]) -> list[tuple[str, ...]]:
    placed = results["placed"]
    extra = [r["placed"] - r["direct"] for r in placed]
    same = [r for r in results["latency"] if str(r["placement"]) == "same"]
    call_ns = med([r["call"]["p50_us"] for r in same]) * 1000
    return [
        ("`SnakeBridge.Bulk.placed/3` around a trivial call's arguments (ns per call; raw "
         "column: the same function called directly)",
         spread([r["direct"] for r in placed], "{:.0f}"),
         spread([r["placed"] for r in placed], "{:.0f}"),
         f"+{med(extra):.0f} ns = {med(extra) / call_ns:.2%} of the trivial call's p50 "
         "(same CPU)", "", ""),
    ]  # fmt: skip


def other_rows(results: dict[Any, Any]) -> list[tuple[str, ...]]:
    samples = results["churn_samples"]
    first_rss, last_rss = samples[0][1], samples[-1][1]
    growth = (last_rss - first_rss) / first_rss
    release_start, release_end = results["release_rss"]
    release_growth = (release_end - release_start) / release_start
    sums = {
        kind: [r for r in results["numpy_sum"] if r["kind"] == kind] for kind in ("floats", "ints")
    }

    def numpy_row(kind: str, label: str, target: str) -> tuple[str, ...]:
        rows = sums[kind]
        return (
            f"10,000-{label} list into `numpy.sum`, p50 (µs); raw column: the wide echo "
            "of the same list",
            spread([r["echo_p50_us"] for r in rows], "{:.0f}"),
            spread([r["p50_us"] for r in rows], "{:.0f}"),
            spread([r["ratio"] for r in rows]) + "x echo",
            target,
            "",
        )

    return [
        # The old figure (121 µs) was another host's: from this run on the row is judged
        # by its ratio to the same list's echo, which a later run compares against.
        numpy_row("floats", "float", "no regression (judged by the ratio; first run of it)"),
        numpy_row("ints", "int", ""),
        (f"ref churn: {results['churn_calls']:,} calls creating and dropping an array, "
         "worker RSS (KiB)", "", f"{first_rss:,} → {last_rss:,}", f"{growth:+.1%}", "≤ +10%",
         _ok(growth <= 0.10)),
        (f"ref churn with `release/1` after each of {results['release_calls']:,} calls, "
         "worker RSS (KiB)", "", f"{release_start:,} → {release_end:,}",
         f"{release_growth:+.1%}", "≤ +10%", _ok(release_growth <= 0.10)),
    ]  # fmt: skip


def _crash_ratio(rounds: list[Any], num: str, den: str, field: str) -> tuple[float, float, float]:
    ratios = [r[num][field] / r[den][field] for r in rounds]
    return med(ratios), min(ratios), max(ratios)


def crash_lines(crash: dict[Any, Any], load_before: str) -> list[str]:
    rounds, sizes = crash["rounds"], crash["sizes"]

    def cell(variant: str, field: str) -> str:
        return f"{med([r[variant][field] for r in rounds]) / 1000:,.3f}"

    rows: list[tuple[str, str | None, tuple[str, str] | None]] = [
        ("crash -> next call, no spare (ms)", "cold", None),
        ("crash -> next call, 1 warm spare (ms)", "warm", ("warm", "cold")),
        ("bystander, quiet pool (ms)", "quiet", None),
        ("bystander, crashes in a loop on another pool (ms)", "apart", ("apart", "quiet")),
        ("bystander, crashes in a loop on its own pool (ms)", "storm", ("storm", "quiet")),
        ("... the same, against crashes on another pool", None, ("storm", "apart")),
        ("trivial call, heartbeats off (ms)", "nobeat", None),
        (f"trivial call, heartbeat every {sizes['heartbeat_ms']} ms (ms)", "beat",
         ("beat", "nobeat")),
    ]  # fmt: skip
    lines = [
        "Medians over rounds of each round's p50 / p99 / max. Ratios are the median of",
        "per-round ratios (min-max) against the nearest row above marked baseline; a row",
        "starting with ... compares the row above it with the one it names.",
        "",
        "| measurement | p50 | p99 | max | p50 ratio | p99 ratio |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for label, variant, against in rows:
        if against:
            p50 = "{:.2f} ({:.2f}-{:.2f})".format(*_crash_ratio(rounds, *against, "p50_us"))
            p99 = "{:.2f} ({:.2f}-{:.2f})".format(*_crash_ratio(rounds, *against, "p99_us"))
        else:
            p50 = p99 = "baseline"
        if variant is None:
            lines.append(f"| {label} | | | | {p50} | {p99} |")
        else:
            lines.append(f"| {label} | {cell(variant, 'p50_us')} | {cell(variant, 'p99_us')} | "
                         f"{cell(variant, 'max_us')} | {p50} | {p99} |")  # fmt: skip
    warm = med([r["warm"]["p50_us"] for r in rounds]) / 1000
    storm_p99 = _crash_ratio(rounds, "storm", "quiet", "p99_us")
    crashes = [r["storm_crashes"] for r in rounds]
    apart = [r["apart_crashes"] for r in rounds]
    calls = [r["storm"]["n"] for r in rounds]
    failed = sum(sum(r["failed"].values()) for r in rounds)
    seconds = sizes["bystander_ms"] / 1000
    return [
        *lines,
        "",
        f"Targets: crash -> next call with a spare ≤ 20 ms p50: {warm:.1f} ms, "
        + ("met" if warm <= 20 else "**not met**")
        + "; a bystander's p99 during a crash storm within 2x its quiet p99: "
        + "{:.2f}x (rounds {:.2f}-{:.2f}), ".format(*storm_p99)
        + ("met" if storm_p99[0] <= 2 else "**not met**")
        + (" in every round" if storm_p99[2] <= 2 else ", not in every round")
        + ". The row against crashes on another pool separates what the pool does from "
        "what the machine pays for starting interpreters.",
        "",
        f"Rounds: {len(rounds)}, after the call-path rows in the same VM (load average then "
        f"{load_before}); per round {sizes['restarts']} crashes per restart variant, bystander "
        f"calls back to back for {seconds:g} s per bystander variant, {sizes['trivial']:,} "
        "trivial calls per heartbeat variant. Pools (read back): "
        f"{sizes['cold']} worker without spare, {sizes['warm_spares']} spare for the warm one; "
        f"{sizes['storm']} workers + {sizes['storm_spares']} spare for each bystander pool; 1 "
        f"worker per heartbeat pool (heartbeat {sizes['heartbeat_ms']} ms, or "
        f"{'off' if sizes['heartbeat_off'] is False else sizes['heartbeat_off']}). Circuits "
        "disabled so every crash costs a worker. Crash "
        f"storms: on the bystander's own pool {min(crashes)}-{max(crashes)} crashes per round "
        f"({min(crashes) / seconds:.0f}-{max(crashes) / seconds:.0f} per second) while the "
        f"bystander made {min(calls):,}-{max(calls):,} calls; on another pool "
        f"{min(apart)}-{max(apart)}. Bystander calls that failed, all rounds: {failed}. "
        f"Unpinned: the VM and its workers on CPUs 0-1 ({crash['affinity']}).",
    ]


def stage_lines(stages: dict[str, Any]) -> list[str]:
    names = [("decode", "decode the request frame (`Codec.decode_request`)"),
             ("execute", "checks + dispatch + `operator.add` (`Worker._execute`)"),
             ("drain", "end-of-call output drain (`OutputCapture.drain`)"),
             ("encode", "encode the reply (`Codec.encode`)"),
             ("write", "write the reply frame (`FrameIO.write_framed`, to /dev/null)"),
             ("handle", "the whole `Worker.handle` (all of the above)")]  # fmt: skip
    lines = [
        "| worker stage (thread CPU µs per call) | with audit hooks (as shipped) | without |",
        "| --- | ---: | ---: |",
    ]
    for key, label in names:
        lines.append(f"| {label} | {_triple(stages['audited'][key])} | "
                     f"{_triple(stages['plain'][key])} |")  # fmt: skip
    hooks = stages["audit_hooks_us"]
    lines += [
        "",
        f"Audit hooks: {hooks[0]:+.2f} µs per `handle` (median of {stages['rounds']} "
        f"rounds, {hooks[1]:+.2f} to {hooks[2]:+.2f}); request frame "
        f"{stages['audited']['frame_bytes'][0]:.0f} bytes; load average {stages['load']:.1f} "
        "when this part ran.",
    ]
    return lines


def _triple(values: list[float]) -> str:
    return f"{values[0]:.2f} ({values[1]:.2f}-{values[2]:.2f})"


def render(results: dict[Any, Any], stages: dict[str, Any] | None) -> str:
    settings = results["settings"]
    env = results["env"]
    rows = latency_rows(results) + placed_rows(results) + throughput_rows(results)
    rows += bulk_rows(results) + other_rows(results)
    pins = [
        ", ".join(f"{k} on {v}" for k, v in sorted(r["pins"].items()))
        for r in results["latency"][:2]
    ]
    lines = [
        "# Runtime benchmark",
        "",
        "Generated by `bench/runtime/run.py` (measurement: `bench/runtime/bench.exs` and",
        "`bench/runtime/worker_path.py`). The baseline is the project's raw port echo",
        "(`echo_port.py`: a Python process echoing `{:packet, 4}` frames, no decoding), run",
        "in the same VM, in the same rounds, on the same request term (the echo's Elixir side",
        "encodes it and decodes the echoed bytes, as any port bridge must). Cells are",
        "medians over rounds with (min-max); ratios are medians of per-round ratios.",
        "",
        "| measure | raw echo | SnakeBridge | ratio | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
        "",
        "Settings measured (read back in the run, not assumed): pool sizes "
        f"{settings['pool_sizes']['one']}, {settings['pool_sizes']['two']} and "
        f"{settings['pool_sizes']['unpipelined']} workers, pipelined-relay floor "
        f"{' and '.join(map(str, settings['floor_processes']))} echo processes, pipeline depth "
        f"{settings['pipeline']['one']} (unpipelined pool: {settings['pipeline']['unpipelined']}); "
        f"pinning (`taskset -a -p`, read back from /proc/<pid>/status): same CPU {pins[0]}, "
        f"cross CPU {pins[1]}; bulk and numpy.sum rows cross CPU; throughput, CPU-bound, "
        "ceiling and churn rows unpinned (CPUs 0-1); pipe capacities "
        f"(F_GETPIPE_SZ of each pipe fd) worker `{settings['worker_pipes']}`, echo "
        f"`{settings['echo_pipes']}`, wide echo `{settings['wide_echo_pipes']}`; request frame "
        f"{settings['request_bytes']} bytes; "
        f"{settings['rounds']} rounds; {settings['schedulers']} schedulers, default VM flags.",
        "",
        "Method: latency = per round and placement, 2,000 sequential round trips per side",
        "(echo, relay, SnakeBridge; their order rotates every round), p50 per batch. The",
        "relay is a GenServer owning an echo port that forwards frames and reply bytes like",
        "the pool (caller -> process -> port -> process -> caller). CPU per",
        "call = the batch's delta of the first field of /proc/<pid>/task/*/schedstat (ns on",
        "CPU, every thread) for the VM and for the worker (or the echo), over the batch's",
        "calls; the VM's figure includes its schedulers' busy-waiting, for the echo too.",
        "Throughput = 8 caller processes x 2,000 calls, CPU per call from schedstat of the",
        "VM and the pool's workers over the batch; the echo ceiling runs 16,000 round",
        "trips through 1 echo process or 8,000 through each of 2, one Elixir process",
        "driving each; the pipelined-relay floor is 8 callers x 2,000 round trips through",
        "one GenServer that owns 1 or 2 echo ports (`Bench.PipelinedRelay`: frames written",
        "at once, replies handed back undecoded in order, callers decode); the plain-Python",
        "ceiling is `ceiling.py` (PBKDF2 in 1 and in 2",
        "processes, no BEAM). Bulk = 20 (1 MB) or 4 (10 MB) round trips per side (echo,",
        "wide echo, SnakeBridge; order rotating) and",
        'round of random bytes through `operator.concat(data, b"")` (returns the same',
        "object), MB/s from the batch p50. numpy.sum = 200 calls per round and list,",
        "beside 200 round trips of the same list through the wide echo (order alternating).",
        "Churn =",
        "`numpy.zeros(100)` per call, refs dropped by ending the session every 1,000 calls,",
        "RSS read by the worker from /proc. `placed/3` = 200,000 calls per side and round,",
        "VM on CPU 0, order alternating.",
        "",
    ]
    if stages is not None:
        lines += ["## Inside the worker", "", *stage_lines(stages), ""]
    lines += ["## Crash barrier", "", *crash_lines(results["crash"], results["load_after"]), ""]
    lines += [
        "Per-round p50 (µs), echo / SnakeBridge: "
        + "; ".join(
            f"{r['placement']} {r['echo']['p50_us']:.1f}/{r['call']['p50_us']:.1f}"
            for r in results["latency"]
        ),
        "",
        "RSS during the churn (calls → KiB): "
        + ", ".join(f"{n:,} → {kb:,}" for n, kb in samples(results)),
        "",
        f"Machine: {platform.platform()}, {env['cpus']} logical CPUs, shared with other jobs",
        f"while measured (load average before the run {_load_before(stages)}, after the call-path "
        f"rows {results['load_after']}, after the crash rows {results['crash']['load_after']}); "
        f"Erlang/OTP {env['otp']}, Elixir {env['elixir']};",
        f"Python {platform.python_version()} at {env['python']}.",
        "",
        "![runtime benchmark](results.png)",
        "",
    ]
    return "\n".join(lines)


def samples(results: dict[Any, Any]) -> list[tuple[int, int]]:
    return [(int(n), int(kb)) for n, kb in results["churn_samples"]]


def _load_before(stages: dict[str, Any] | None) -> str:
    if stages is None or "load_before_bench" not in stages:
        return "unknown"
    return " ".join(f"{x:.2f}" for x in stages["load_before_bench"])


def plot(results: dict[Any, Any], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, grid = plt.subplots(2, 4, figsize=(17, 8.5))
    axes = grid[0]
    ax = axes[0]
    for i, placement in enumerate(("same", "cross")):
        batch = [r for r in results["latency"] if str(r["placement"]) == placement]
        ax.plot([r["call"]["p50_us"] / r["echo"]["p50_us"] for r in batch], marker="o",
                label=f"{placement} CPU", color=f"C{i}")  # fmt: skip
    ax.axhline(2.0, color="C0", linestyle=":", label="target same (2x)")
    ax.axhline(1.6, color="C1", linestyle=":", label="target cross (1.6x)")
    ax.set_xlabel("round")
    ax.set_ylabel("call p50 / echo p50")
    ax.set_ylim(bottom=0)
    ax.set_title("Trivial call vs raw echo")
    ax.legend(fontsize=7)

    ax = axes[1]
    labels, vm, py = [], [], []
    for placement in ("same", "cross"):
        batch = [r for r in results["latency"] if str(r["placement"]) == placement]
        for side in ("echo", "call"):
            labels.append(f"{side}\n{placement}")
            vm.append(med([r[side]["vm_cpu_us"] for r in batch]))
            py.append(med([r[side]["py_cpu_us"] for r in batch]))
    ax.bar(labels, vm, label="VM")
    ax.bar(labels, py, bottom=vm, label="Python")
    ax.axhline(17, color="k", linestyle=":", label="target 17 µs")
    ax.set_ylabel("CPU µs per call (schedstat)")
    ax.set_title("CPU per trivial call")
    ax.legend(fontsize=7)

    ax = axes[2]
    tput = results["throughput"]
    ax.bar(["1 worker", "1, unpipelined", "2 workers", "echo x1", "echo x2"],
           [med([r[k]["rate"] for r in tput]) for k in ("one", "unpipelined", "two")]
           + [med([r[k] for r in tput]) for k in ("echo_one", "echo_two")],
           color=["C1", "C1", "C1", "C0", "C0"])  # fmt: skip
    ax.set_ylabel("calls/s")
    ax.set_title("8 callers, trivial call")

    ax = axes[3]
    for i, mb in enumerate((1, 10)):
        batch = [r for r in results["bulk"] if r["mb"] == mb]
        ax.bar([i - 0.27], [med([r["echo_mb_s"] for r in batch])], 0.27, color="C0",
               label="echo, 64 KiB pipes" if i == 0 else None)  # fmt: skip
        ax.bar([i], [med([r["wide_echo_mb_s"] for r in batch])], 0.27, color="C2",
               label="echo, 1 MiB pipes" if i == 0 else None)  # fmt: skip
        ax.bar([i + 0.27], [med([r["call_mb_s"] for r in batch])], 0.27, color="C1",
               label="SnakeBridge" if i == 0 else None)  # fmt: skip
    ax.set_xticks([0, 1], ["1 MB", "10 MB"])
    ax.set_ylabel("MB/s")
    ax.set_title("Binary round trip")
    ax.legend(fontsize=7)
    crash_plot(results["crash"]["rounds"], grid[1])
    fig.tight_layout()
    fig.savefig(target, dpi=100)


def crash_plot(rounds: list[Any], axes: Any) -> None:
    panels = [
        ("crash -> next call on the slot", [("cold", "no spare"), ("warm", "1 warm spare")]),
        ("bystander's trivial call", [("quiet", "quiet"), ("apart", "crashes on\nanother pool"),
                                      ("storm", "crashes on\nits own pool")]),
        ("trivial call", [("nobeat", "heartbeat off"), ("beat", "heartbeat on")]),
    ]  # fmt: skip
    for ax, (title, variants) in zip(axes, panels, strict=False):
        for i, (variant, _label) in enumerate(variants):
            for field, shift, color in (("p50_us", -0.2, "#888"), ("p99_us", 0.2, "#3a7")):
                per_round = [r[variant][field] / 1000 for r in rounds]
                ax.bar(i + shift, med(per_round), width=0.38, color=color,
                       label=field[:3] if i == 0 else None)  # fmt: skip
                ax.plot([i + shift] * len(per_round), per_round, "k.", markersize=3)
        ax.set_xticks(range(len(variants)), [label for _v, label in variants], fontsize=8)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("ms (log); bar: median of rounds, dots: rounds")
        ax.legend(fontsize=8)
    axes[-1].axis("off")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report", action="store_true", help="only re-render")
    parser.add_argument("--churn", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if not args.report:
        run_bench(args.churn, args.rounds)
    results = etf.decode(RESULTS.read_bytes())
    stages = json.loads(STAGES.read_text()) if STAGES.exists() else None
    (HERE / "results.md").write_text(render(results, stages))
    plot(results, HERE / "results.png")
    print((HERE / "results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
