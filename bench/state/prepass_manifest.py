"""What the pre-pass's manifest check costs a no-op ``mix compile``: before vs after.

    .venv/bin/python bench/state/prepass_manifest.py [--before REV] [--rounds N] [--quick]
    .venv/bin/python bench/state/prepass_manifest.py --report   # re-render from results.json

Builds two snapshots of SnakeBridge (``git archive``): ``--before`` (default 5795eaf^,
the parent of the commit that added the check) and ``HEAD``. Both time the same thing
on the same synthetic project, a 1,000-file app whose calls all have committed bindings
and a 600-symbol manifest: the in-process no-op ``Prepass.run/0`` (``prepass_noop.exs``;
median of 21 runs per VM), each VM pinned to one CPU with ``taskset -c`` (read back by
the VM and checked). Rounds alternate which snapshot goes first; the result is the
median of the per-round after/before ratios, with min-max. Writes ``results.json``, and
from it ``results.md`` and ``results.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORK = REPO / "bench" / ".work" / "state"
RESULTS = HERE / "results.json"
CPU = "1"
FILES = 1000
SYMBOLS = 600
SCANNER = ["elixir/lib/snakebridge/scanner", "elixir/lib/snakebridge/scanner.ex"]
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


def synthetic(root: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    (root / "lib/snakebridge_generated").mkdir(parents=True)
    (root / "mix.exs").write_text(
        "defmodule SynthState.MixProject do\n  use Mix.Project\n\n"
        '  def project, do: [app: :synth_state, version: "0.1.0", '
        'snakebridge: [libraries: [numpy: "~> 2.0"]]]\nend\n'
    )
    for i in range(FILES):
        d = root / "lib" / "synth" / f"d{i % 20}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i}.ex").write_text((CALLS if i % 3 == 0 else PLAIN).format(i=i))
    (root / "lib/snakebridge_generated/numpy.ex").write_text(BINDINGS)
    entries = [
        manifest.SymbolEntry("numpy", "Numpy", f"f{n}", (1, 2), f"numpy.f{n}", "function", "0" * 64)
        for n in range(SYMBOLS)
    ]
    digest = manifest.digest(BINDINGS.encode())
    m = manifest.with_files(manifest.build(entries), {"lib/snakebridge_generated/numpy.ex": digest})
    (root / ".snakebridge").mkdir()
    manifest.write(root / ".snakebridge/manifest.json", m)
    return root


def noop_us(elixir: Path, project: Path, runs: int) -> int:
    out = sh(
        "taskset",
        "-c",
        CPU,
        "mix",
        "run",
        "--no-start",
        str(HERE / "prepass_noop.exs"),
        str(project),
        str(runs),
        cwd=elixir,
        env={"MIX_ENV": "dev", "HEX_OFFLINE": "1"},
    )
    affinity = out.split("affinity")[-1].split()[0]
    if affinity != CPU:
        raise SystemExit(f"the measuring VM ran on CPUs {affinity}, not {CPU}: taskset failed")
    return int(out.split("median_us")[-1].split()[0])


def measure(before_ref: str, rounds: int, runs: int, quick: bool) -> dict[str, Any]:
    load_start = _report.loadavg()
    before, before_rev = snapshot(before_ref, "before")
    after, after_rev = snapshot("HEAD", "after")
    project = synthetic(WORK / "project")
    cache = project / "_build"
    later = sh("git", "-C", str(REPO), "rev-list", "--count", f"{before_ref}..HEAD", "--", *SCANNER)

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

    otp, elixir_version = _report.beam_versions()
    return {
        "before_rev": before_rev,
        "after_rev": after_rev,
        "scanner_commits": int(later),
        "quick": quick,
        "runs": runs,
        "files": FILES,
        "symbols": SYMBOLS,
        "cpu": CPU,
        "otp": otp,
        "elixir": elixir_version,
        "load_before": load_start,
        "load_after": _report.loadavg(),
        "rounds_us": rows,
    }


def render(data: dict[str, Any]) -> str:
    rows = data["rounds_us"]
    ratio = _report.ratios((a, b) for b, a in rows)
    med_b = statistics.median(b for b, _ in rows)
    med_a = statistics.median(a for _, a in rows)
    quick = " --quick" if data["quick"] else ""
    slower = sum(a > b for b, a in rows)
    return (
        f"""# The pre-pass's manifest check on a no-op compile

Generated by `bench/state/prepass_manifest.py` (measurement: `bench/state/prepass_noop.exs`).
{_report.host_lines(HERE, data["otp"], data["elixir"])[0]}
{_report.load_line(data["load_before"], data["load_after"])}
{_report.host_lines(HERE, data["otp"], data["elixir"])[1]}
Command: `.venv/bin/python bench/state/prepass_manifest.py{quick}`.
Pinning: each measuring VM runs under `taskset -c {data["cpu"]}` (its affinity read back
with `taskset -pc` inside the VM and checked); the snapshot builds are not pinned.

Before: SnakeBridge at {data["before_rev"]} (no manifest check). After: {data["after_rev"]}
(the check: one stat of `.snakebridge/manifest.json` when it is unchanged since it last
passed). The after side is the whole pre-pass at {data["after_rev"]}: it also carries the
{data["scanner_commits"]} commits since {data["before_rev"]} that touch the scanner.
Project: {data["files"]:,} files (every third calls numpy), every call with a committed
binding, a {data["symbols"]}-symbol manifest. Each cell: median of {data["runs"]} in-process
no-op `Prepass.run/0` in one VM (after one warm-up run that writes the pre-pass cache);
rounds alternate which snapshot runs first.

| round | before (ms) | after (ms) | after / before |
| ---: | ---: | ---: | ---: |
"""
        + "".join(
            f"| {i + 1} | {b / 1000:.2f} | {a / 1000:.2f} | {a / b:.3f} |\n"
            for i, (b, a) in enumerate(rows)
        )
        + f"""
Median no-op: before {med_b / 1000:.2f} ms, after {med_a / 1000:.2f} ms. Median of the
per-round ratios: **{ratio.text(".3f", "")}**; the after side was the slower in {slower}
of {len(rows)} rounds. The check's own work on a no-op is one `:prim_file.read_file_info`,
so a difference this size is not the check's alone: it is the later scanner commits
and this shared machine's load, which moves single rounds by more than the median.

![no-op pre-pass before and after the manifest check](results.png)
"""
    )


def plot(data: dict[str, Any], target: Path) -> None:
    rows = data["rounds_us"]
    fig, ax = _report.pyplot().subplots(figsize=(6, 3.2))
    xs = range(1, len(rows) + 1)
    ax.plot(xs, [b / 1000 for b, _ in rows], "o-", label=f"before ({data['before_rev']})")
    ax.plot(xs, [a / 1000 for _, a in rows], "s-", label=f"after ({data['after_rev']})")
    ax.set_xlabel("round")
    ax.set_ylabel("no-op pre-pass (ms, median)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"No-op pre-pass, {data['files']:,} files: manifest check before/after")
    ax.legend()
    _report.save(fig, target, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="5795eaf^")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--report", action="store_true", help="re-render from results.json")
    args = parser.parse_args()
    if not args.report:
        rounds, runs = (3, 5) if args.quick else (args.rounds, 21)
        _report.record_host(HERE)
        data = measure(args.before, rounds, runs, args.quick)
        RESULTS.write_text(json.dumps(data, indent=1) + "\n")
    data = json.loads(RESULTS.read_text())
    text = render(data)
    (HERE / "results.md").write_text(text)
    plot(data, HERE / "results.png")
    print(text)


if __name__ == "__main__":
    main()
