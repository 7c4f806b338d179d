"""Run the pre-pass benchmark and draw its plot from its committed table.

    .venv/bin/python bench/prepass/run.py            # full run (bench.exs, several minutes)
    .venv/bin/python bench/prepass/run.py --report   # redraw results.png from RESULTS.md

The measurement is ``bench.exs`` (run with ``mix run --no-start`` in ``elixir/``), which
writes ``RESULTS.md``; its table is the one record of the run, so the plot is drawn from
it and redrawing never needs a rerun.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

import _report  # noqa: E402

# (label on the plot, the table row's measurement as bench.exs writes it)
NOOP = [
    ("in-process", "no-op pre-pass (in-process, `Prepass.run/0`)"),
    (
        "in mix compile",
        "no-op pre-pass inside a real `mix compile` (fresh VM, `MIX_DEBUG` task time)",
    ),
]
NOOP_BASELINE = (
    "Elixir's own\ncompile.elixir",
    "`compile.elixir` no-op in the same runs (Elixir's own compiler, for scale)",
)
COLD = [
    ("30% call numpy", "cold scan (empty cache), 30% library files"),
    ("all call numpy", "cold scan (empty cache), every file a library file"),
]
COLD_BASELINE = (
    "read + parse,\none process",
    "baseline: read + `Code.string_to_quoted` every file, one process",
)


@dataclass(frozen=True)
class Row:
    files: str
    median_ms: float


def table(markdown: str) -> dict[str, Row]:
    """measurement -> its row, from RESULTS.md's results table."""
    rows = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[2].endswith(" ms"):
            median = float(cells[2].removesuffix(" ms").replace(",", ""))
            rows[cells[0]] = Row(cells[1], median)
    return rows


def row(rows: dict[str, Row], measurement: str) -> Row:
    try:
        return rows[measurement]
    except KeyError:
        raise SystemExit(
            f"RESULTS.md has no row {measurement!r}: bench.exs and run.py name the rows "
            "differently; make them agree"
        ) from None


def plot(rows: dict[str, Row], target: Path) -> None:
    """Each panel: the pre-pass's medians, the same-run baseline in grey, the target dashed."""
    plt = _report.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3))
    panels = [
        (axes[0], "no-op pre-pass (target ≤ 30 ms)", NOOP, NOOP_BASELINE, 30.0),
        (axes[1], "cold scan (target ≤ 3,000 ms)", COLD, COLD_BASELINE, 3000.0),
    ]
    for ax, title, ours, baseline, goal in panels:
        measured = [row(rows, m) for _, m in ours]
        values = [r.median_ms for r in measured]
        base = row(rows, baseline[1]).median_ms
        xs = [0.0, 1.0]
        ax.bar(xs, values, 0.5, color="#3a75b0", label="pre-pass")
        ax.bar([1.6], [base], 0.5, color="#aaaaaa", label="same-run baseline")
        ax.hlines([goal] * 2, [x - 0.3 for x in xs], [x + 0.3 for x in xs], colors="#d62728",
                  linestyles="--", label="target")  # fmt: skip
        for x, v in [*zip(xs, values, strict=True), (1.6, base)]:
            ax.text(x, v, f"{v:,.1f} ms", ha="center", va="bottom", fontsize=9)
        labels = [f"{label}\n{r.files} files" for (label, _), r in zip(ours, measured, strict=True)]
        ax.set_xticks([*xs, 1.6], [*labels, baseline[0]], fontsize=8)
        ax.set_ylim(0, max([*values, base, goal]) * 1.35)
        ax.set_ylabel("median ms")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("bench/prepass: from RESULTS.md (committed); dashed: target", fontsize=10)
    _report.save(fig, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report", action="store_true", help="only redraw the plot")
    parser.add_argument("--quick", action="store_true", help="bench.exs --quick")
    args = parser.parse_args()
    if not args.report:
        subprocess.run(
            ["mix", "run", "--no-start", str(HERE / "bench.exs")]
            + (["--quick"] if args.quick else []),
            cwd=ROOT / "elixir",
            check=True,
        )
    plot(table((HERE / "RESULTS.md").read_text()), HERE / "results.png")


if __name__ == "__main__":
    main()
