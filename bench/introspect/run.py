"""Introspection coverage and speed benchmark.

For each module: the public surface (``__all__``, else public names), the share of
callables (functions, ufuncs, classes' constructors) with a real parameter list — not
``(*args, **kwargs)``, not the fallback — and the share with a return type, for the
SnakeBridge introspector and for plain ``inspect.signature`` measured in the same child
process over the same objects. Wall times: the in-process introspection of the whole
surface (``ours``) vs the ``inspect.signature`` loop (``inspect``), and the end-to-end
time of one ``introspect_surface`` call (spawn the child, import the module, introspect,
send JSON back, parse every docstring in the parent).

The run pins itself to one CPU (``taskset -p -c 1`` on its own pid, read back and
checked); the child processes it spawns inherit that CPU.

Run:  .venv/bin/python bench/introspect/run.py [--repeat 3] [modules...]
      .venv/bin/python bench/introspect/run.py --report   # re-render from results.json
Writes bench/introspect/results.json, and from it results.md and results.png.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from snakebridge.codegen.introspect import introspect_surface

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _report

MODULES = [
    "numpy",
    "numpy.linalg",
    "numpy.fft",
    "scipy.linalg",
    "scipy.optimize",
    "scipy.stats",
    "sympy",
    "pandas",
]
# Classes whose every public method is introspected (the "methods" table).
CLASSES = [
    ("numpy", ["ndarray"]),
    ("numpy.random", ["Generator"]),
    ("pandas", ["DataFrame", "Series"]),
    ("scipy.sparse", ["csr_matrix"]),
    ("sympy", ["Symbol", "Matrix"]),
]
HERE = Path(__file__).resolve().parent
CPU = 1


def pin() -> str:
    """Pin this process (and so every introspection child) to CPU; say how, as checked."""
    subprocess.run(
        ["taskset", "-p", "-c", str(CPU), str(os.getpid())], check=True, capture_output=True
    )
    got = os.sched_getaffinity(0)
    if got != {CPU}:
        raise SystemExit(f"taskset left this process on CPUs {sorted(got)}, not {CPU}")
    return (
        f"Pinning: `taskset -p -c {CPU}` on the bench process (affinity read back: CPU "
        f"{CPU}); the child processes that import and introspect each module inherit it."
    )


def versions(python: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, platform, json;"
        "print(json.dumps({d: m.version(d) for d in ['numpy','scipy','sympy','pandas']}"
        " | {'python': platform.python_version()}))"
    )
    return dict(json.loads(subprocess.check_output([python, "-c", code], text=True)))


def run(module: str, repeat: int, python: str, classes: list[str] | None = None) -> dict[str, Any]:
    runs = [introspect_surface(python, module, classes=classes or ()).stats for _ in range(repeat)]
    first = runs[0]
    med = {
        key: statistics.median(r[key] for r in runs)
        for key in (
            "seconds",
            "total_seconds",
            "import_seconds",
            "child_wall_seconds",
            "doc_parse_seconds",
        )
    }
    med["baseline_seconds"] = statistics.median(r["baseline"]["seconds"] for r in runs)
    label = module if not classes else ", ".join(f"{module}.{c}" for c in classes)
    return {
        "module": label,
        "callables": first["callables"],
        "real": first["real"],
        "with_returns": first["with_returns"],
        "returns": first["returns"],
        "sources": first["sources"],
        "not_real": first["not_real"],
        "baseline": {
            k: first["baseline"][k] for k in ("callables", "real", "with_returns", "failed")
        },
        "timing": med,
    }


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "-"


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| module | callables | real signature: ours | inspect.signature | return type: ours "
        "| inspect.signature | ours (s) | inspect (s) | ratio | end-to-end (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b, t = r["baseline"], r["timing"]
        ratio = t["seconds"] / t["baseline_seconds"] if t["baseline_seconds"] else 0.0
        out.append(
            f"| {r['module']} | {r['callables']} | {pct(r['real'], r['callables'])} "
            f"| {pct(b['real'], b['callables'])} | {pct(r['with_returns'], r['callables'])} "
            f"| {pct(b['with_returns'], b['callables'])} | {t['seconds']:.2f} "
            f"| {t['baseline_seconds']:.3f} | {ratio:.0f}x | {t['total_seconds']:.2f} |"
        )
    return "\n".join(out)


def detail(rows: list[dict[str, Any]]) -> str:
    out = [
        "| module | signature sources | return-type sources | not real (ours) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        src = ", ".join(f"{k} {v}" for k, v in sorted(r["sources"].items()))
        ret = ", ".join(f"{k} {v}" for k, v in sorted(r["returns"].items()))
        missing = ", ".join(r["not_real"]) or "—"
        out.append(f"| {r['module']} | {src} | {ret} | {missing} |")
    return "\n".join(out)


def timing(rows: list[dict[str, Any]]) -> str:
    out = [
        "| module | spawn+import+introspect (child wall, s) | of which import (s) "
        "| doc parsing in parent (s) | end-to-end (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        t = r["timing"]
        out.append(
            f"| {r['module']} | {t['child_wall_seconds']:.2f} | {t['import_seconds']:.2f}"
            f" | {t['doc_parse_seconds']:.2f} | {t['total_seconds']:.2f} |"
        )
    return "\n".join(out)


def targets(rows: list[dict[str, Any]]) -> str:
    """The issue's targets, checked against this run."""
    out = ["| target | result | met |", "|---|---|---|"]
    for r in rows:
        share = r["real"] / r["callables"] if r["callables"] else 0.0
        out.append(
            f"| >= 98% real signatures, {r['module']} | {100 * share:.1f}% "
            f"| {'yes' if share >= 0.98 else 'NO'} |"
        )
    numpy_row = next((r for r in rows if r["module"] == "numpy"), None)
    if numpy_row is not None:
        total = numpy_row["timing"]["total_seconds"]
        out.append(
            f"| whole numpy top level <= 3 s (end-to-end, median) | {total:.2f} s "
            f"| {'yes' if total <= 3.0 else 'NO'} |"
        )
    return "\n".join(out)


