"""What the pre-pass's manifest check costs a no-op ``mix compile``: before vs after.

    .venv/bin/python bench/state/prepass_manifest.py [--before REV] [--rounds N] [--quick]

Builds two snapshots of SnakeBridge (``git archive``): ``--before`` (default 4b9a849,
the last commit without the check) and ``HEAD``. Both time the
same thing on the same synthetic project, a 1,000-file app whose calls all have
committed bindings and a 600-symbol manifest: the in-process no-op ``Prepass.run/0``
(``prepass_noop.exs``; median of 21 runs per VM). Rounds alternate which snapshot goes
first; the result is the median of the per-round after/before ratios, with min-max.
Writes ``bench/state/RESULTS.md`` and ``bench/state/prepass_manifest.png``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORK = REPO / "bench" / ".work" / "state"
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(HERE.parent))

import _report  # noqa: E402
from snakebridge.state import manifest  # noqa: E402


def sh(*cmd: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def snapshot(rev: str, name: str) -> tuple[Path, str]:
    target = WORK / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    sh("sh", "-c", f"git -C '{REPO}' archive {rev} elixir src | tar -x -C '{target}'")
    sh("mix", "compile", cwd=target / "elixir", env={"MIX_ENV": "dev", "HEX_OFFLINE": "1"})
    return target / "elixir", sh("git", "-C", str(REPO), "rev-parse", "--short", rev).strip()


CALLS = """
defmodule Synth.M{i} do
  alias Numpy.Linalg

  def stats(xs), do: {{Numpy.mean(xs), xs |> Numpy.std!(ddof: 1)}}
  def solve(a, b), do: Linalg.solve(a, b)
  def other(xs), do: Enum.map(xs, &(&1 * {i}))
end
"""
PLAIN = """
defmodule Synth.M{i} do
  def stats(xs), do: {{Enum.sum(xs), Enum.sort(xs)}}
  def other(xs), do: Enum.map(xs, &(&1 * {i}))
end
"""
BINDINGS = """defmodule Numpy do
  def mean(a), do: a
  def std(a, b), do: {a, b}
  def std!(a, b), do: {a, b}
end
defmodule Numpy.Linalg do
  def solve(a, b), do: {a, b}
end
"""


def synthetic(root: Path, files: int = 1000, symbols: int = 600) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    (root / "lib/snakebridge_generated").mkdir(parents=True)
    (root / "mix.exs").write_text(
        "defmodule SynthState.MixProject do\n  use Mix.Project\n\n"
        '  def project, do: [app: :synth_state, version: "0.1.0", '
        'snakebridge: [libraries: [numpy: "~> 2.0"]]]\nend\n'
    )
    for i in range(files):
        d = root / "lib" / "synth" / f"d{i % 20}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i}.ex").write_text((CALLS if i % 3 == 0 else PLAIN).format(i=i))
    (root / "lib/snakebridge_generated/numpy.ex").write_text(BINDINGS)
    entries = [
        manifest.SymbolEntry("numpy", "Numpy", f"f{n}", (1, 2), f"numpy.f{n}", "function", "0" * 64)
        for n in range(symbols)
    ]
    digest = manifest.digest(BINDINGS.encode())
    m = manifest.with_files(manifest.build(entries), {"lib/snakebridge_generated/numpy.ex": digest})
    (root / ".snakebridge").mkdir()
    manifest.write(root / ".snakebridge/manifest.json", m)
    return root


def noop_us(elixir: Path, project: Path, runs: int) -> int:
    out = sh(
        "mix",
        "run",
        "--no-start",
        str(HERE / "prepass_noop.exs"),
        str(project),
        str(runs),
        cwd=elixir,
        env={"MIX_ENV": "dev", "HEX_OFFLINE": "1"},
    )
    return int(out.split("median_us")[-1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="4b9a849")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, runs = (3, 5) if args.quick else (args.rounds, 21)

    load_start = _report.loadavg()
    before, before_rev = snapshot(args.before, "before")
    after, after_rev = snapshot("HEAD", "after")
    project = synthetic(WORK / "project")
    cache = project / "_build"

    rows: list[tuple[int, int]] = []
    for r in range(rounds):
        order = [("before", before), ("after", after)]
        if r % 2:
            order.reverse()
        got = {}
        for name, elixir in order:
            shutil.rmtree(cache, ignore_errors=True)  # each VM starts from its own cache
            got[name] = noop_us(elixir, project, runs)
        rows.append((got["before"], got["after"]))
        print(f"round {r + 1}: before {got['before']} us, after {got['after']} us", flush=True)

    ratio = _report.ratios((a, b) for b, a in rows)
    med_b = statistics.median(b for b, _ in rows)
    med_a = statistics.median(a for _, a in rows)
    otp, elixir_version = _report.beam_versions()
    table = (
        f"""# The pre-pass's manifest check on a no-op compile

{_report.machine()}
{_report.load_line(load_start, _report.loadavg())}
{_report.versions(otp, elixir_version)}
Command: `.venv/bin/python bench/state/prepass_manifest.py{" --quick" if args.quick else ""}`.

Before: SnakeBridge at {before_rev} (no manifest check). After: {after_rev} (the check:
one stat of `.snakebridge/manifest.json` when it is unchanged since it last passed).
Project: 1,000 files (every third calls numpy), every call with a committed binding, a
{600}-symbol manifest. Each cell: median of {runs} in-process no-op `Prepass.run/0` in
one VM (after one warm-up run that writes the pre-pass cache); rounds alternate which
snapshot runs first.

| round | before (ms) | after (ms) | after / before |
| ---: | ---: | ---: | ---: |
"""
        + "".join(
            f"| {i + 1} | {b / 1000:.2f} | {a / 1000:.2f} | {a / b:.3f} |\n"
            for i, (b, a) in enumerate(rows)
        )
        + f"""
Median no-op: before {med_b / 1000:.2f} ms, after {med_a / 1000:.2f} ms. Median of the
per-round ratios: **{ratio.text(".3f", "")}**. The check's own work on a no-op is one
`:prim_file.read_file_info`; differences within the min-max spread are this shared machine's noise.
"""
    )
    (HERE / "RESULTS.md").write_text(table)
    print(table)

    fig, ax = _report.pyplot().subplots(figsize=(6, 3.2))
    xs = range(1, len(rows) + 1)
    ax.plot(xs, [b / 1000 for b, _ in rows], "o-", label=f"before ({before_rev})")
    ax.plot(xs, [a / 1000 for _, a in rows], "s-", label=f"after ({after_rev})")
    ax.set_xlabel("round")
    ax.set_ylabel("no-op pre-pass (ms, median)")
    ax.set_ylim(bottom=0)
    ax.set_title("No-op pre-pass, 1,000 files: manifest check before/after")
    ax.legend()
    _report.save(fig, HERE / "prepass_manifest.png", dpi=120)


if __name__ == "__main__":
    main()
