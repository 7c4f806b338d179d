"""Run the crash-barrier benchmark and render its table and plot.

    .venv/bin/python bench/crash/run.py            # full run (a few minutes)
    .venv/bin/python bench/crash/run.py --report   # re-render from results.etf

The measurement is ``bench.exs`` (Elixir, run with ``mix run`` in ``elixir/``); it writes
``results.etf``, rendered here to ``results.md`` and ``results.png``. Each figure has its
baseline in the same run, in interleaved rounds: a crash followed by the next call on
the slot with and without a warm spare; a bystander's trivial calls, back to back for
1.5 s, on a pool where another process crashes workers in a loop, against the same calls
on a quiet pool and against the same calls while the crashes hit another pool (what a
crash storm costs the machine: starting replacement interpreters); the trivial call
with heartbeats every 20 ms against heartbeats off.

The whole run (the BEAM and the Python workers it starts, which inherit it) is pinned
with ``taskset -c`` to the CPUs given by ``--cpus`` (default: all of this host's).
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


def run_bench(cpus: str) -> None:
    env = dict(os.environ, SNAKEBRIDGE_PYTHON=sys.executable, MIX_ENV="test")
    subprocess.run(
        ["taskset", "-c", cpus, "mix", "run", "--no-start", str(HERE / "bench.exs")],
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

    rows: list[tuple[str, str | None, tuple[str, str] | None]] = [
        ("crash -> next call, no spare (ms)", "cold", None),
        ("crash -> next call, 1 warm spare (ms)", "warm", ("warm", "cold")),
        ("bystander, quiet pool (ms)", "quiet", None),
        ("bystander, crashes in a loop on another pool (ms)", "apart", ("apart", "quiet")),
        ("bystander, crashes in a loop on its own pool (ms)", "storm", ("storm", "quiet")),
        ("... the same, against crashes on another pool", None, ("storm", "apart")),
        ("trivial call, heartbeats off (ms)", "nobeat", None),
        ("trivial call, heartbeat every 20 ms (ms)", "beat", ("beat", "nobeat")),
    ]
    lines = [
        "# Crash barrier benchmark",
        "",
        "Medians over rounds of each round's p50 / p99 / max. Ratios are the median of",
        "per-round ratios (min-max in brackets) against the nearest row above marked",
        "baseline; a row starting with ... compares the row above it with the one it names.",
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
        if variant is None:
            lines.append(f"| {label} | | | | {p50} | {p99} |")
        else:
            lines.append(
                f"| {label} | {_ms(med(variant, 'p50_us'))} | {_ms(med(variant, 'p99_us'))} | "
                f"{_ms(med(variant, 'max_us'))} | {p50} | {p99} |"
            )
    warm = med("warm", "p50_us") / 1000
    storm_p99 = _ratio(rounds, "storm", "quiet", "p99_us")
    lines += [
        "",
        f"Targets: crash -> next call with a spare <= 20 ms p50: {warm:.1f} ms, "
        + ("met" if warm <= 20 else "not met")
        + "; a bystander's p99 during a crash storm within 2x its quiet p99: "
        + "{:.2f}x (rounds {:.2f}-{:.2f}), ".format(*storm_p99)
        + ("met in every round" if storm_p99[2] <= 2 else "not met in every round")
        + ". The row against crashes on another pool separates what the pool does from "
        "what the machine pays for starting interpreters.",
    ]
    crashes = [r["storm_crashes"] for r in rounds]
    apart = [r["apart_crashes"] for r in rounds]
    calls = [r["storm"]["n"] for r in rounds]
    failed = sum(sum(r["failed"].values()) for r in rounds)
    seconds = sizes["bystander_ms"] / 1000
    lines += [
        "",
        f"Rounds: {len(rounds)}; per round {sizes['restarts']} crashes per restart variant, "
        f"bystander calls back to back for {seconds:g} s per bystander variant, "
        f"{sizes['trivial']:,} trivial calls per heartbeat variant.",
        f"Pools measured: {sizes['cold']} worker without spare, {sizes['warm_spares']} spare "
        f"for the warm one; {sizes['storm']} workers + {sizes['storm_spares']} spare for each "
        "bystander pool; 1 worker for each heartbeat pool (heartbeat every "
        f"{sizes['heartbeat_ms']} ms, or off). Circuits disabled so every crash costs a worker.",
        "Crash storms: on the bystander's own pool, "
        f"{min(crashes)}-{max(crashes)} crashes per round "
        f"({min(crashes) / seconds:.0f}-{max(crashes) / seconds:.0f} per second) while the "
        f"bystander made {min(calls):,}-{max(calls):,} calls; on another pool, "
        f"{min(apart)}-{max(apart)} crashes per round. Bystander calls that failed, all "
        f"rounds: {failed}.",
        f"Pinning: `taskset -c {results['cpus_arg']}` around `mix run` (the BEAM's affinity "
        f"as measured: {env['affinity']}); the Python workers inherit it. The host has "
        f"{os.cpu_count()} CPUs and is shared with other sessions' test suites, so pinning "
        "does not isolate the bench from them: the load below is part of the figures.",
        f"Load average before: {env['load_before'].split()[0:3]}, after:",
        f"{env['load_after'].split()[0:3]} (1/5/15 min).",
        f"Measured at commit {env['commit']} (the runtime as on branch cl).",
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
    panels = [
        ("crash -> next call on the slot", [("cold", "no spare"), ("warm", "1 warm spare")]),
        (
            "bystander's trivial call",
            [
                ("quiet", "quiet"),
                ("apart", "crashes on\nanother pool"),
                ("storm", "crashes on\nits own pool"),
            ],
        ),
        ("trivial call", [("nobeat", "heartbeat off"), ("beat", "heartbeat 20 ms")]),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(14, 4.5))
    for ax, (title, variants) in zip(axes, panels, strict=True):
        for i, (variant, _label) in enumerate(variants):
            for field, shift, color in (("p50_us", -0.2, "#888"), ("p99_us", 0.2, "#3a7")):
                per_round = [r[variant][field] / 1000 for r in rounds]
                label = field[:3] if i == 0 else None
                ax.bar(i + shift, _median(per_round), width=0.38, color=color, label=label)
                ax.plot([i + shift] * len(per_round), per_round, "k.", markersize=3)
        ax.set_xticks(range(len(variants)), [label for _v, label in variants], fontsize=8)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("ms (log); bar: median of rounds, dots: rounds")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", action="store_true", help="re-render from results.etf")
    parser.add_argument("--cpus", default=f"0-{(os.cpu_count() or 1) - 1}", help="taskset -c list")
    args = parser.parse_args()
    if not args.report:
        run_bench(args.cpus)
        results = etf.decode(RESULTS.read_bytes())
        results["cpus_arg"] = args.cpus
        RESULTS.write_bytes(etf.encode(results))
    results = etf.decode(RESULTS.read_bytes())
    (HERE / "results.md").write_text(render(results))
    plot(results, HERE / "results.png")
    print((HERE / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