def render(data: dict[str, Any]) -> str:
    env, rows, method_rows = data["environment"], data["rows"], data["method_rows"]
    header = (
        "# Introspection benchmark\n\n"
        f"{data['machine']} {data['load']} Wall times grow with the load.\n"
        f"Versions: Python {env['python']}, numpy {env['numpy']}, scipy {env['scipy']}, "
        f"sympy {env['sympy']}, pandas {env['pandas']}.\n"
        f"{data['pinning']}\n\n"
        f"Method: `bench/introspect/run.py --repeat {data['repeat']}`; each module introspected "
        f"{data['repeat']} times in a fresh child process, times are medians. Callables are the "
        "public functions, ufuncs, callable objects and classes (constructor) of the surface "
        "(`__all__`, else public names). *Real signature*: a parameter list that is not only "
        "`(*args, **kwargs)` (or `**kwargs`) and not the fallback; a lone `*args` counts, "
        "being the actual contract of e.g. `numpy.atleast_1d(*arys)` (same rule for both "
        "columns). *Return type*: any return type — runtime "
        "annotation, stub, ufunc arity, the class for constructors, or the type named in the "
        "docstring's Returns section (see the sources table). The baseline is plain "
        "`inspect.signature` over the same objects in the same process. *ours (s)* / "
        "*inspect (s)*: in-process time for the whole surface; *end-to-end*: one "
        "`introspect_surface` call (spawn, import, introspect, JSON, parse every docstring "
        "in the parent).\n\n"
    )
    text = (
        header
        + "## Targets\n\n"
        + targets(rows)
        + "\n\n## Coverage and speed\n\n"
        + table(rows)
        + "\n\n## Where the answers came from\n\n"
        + detail(rows)
        + "\n\n## End-to-end time\n\n"
        + timing(rows)
        + "\n"
    )
    if method_rows:
        text += (
            "\n## Methods of key classes\n\n"
            "Every public method of these classes (properties and nested classes excluded), "
            "same definitions; the baseline drops the instance parameter of unbound methods "
            "as ours does. Callable counts can differ by a few: the baseline counts what "
            "`getattr` on the class returns, ours classifies descriptors first (pandas' "
            "`DataFrame.plot` accessor is an attribute, not a method).\n\n"
            + table(method_rows).replace("| module |", "| classes |", 1)
            + "\n\n"
            + detail(method_rows).replace("| module |", "| classes |", 1)
            + "\n"
        )
    return text + "\n![introspection benchmark](results.png)\n"


