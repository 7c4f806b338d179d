"""Run the crash-barrier benchmark and render its table and plot.

    .venv/bin/python bench/crash/run.py            # full run (a few minutes)
    .venv/bin/python bench/crash/run.py --report   # re-render from results.etf

The measurement is ``bench.exs`` (Elixir, run with ``mix run`` in ``elixir/``); it writes
``results.etf``, rendered here to ``results.md`` and ``results.png``. Each figure has its
baseline in the same run, in interleaved rounds: a crash followed by the next call on
the slot with and without a warm spare; a bystander's trivial calls on a pool whose
other worker crashes in a loop, against the same calls on a quiet pool; the trivial
call with heartbeats every 20 ms against heartbeats off.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from snakebridge import etf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results.etf"


def run_bench() -> None:
    env = dict(os.environ, SNAKEBRIDGE_PYTHON=sys.executable, MIX_ENV="test")
    subprocess.run(
        ["mix", "run", "--no-start", str(HERE / "bench.exs")],
        cwd=ROOT / "elixir",
        env=env,
        check=True,
    )


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def _ratio(rounds: list[Any], num: str, den: str, field: str) -> tuple[float, float, float]:
    ratios = [r[num][field] / r[den][field] for r in rounds]
    return _median(ratios), min(ratios), max(ratios)


def _ms(us: float) -> str:
    return f"{us / 1000:,.3f}"


def render(results: dict[Any, Any]) -> str:
    rounds, env, sizes = results["rounds"], results["env"], results["sizes"]

    def med(variant: str, field: str) -> float:
        return _median([r[variant][field] for r in rounds])

    rows = [
        ("crash -> next call, no spare (ms)", "cold", None),
        ("crash -> next call, 1 warm spare (ms)", "warm", ("warm", "cold")),
        ("bystander, quiet pool (ms)", "quiet", None),
        ("bystander, neighbour crashing in a loop (ms)", "storm", ("storm", "quiet")),
        ("trivial call, heartbeats off (ms)", "nobeat", None),
        ("trivial call, heartbeat every 20 ms (ms)", "beat", ("beat", "nobeat")),
    ]
    lines = [
        "# Crash barrier benchmark",
        "",
        "Medians over rounds of each round's p50 / p99 / max; ratios are the median of",
        "per-round ratios against the baseline row above them (min-max in brackets).",
        "",
        "| measurement | p50 | p99 | max | p50 ratio | p99 ratio |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for label, variant, against in rows:
        if against:
            p50 = "{:.2f} ({:.2f}-{:.2f})".format(*_ratio(rounds, *against, "p50_us"))
            p99 = "{:.2f} ({:.2f}-{:.2f})".format(*_ratio(rounds, *against, "p99_us"))
        else:
            p50 = p99 = "baseline"
        lines.append(
            f"| {label} | {_ms(med(variant, 'p50_us'))} | {_ms(med(variant, 'p99_us'))} | "
            f"{_ms(med(variant, 'max_us'))} | {p50} | {p99} |"
        )
    lines += [
        "",
        f"Rounds: {len(rounds)}; per round 8 crashes per restart variant, 400 bystander calls,",
        "1,000 trivial calls per heartbeat variant. Pools measured: "
        f"{sizes['cold']} worker without spare, {sizes['warm_spares']} spare, "
        f"{sizes['storm']} workers (+1 spare) for the bystander pools; circuits disabled so",
        "every crash costs a worker. No CPU pinning (the machine is shared: taskset would",
        "not isolate the bench from the other jobs).",
        f"Load average before: {env['load_before'].split()[0:3]}, after:",
        f"{env['load_after'].split()[0:3]} (1/5/15 min).",
        f"Machine: {platform.platform()}, {env['cpus']} schedulers; OTP {env['otp']}, "
        f"Elixir {env['elixir']}, Python {platform.python_version()}.",
        "",
        "![crash benchmark](results.png)",
        "",
    ]
    return "\n".join(lines)


def plot(results: dict[Any, Any], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = results["rounds"]
    pairs = [
        ("restart", "cold", "warm", "no spare", "1 spare"),
        ("bystander", "quiet", "storm", "quiet", "crash storm"),
        ("trivial call", "nobeat", "beat", "heartbeat off", "heartbeat 20 ms"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for ax, (title, base, other, base_label, other_label) in zip(axes, pairs, strict=True):
        for field, offset in (("p50_us", 0), ("p99_us", 1)):
            values = [
                _median([r[base][field] for r in rounds]) / 1000,
                _median([r[other][field] for r in rounds]) / 1000,
            ]
            ax.bar(
                [offset * 3, offset * 3 + 1],
                values,
                color=["#888", "#3a7"],
                tick_label=[f"{base_label}\n{field[:3]}", f"{other_label}\n{field[:3]}"],
            )
        ax.set_title(title)
        ax.set_ylabel("ms")
        ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(target, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", action="store_true", help="re-render from results.etf")
    args = parser.parse_args()
    if not args.report:
        run_bench()
    results = etf.decode(RESULTS.read_bytes())
    (HERE / "results.md").write_text(render(results))
    plot(results, HERE / "results.png")
    print((HERE / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
