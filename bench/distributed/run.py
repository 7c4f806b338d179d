"""Run the distributed benchmark (pools across BEAM nodes) and render its table and plot.

    .venv/bin/python bench/distributed/run.py            # full run (about two minutes)
    .venv/bin/python bench/distributed/run.py --report   # re-render from results.etf

The measurement is ``bench.exs``: a distributed VM (node a, pinned to CPU 0 with
``taskset``) that starts nodes b (CPU 1) and c (CPU 0: the machine has 2) as peers
through a private epmd this script starts and stops. Each round, interleaved: a
trivial call here against the same call on node b (p50/p99); the router's own cost per
local call; the messages a local call sends; calls/s of a CPU-bound call (``spin``)
from 6 callers routed with ``node: :any`` over 1, 2 and 3 nodes; and the host ceiling:
the same ``spin`` in 1 and 2 plain Python processes pinned to their own CPUs.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from snakebridge import etf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results.etf"
sys.path.insert(0, str(HERE.parent))

import _report  # noqa: E402


def _free_port() -> int:
    for _ in range(50):
        port = random.randint(20_000, 40_000)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a private epmd")


def run_bench() -> None:
    port = _free_port()
    epmd = subprocess.Popen(["epmd", "-port", str(port)])
    try:
        time.sleep(0.3)
        erl = f"-start_epmd false -epmd_port {port}"
        env = dict(
            os.environ,
            SNAKEBRIDGE_PYTHON=sys.executable,
            MIX_ENV="test",
            BENCH_EPMD_PORT=str(port),
        )
        subprocess.run(
            [
                *[
                    "taskset",
                    "-c",
                    "0",
                    "elixir",
                    "--name",
                    "bench_a@127.0.0.1",
                    "--erl",
                    erl,
                ],
                *["-S", "mix", "run", "--no-start", str(HERE / "bench.exs")],
            ],
            cwd=ROOT / "elixir",
            env=env,
            check=True,
        )
    finally:
        epmd.terminate()
        epmd.wait()


def _median(xs: list[float]) -> float:
    return _report.spread(xs).median


def _spread(xs: list[float], unit: str = "") -> str:
    return _report.spread(xs).text(",.2f", unit)


LOCAL_P50 = ["latency", "local", "p50_us"]
LOCAL_P99 = ["latency", "local", "p99_us"]
REMOTE_P50 = ["latency", "remote", "p50_us"]
REMOTE_P99 = ["latency", "remote", "p99_us"]


def row(label: str, value: float, ratio: str, digits: int = 1) -> str:
    return f"| {label} | {value:,.{digits}f} | {ratio} |"


def render(results: dict[Any, Any]) -> str:
    rounds, env, settings = results["rounds"], results["env"], results["settings"]

    def med(path: list[str]) -> float:
        values = []
        for r in rounds:
            v: Any = r
            for key in path:
                v = v[key]
            values.append(v)
        return _median(values)

    remote_p50 = _report.ratios(
        (r["latency"]["remote"]["p50_us"], r["latency"]["local"]["p50_us"]) for r in rounds
    )
    remote_p99 = _report.ratios(
        (r["latency"]["remote"]["p99_us"], r["latency"]["local"]["p99_us"]) for r in rounds
    )
    router_share = [
        r["router"]["ns_per_call"] / (r["latency"]["local"]["p50_us"] * 1000) * 100 for r in rounds
    ]
    guard_local = [
        r["guard"]["local_ns"] / (r["latency"]["local"]["p50_us"] * 1000) * 100 for r in rounds
    ]
    guard_remote = [
        r["guard"]["remote_ns"] / (r["latency"]["remote"]["p50_us"] * 1000) * 100 for r in rounds
    ]
    lines = [
        "# Distributed benchmark: Python pools across BEAM nodes",
        "",
        "Medians over rounds; ratios are the median of per-round ratios against the",
        "baseline measured in the same round, with their min and max.",
        "",
        "## Local call overhead and remote call",
        "",
        "| measurement | median | ratio |",
        "| --- | ---: | --- |",
        row("local trivial call `sbtest.getpid`, p50 (µs)", med(LOCAL_P50), "baseline"),
        row("local trivial call, p99 (µs)", med(LOCAL_P99), "baseline"),
        row(
            "same call on node b, p50 (µs)",
            med(REMOTE_P50),
            f"{remote_p50.text()} vs local",
        ),
        row(
            "same call on node b, p99 (µs)",
            med(REMOTE_P99),
            f"{remote_p99.text()} vs local",
        ),
        row(
            "router's own cost per local call (ns)",
            med(["router", "ns_per_call"]),
            f"{_spread(router_share, ' %')} of the local p50",
            digits=0,
        ),
        row(
            "serving node's check of a local call (ns)",
            med(["guard", "local_ns"]),
            f"{_spread(guard_local, ' %')} of the local p50",
            digits=0,
        ),
        row(
            "serving node's check of a call from node b (ns)",
            med(["guard", "remote_ns"]),
            f"{_spread(guard_remote, ' %')} of the remote p50",
            digits=0,
        ),
        row(
            "messages the caller sends per local call",
            med(["messages", "local_call"]),
            "one: the request to its own pool, as before routing existed",
            digits=0,
        ),
        "",
        "## Throughput of a CPU-bound call over 1, 2 and 3 nodes",
        "",
        f"`sbcluster.spin({env['spin']:,})` (pure Python, ~4-5 ms), {env['callers']} callers",
        f"routed with `node: :any`, {env['window_ms']} ms windows. Ceiling: the same loop in",
        "plain Python processes pinned one per CPU, in the same round.",
        "",
        "| configuration | calls/s | vs 1 node | vs ceiling with the same CPUs |",
        "| --- | ---: | --- | --- |",
    ]
    base = [r["nodes1"]["calls_per_s"] for r in rounds]
    for key, label, ceiling in (
        ("ceiling1", "ceiling: 1 Python process, 1 CPU", None),
        ("ceiling2", "ceiling: 2 Python processes, 2 CPUs", None),
        ("nodes1", "1 node (a, CPU 0)", "ceiling1"),
        ("nodes2", "2 nodes (a CPU 0, b CPU 1)", "ceiling2"),
        ("ceiling3", "ceiling: 3 Python processes on CPUs 0, 1, 0", None),
        ("nodes3", "3 nodes (c shares CPU 0 with a)", "ceiling3"),
    ):
        values = [r[key]["calls_per_s"] for r in rounds]
        vs1 = (
            _report.ratios(zip(values, base, strict=True)).text()
            if key.startswith("nodes")
            else "—"
        )
        vsc = (
            _report.ratios(
                (r[key]["calls_per_s"], r[ceiling]["calls_per_s"]) for r in rounds
            ).text()
            if ceiling
            else "—"
        )
        lines.append(f"| {label} | {_median(values):,.1f} | {vs1} | {vsc} |")

    per_core = [(r["nodes2"]["calls_per_s"] - r["nodes1"]["calls_per_s"]) for r in rounds]
    ceiling_per_core = [
        (r["ceiling2"]["calls_per_s"] - r["ceiling1"]["calls_per_s"]) for r in rounds
    ]
    ceiling1 = _median([r["ceiling1"]["calls_per_s"] for r in rounds])
    # The CPUs the nodes were pinned to, as read back: the host's, which bound any scaling.
    cpus = len({s["vm_cpus"] for s in settings.values()})
    lines += [
        "",
        f"**Per-core ceiling on this host:** one CPU runs {ceiling1:,.1f} calls/s of this loop in",
        f"plain Python; with {cpus} CPUs no configuration can exceed "
        f"{cpus}x that, whatever the number of nodes.",
        "",
        f"Per added core (2 nodes minus 1 node): {_spread(per_core)} calls/s; the host allows",
        f"{_spread(ceiling_per_core)} calls/s per added core (2 plain processes minus 1). This",
        "machine has 2 CPUs, so the physically possible scaling is at most 2x the 1-CPU",
        "figure, and a third node (sharing CPU 0) can add no CPU. When 3 nodes measure more",
        "than 2 here, that is the shared machine, not scaling: the kernel shares each CPU",
        "between runnable processes, so 3 processes of ours get a larger share against the",
        "other engineers' jobs than 2; the 3-process ceiling on the same CPUs shows the same",
        "effect, and 3 nodes are to be read against it.",
        "",
        "Where each round's calls ran (calls per node, median round):",
        "",
    ]
    for key in ("nodes1", "nodes2", "nodes3"):
        mid = sorted(rounds, key=lambda r: r[key]["calls_per_s"])[len(rounds) // 2]
        spread = ", ".join(f"{n}: {c}" for n, c in sorted(mid[key]["per_node"].items()))
        lines.append(f"- {key}: {spread}")
    lines += ["", "## Settings measured (read back from the running nodes)", ""]
    for name, s in sorted(settings.items()):
        pools = "; ".join(
            f"{p} size {v['size']} on CPUs {','.join(v['cpus'])}"
            for p, v in sorted(s["pools"].items())
        )
        lines.append(f"- {name}: VM on CPUs {s['vm_cpus']}; {pools}")
    lines += [
        "",
        f"Rounds: {len(rounds)}; per round {env['latency_calls']} local and",
        f"{env['latency_calls']} remote calls in alternating blocks, {env['router_calls']:,}",
        f"router decisions, {env['guard_checks']:,} serving-node checks of each kind. The",
        "machine is shared with other engineers' test suites: pinning fixes where our",
        "processes run, not who else runs there, so absolute figures are noisy and the",
        "ratios are the figures to read.",
        _report.load_line(env["load_before"], env["load_after"]),
        f"Measured at commit {env['commit']}.",
        *_report.host_lines(HERE, env["otp"], env["elixir"]),
        "",
        "![distributed benchmark](results.png)",
        "",
    ]
    return "\n".join(lines)


def plot(results: dict[Any, Any], target: Path) -> None:
    rounds = results["rounds"]
    fig, (left, right) = _report.pyplot().subplots(1, 2, figsize=(11, 4))
    for offset, field in enumerate(("p50_us", "p99_us")):
        values = [
            _median([r["latency"]["local"][field] for r in rounds]),
            _median([r["latency"]["remote"][field] for r in rounds]),
        ]
        left.bar(
            [offset * 3, offset * 3 + 1],
            values,
            color=["#888", "#37a"],
            tick_label=[f"local\n{field[:3]}", f"node b\n{field[:3]}"],
        )
    left.set_title("trivial call latency")
    left.set_ylabel("µs")
    keys = ["ceiling1", "nodes1", "ceiling2", "nodes2", "nodes3"]
    labels = [
        "ceiling\n1 CPU",
        "1 node",
        "ceiling\n2 CPUs",
        "2 nodes",
        "3 nodes\n(2 CPUs)",
    ]
    values = [_median([r[k]["calls_per_s"] for r in rounds]) for k in keys]
    right.bar(labels, values, color=["#888", "#3a7"] * 3)
    right.set_title("CPU-bound calls/s")
    right.set_ylabel("calls/s")
    _report.save(fig, target, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", action="store_true", help="re-render from results.etf")
    args = parser.parse_args()
    if not args.report:
        _report.record_host(HERE)
        run_bench()
    results = etf.decode(RESULTS.read_bytes())
    (HERE / "results.md").write_text(render(results))
    plot(results, HERE / "results.png")
    print((HERE / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