def plot(rows: list[dict[str, Any]], target: Path) -> None:
    """Coverage beside its baseline and the 98% target; end-to-end time beside 3 s."""
    plt = _report.pyplot()
    fig, (cov, wall) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [r["module"] for r in rows]
    xs = range(len(rows))

    def share(n: int, d: int) -> float:
        return 100 * n / d if d else 0.0

    bars = [
        ("real signatures: ours", [share(r["real"], r["callables"]) for r in rows], "#3a75b0"),
        (
            "inspect.signature (same run)",
            [share(r["baseline"]["real"], r["baseline"]["callables"]) for r in rows],
            "#aaaaaa",
        ),
        ("return types: ours", [share(r["with_returns"], r["callables"]) for r in rows], "#7fb3d9"),
    ]
    for i, (label, values, color) in enumerate(bars):
        cov.bar([x + (i - 1) * 0.27 for x in xs], values, 0.27, label=label, color=color)
    cov.axhline(98, color="#d62728", linestyle="--", label="target ≥ 98% real signatures")
    cov.set_xticks(list(xs), names, rotation=35, ha="right", fontsize=8)
    cov.set_ylabel("% of callables")
    cov.set_title("coverage", fontsize=10)
    cov.legend(fontsize=8, loc="lower left")

    totals = [r["timing"]["total_seconds"] for r in rows]
    wall.bar(list(xs), totals, color="#3a75b0", label="end-to-end introspection (median s)")
    for x, t in zip(xs, totals, strict=True):
        wall.text(x, t, f"{t:.2f}", ha="center", va="bottom", fontsize=8)
    wall.axhline(3, color="#d62728", linestyle="--", label="target ≤ 3 s (numpy top level)")
    wall.set_xticks(list(xs), names, rotation=35, ha="right", fontsize=8)
    wall.set_ylabel("seconds")
    wall.set_title("time (spawn, import, introspect, parse docs)", fontsize=10)
    wall.legend(fontsize=8, loc="upper left")
    fig.suptitle("bench/introspect: from results.json (committed)", fontsize=10)
    _report.save(fig, target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("modules", nargs="*", default=MODULES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--no-classes", action="store_true", help="skip the methods table")
    parser.add_argument("--report", action="store_true", help="re-render from results.json")
    args = parser.parse_args()
    if not args.report:
        pinning = pin()
        load_before = _report.loadavg()
        rows = [run(m, args.repeat, args.python) for m in args.modules]
        method_rows = (
            []
            if args.no_classes
            else [run(m, args.repeat, args.python, classes) for m, classes in CLASSES]
        )
        data = {
            "environment": versions(args.python),
            "machine": _report.machine(),
            "load": _report.load_line(load_before, _report.loadavg()),
            "pinning": pinning,
            "repeat": args.repeat,
            "rows": rows,
            "method_rows": method_rows,
        }
        (HERE / "results.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    data = json.loads((HERE / "results.json").read_text())
    text = render(data)
    (HERE / "results.md").write_text(text)
    plot(data["rows"], HERE / "results.png")
    print(text)


if __name__ == "__main__":
    main()
