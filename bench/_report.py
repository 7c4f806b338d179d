"""The facts every bench report states, written once so every results.md says them alike.

A bench is only readable beside the machine it ran on, the versions it measured, how loaded
the shared host was, and a ratio summarised the same way everywhere (the median of the
per-round ratios with its min-max). Each ``bench/*/run.py`` imports this module (it puts
``bench/`` on ``sys.path``) instead of re-deriving those lines and the matplotlib setup.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Spread:
    """A median with the smallest and largest value it summarises."""

    median: float
    low: float
    high: float

    def text(self, fmt: str = ".2f", unit: str = "x") -> str:
        return f"{self.median:{fmt}}{unit} (min {self.low:{fmt}}, max {self.high:{fmt}})"


def spread(values: Iterable[float]) -> Spread:
    xs = list(values)
    if not xs:
        raise ValueError("spread of no values: the bench recorded no rounds")
    return Spread(statistics.median(xs), min(xs), max(xs))


def ratios(pairs: Iterable[tuple[float, float]]) -> Spread:
    """Median of per-round ``numerator / denominator`` ratios, with min-max.

    Each pair is one round's (numerator, denominator), both measured in that round, so a
    load change between rounds moves both sides of a ratio together.
    """
    return spread(num / den for num, den in pairs)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    raise RuntimeError("/proc/meminfo has no MemTotal line")


def machine() -> str:
    return (
        f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {memory_gib():.1f} GiB RAM; "
        f"{platform.platform()}."
    )


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg writes them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def load_line(before: str, after: str) -> str:
    """Accepts raw /proc/loadavg text (as the Elixir benches record it) or loadavg()."""
    first, last = (" ".join(s.split()[:3]) for s in (before, after))
    return (
        f"Load average (1/5/15 min): {first} before, {last} after; the host's cores are "
        "shared with other jobs."
    )


def beam_versions() -> tuple[str, str]:
    """(OTP release, Elixir version) of the ``elixir`` on PATH, for benches timed from Python."""
    out = subprocess.run(
        ["elixir", "-e", "IO.puts(:erlang.system_info(:otp_release)); IO.puts(System.version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], out[1]


def versions(otp: str | None = None, elixir: str | None = None, dists: Iterable[str] = ()) -> str:
    """The versions line: the BEAM's when given, this Python's, and each named distribution's."""
    parts = [f"Erlang/OTP {otp}"] if otp else []
    parts += [f"Elixir {elixir}"] if elixir else []
    parts.append(f"Python {platform.python_version()}")
    parts += [f"{d} {importlib.metadata.version(d)}" for d in dists]
    return "Versions: " + ", ".join(parts) + "."


HOST = "host.json"


def record_host(bench: Path, dists: Iterable[str] = ()) -> None:
    """Write the machine and Python versions of this run beside its results.

    Rendering reads them back (``host_lines``), so re-rendering old results on another
    host, or after an upgrade, still states the machine and versions that measured them.
    """
    facts = {"machine": machine(), "python": versions(dists=dists)}
    (bench / HOST).write_text(json.dumps(facts, indent=1) + "\n")


def host_lines(bench: Path, otp: str | None = None, elixir: str | None = None) -> list[str]:
    """The recorded machine line and versions line (the BEAM's versions prepended)."""
    facts = json.loads((bench / HOST).read_text())
    beam = [f"Erlang/OTP {otp}"] if otp else []
    beam += [f"Elixir {elixir}"] if elixir else []
    python = facts["python"].removeprefix("Versions: ")
    return [facts["machine"], "Versions: " + ", ".join([*beam, python])]


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend (benches run without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, target: Path, dpi: int = 110) -> None:
    fig.tight_layout()
    fig.savefig(target, dpi=dpi)
    pyplot().close(fig)
