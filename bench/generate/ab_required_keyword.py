"""A/B: compile cost of required parameters given by keyword (``shape.CallShape.by_keyword``).

A is the generator at ``--base`` (a commit before the rule), B the working tree. Both
render the same saved introspection (``run.saved``) of numpy's top level (+ linalg, fft)
and sympy's (``*args`` cap 4); each file is compiled with ``mix compile --force`` in
interleaved rounds (A, B, A, B, ...; the first round only warms caches) and once with
``Code.compile_file`` for its reductions, which do not depend on the load.

Run:  taskset -c 0,1 .venv/bin/python bench/generate/ab_required_keyword.py [--repeat 3]
Writes bench/generate/ab_required_keyword.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # the bench's helpers, next to this file

_RENDER = """
import json, sys
from snakebridge import __version__
from snakebridge.codegen import model
from snakebridge.codegen.emit import render_library
from snakebridge.project import LibrarySpec
name, module, path, out = sys.argv[1:5]
spec = LibrarySpec(name, "~> 1.0", module, name)
library = model.from_data(model.Library, json.loads(open(path).read()))
open(out, "w").write(render_library(library, spec, tool_version=__version__).source)
"""


def render_with(src: Path, name: str, out: Path) -> str:
    spec = run.LIBRARIES[name][0]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(
        [sys.executable, "-c", _RENDER, name, spec.module_name or "", str(run.saved(name)), out],
        env=env,
        check=True,
        timeout=900,
    )
    return out.read_text()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base", default="b02bf01")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(run.REPO), "archive", args.base, "src"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        sources: dict[str, str] = {}
        for name in ("numpy", "sympy"):
            sources[f"{name} A"] = render_with(base / "src", name, Path(tmp) / f"{name}_a.ex")
            sources[f"{name} B"] = render_with(run.REPO / "src", name, Path(tmp) / f"{name}_b.ex")
    arities = {k: len(run.public_functions(v)) for k, v in sources.items()}
    root = run.mix_project(run.WORK / "mixproj_ab")
    load_before = os.getloadavg()
    counted = {k: run.reductions(root, v) for k, v in sources.items()}
    times, cpus = run.compile_times(root, {k: (v, "") for k, v in sources.items()}, args.repeat)
    load_after = os.getloadavg()
    lines = [
        "# Required parameters by keyword: compile cost A/B",
        "",
        f"A = generator at {args.base}, B = this tree; `mix compile --force`, "
        f"{args.repeat} interleaved rounds after one warm-up, pinned "
        f"`{os.environ.get('PINNED', 'taskset -c 0,1')}`; load {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after.",
        "",
        "| file | public arities | reductions | wall median (min-max) | CPU median |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for k in sources:
        w = times[k]
        lines.append(
            f"| {k} | {arities[k]:,} | {counted[k][0] / 1e6:.1f} M "
            f"| {statistics.median(w):.2f} s ({min(w):.2f}-{max(w):.2f}) "
            f"| {statistics.median(cpus[k]):.2f} s |"
        )
    lines += ["", "| B / A | reductions | wall: median of per-round ratios (min-max) | CPU |"]
    lines.append("| --- | ---: | ---: | ---: |")
    summary = {}
    for name in ("numpy", "sympy"):
        a, b = f"{name} A", f"{name} B"
        ratios = [tb / ta for ta, tb in zip(times[a], times[b], strict=True)]
        cpu = [cb / ca for ca, cb in zip(cpus[a], cpus[b], strict=True)]
        red = counted[b][0] / counted[a][0]
        summary[name] = {"reductions": red, "wall": ratios, "cpu": cpu}
        lines.append(
            f"| {name} | {red:.3f}x | {statistics.median(ratios):.3f}x "
            f"({min(ratios):.3f}-{max(ratios):.3f}) | {statistics.median(cpu):.3f}x |"
        )
    out = Path(__file__).resolve().parent / "ab_required_keyword.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps({"times": times, "cpus": cpus, "reductions": counted}))


if __name__ == "__main__":
    main()
