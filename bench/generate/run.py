"""Generator benchmark.

1. Render time. The public surfaces of numpy (+ numpy.linalg, numpy.fft) and sympy are
   introspected once through the real introspector and saved as plain data
   (``bench/.work/generate/*.json``, not committed). The timed step is what a
   regeneration from saved introspection costs: load the JSON into the model
   (``model.from_data``) and ``render_library`` it. Baseline in the same run: only
   ``json.loads`` of the same file, i.e. reading the saved introspection at all.
   Target: ≤ 1 s per 1,000 symbols.
2. Compile time. ``mix compile --force`` of the generated numpy file next to its
   baseline, the same functions written by hand (``same_functions``: exactly the
   generated public functions and arities, the same docs, specs and runtime calls,
   without the generator's ``@compile`` options and discovery attributes), next to the
   earlier, smaller hand-written module (``hand_written``: one arity per function, no
   specs or bang variants; kept, labelled, for comparison with earlier runs), and the
   generated file of sympy's whole top level, rendered with each ``*args`` cap of
   ``--caps`` (``shape.MAX_VARARGS``: how many extra positionals a ``*args`` gets as
   Elixir parameters; the rest go in ``SnakeBridge.splat``), all in the same
   interleaved rounds; numpy is rendered with the committed cap. Ratios are medians of
   per-round ratios, wall and CPU (user + system of mix and its children). Each file is
   also compiled once with ``Code.compile_file`` in a fresh VM to count reductions,
   which do not depend on the machine's load.

Run:  taskset -c 0,1 .venv/bin/python bench/generate/run.py [--repeat 5] [--caps 8,6,4]
Writes bench/generate/results.md, results.json and results.png.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from snakebridge import __version__
from snakebridge.codegen import model, names
from snakebridge.codegen.emit import render_library, shape, text
from snakebridge.codegen.emit.literals import heredoc
from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORK = REPO / "bench" / ".work" / "generate"

LIBRARIES = {
    "numpy": (
        LibrarySpec("numpy", "~> 2.0", "Numpy", "numpy"),
        [("numpy", "Numpy"), ("numpy.linalg", "Numpy.Linalg"), ("numpy.fft", "Numpy.Fft")],
    ),
    "sympy": (LibrarySpec("sympy", "~> 1.13", "Sympy", "sympy"), [("sympy", "Sympy")]),
}


def detections(module_name: str, elixir: str) -> list[Detection]:
    module = importlib.import_module(module_name)
    listed = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    found = []
    for name in sorted(set(listed)):
        obj = getattr(module, name, None)
        if obj is None or inspect.ismodule(obj):
            continue
        found.append(Detection(elixir, names.function_name(name), 1 if callable(obj) else 0))
    return found


def saved(name: str) -> Path:
    path = WORK / f"{name}.json"
    if not path.exists():
        spec, modules = LIBRARIES[name]
        project = Project(WORK, (spec,), WORK / "lib", sys.executable)
        requests = {name: [d for mod, ex in modules for d in detections(mod, ex)]}
        result = introspect(project, requests, timeout=900)[name]
        WORK.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(model.to_data(result.library)))
    return path


@contextlib.contextmanager
def varargs_cap(cap: int) -> Iterator[None]:
    """Render with ``cap`` extra Elixir parameters per ``*args`` (the rule reads
    ``shape.MAX_VARARGS`` when it plans a call)."""
    committed = shape.MAX_VARARGS
    shape.MAX_VARARGS = cap
    try:
        yield
    finally:
        shape.MAX_VARARGS = committed


def render_from_saved(path: Path, spec: LibrarySpec) -> tuple[float, float, float, int, str]:
    """(json.loads, + model.from_data, + render_library) cumulative times, symbols, text."""
    t0 = time.perf_counter()
    data = json.loads(path.read_text())
    t1 = time.perf_counter()
    library = model.from_data(model.Library, data)
    t2 = time.perf_counter()
    rendered = render_library(library, spec, tool_version=__version__)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t0, t3 - t0, len(rendered.symbols), rendered.source


def hand_written(library: model.Library) -> tuple[str, int]:
    """The same functions as a person would wrap them: @doc + one call each, no extras."""
    out: list[str] = []
    count = 0

    def walk(module: model.Module) -> None:
        nonlocal count
        out.append(f"defmodule Hand.{names.elixir_module(module.name)} do")
        out.append('  @moduledoc "Hand-written."')
        for fn in module.functions:
            count += 1
            out.append("")
            out.append("  @doc " + heredoc(fn.doc.raw or fn.name, "  "))
            out.append(f"  def {names.function_name(fn.name)}(args, opts \\\\ []) do")
            out.append(
                f'    SnakeBridge.Runtime.call(%{{call_type: :call, library: "x", '
                f'python_module: "{module.name}", function: "{fn.qualname}", '
                f"kwargs: :any}}, args, opts)"
            )
            out.append("  end")
        out.append("end")
        out.append("")
        for sub in module.submodules:
            walk(sub)

    walk(library.root)
    return "\n".join(out), count


_DATA_ATTRIBUTES = ("@sb_functions", "@sb_classes", "@sb_nested")


def same_functions(generated: str, compile_options: bool = False) -> str:
    """The generated file as a careful person would write exactly its functions: the same
    modules, public functions and arities (default arguments, one body each), the same
    ``@doc`` and ``@spec`` text and the same runtime calls (the runtime's public API takes
    the descriptor map), but no ``@compile`` options and the discovery data written into
    the discovery functions instead of module attributes."""
    out: list[str] = []
    data: dict[str, str] = {}
    lines = iter(generated.split("\n"))
    for line in lines:
        if line == text.COMPILE_LINE and not compile_options:
            continue
        attr = next((a for a in _DATA_ATTRIBUTES if line.startswith(f"  {a} ")), None)
        if attr is not None:
            value = [line[len(attr) + 3 :]]
            while value[0].endswith("[") and value[-1] != "  ]":
                value.append(next(lines))
            data[attr] = "\n".join(value)
            continue
        if line.startswith(tuple(f"  {a}_etf " for a in _DATA_ATTRIBUTES)):
            continue
        for a, literal in data.items():
            line = line.replace(f":erlang.binary_to_term({a}_etf)", a)
            if line.endswith(f"do: {a}") or f", {a}, " in line:
                line = line.replace(a, literal)
        if line.startswith("defmodule "):
            data = {}
        out.append(line)
    return "\n".join(out)


def public_functions(source: str) -> set[tuple[str, str, int]]:
    """(module, function, arity) of every public function, as verify reads them."""
    from snakebridge.state.bindings import parse_source

    return parse_source(source)


def reductions(root: Path, source: str) -> tuple[int, float]:
    """(VM reductions, CPU seconds) of ``Code.compile_file`` of ``source`` in a fresh VM:
    reductions are the same at any load (to about 0.1%), so variants compare exactly."""
    path = root / "reductions.ex"
    path.write_text(source)
    script = (
        "Code.put_compiler_option(:ignore_module_conflict, true)\n"
        "{r0, _} = :erlang.statistics(:exact_reductions)\n"
        "{c0, _} = :erlang.statistics(:runtime)\n"
        f'Code.compile_file("{path}")\n'
        "{r1, _} = :erlang.statistics(:exact_reductions)\n"
        "{c1, _} = :erlang.statistics(:runtime)\n"
        'IO.puts("#{r1 - r0} #{c1 - c0}")\n'
    )
    ebin = root / "_build" / "dev" / "lib" / "snakebridge" / "ebin"
    proc = subprocess.run(
        ["elixir", "-pa", str(ebin), "-e", script],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    path.unlink()
    count, cpu_ms = proc.stdout.split()[-2:]
    return int(count), int(cpu_ms) / 1000


def mix_project(root: Path) -> Path:
    """A Mix project depending on the committed ``elixir/`` (a snapshot of HEAD, so work
    in progress in the tree cannot change the measurement halfway)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "lib").mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "HEAD", "elixir"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    (root / "mix.exs").write_text(
        "defmodule BenchGen.MixProject do\n  use Mix.Project\n\n  def project do\n"
        '    [app: :bench_gen, version: "0.1.0", elixir: "~> 1.14",\n'
        f'     deps: [{{:snakebridge, path: "{root / "elixir"}"}}]]\n  end\nend\n'
    )
    run_mix(root, "deps.compile")
    return root


def run_mix(root: Path, *args: str, erl_flags: str = "") -> tuple[float, float]:
    """(wall, CPU) seconds of one mix run. CPU is user + system time of mix and its
    children: the other engineers' load stretches the wall time several-fold on this
    shared machine, the CPU time much less, so both are reported."""
    env = {**os.environ, "MIX_ENV": "dev", "SNAKEBRIDGE_SKIP": "1", "ERL_FLAGS": erl_flags}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(["mix", *args], cwd=root, env=env, check=True, capture_output=True, timeout=1800)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def compile_times(
    root: Path, sources: dict[str, tuple[str, str]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds of ``mix compile --force`` of each (source, ERL_FLAGS),
    interleaved (A, B, A, B, ...) so that load from other processes on this shared
    machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in sources}
    cpus: dict[str, list[float]] = {name: [] for name in sources}
    for k in range(repeat + 1):
        for name, (source, flags) in sources.items():
            for old in (root / "lib").glob("*.ex"):
                old.unlink()
            (root / "lib" / "bench.ex").write_text(source)
            wall, cpu = run_mix(root, "compile", "--force", erl_flags=flags)
            if k > 0:  # the first round warms caches
                times[name].append(wall)
                cpus[name].append(cpu)
    return times, cpus


def versions() -> dict[str, str]:
    elixir = subprocess.run(["elixir", "--version"], capture_output=True, text=True).stdout
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "python": platform.python_version(),
        "elixir": " / ".join(line for line in elixir.splitlines() if line.strip()),
        "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "snakebridge": __version__,
        "numpy": importlib.import_module("numpy").__version__,
        "sympy": importlib.import_module("sympy").__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--caps",
        default="8,6,4",
        help="the *args caps to render sympy's top level with (comma-separated)",
    )
    args = parser.parse_args()
    caps = [int(c) for c in args.caps.split(",")]

    render: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, (spec, _) in LIBRARIES.items():
        path = saved(name)
        runs = [render_from_saved(path, spec) for _ in range(args.repeat)]
        render[name] = {
            "symbols": runs[0][3],
            "bytes_in": path.stat().st_size,
            "bytes_out": len(runs[0][4].encode()),
            "json_loads_s": statistics.median(r[0] for r in runs),
            "loaded_s": statistics.median(r[1] for r in runs),
            "generate_s": statistics.median(r[2] for r in runs),
            "render_only_s": statistics.median(r[2] - r[1] for r in runs),
        }
        render[name]["per_1000_s"] = render[name]["generate_s"] * 1000 / runs[0][3]
        sources[name] = runs[0][4]
    sympy_spec = LIBRARIES["sympy"][0]
    for cap in caps:
        with varargs_cap(cap):
            sources[f"sympy_{cap}"] = render_from_saved(saved("sympy"), sympy_spec)[4]

    root = mix_project(WORK / "mixproj")
    numpy_lib = model.from_data(model.Library, json.loads(saved("numpy").read_text()))
    hand, hand_count = hand_written(numpy_lib)
    same = {name: same_functions(sources[name]) for name in LIBRARIES}
    for name in LIBRARIES:
        # the baseline must have exactly the generated functions, or the ratio means nothing
        assert public_functions(same[name]) == public_functions(sources[name]), name
    load_before = os.getloadavg()
    counted: dict[str, tuple[int, float]] = {
        "hand_written": reductions(root, hand),
        "same_functions": reductions(root, same["numpy"]),
        "same_functions_options": reductions(root, same_functions(sources["numpy"], True)),
        "generated": reductions(root, sources["numpy"]),
        "sympy_same_functions": reductions(root, same["sympy"]),
        **{f"sympy_{cap}": reductions(root, sources[f"sympy_{cap}"]) for cap in caps},
    }
    times, cpus = compile_times(
        root,
        {
            "empty": ("defmodule Empty do\nend\n", ""),
            "hand_written": (hand, ""),
            "same_functions": (same["numpy"], ""),
            "generated": (sources["numpy"], ""),
            **{f"sympy_{cap}": (sources[f"sympy_{cap}"], "") for cap in caps},
        },
        args.repeat,
    )
    compile_results: dict[str, dict[str, Any]] = {
        "empty": {"bytes": 22, "functions": 0},
        "hand_written": {"bytes": len(hand.encode()), "functions": hand_count},
        "same_functions": {
            "bytes": len(same["numpy"].encode()),
            "functions": len(public_functions(same["numpy"])),
        },
        "generated": {
            "bytes": len(sources["numpy"].encode()),
            "functions": len(public_functions(sources["numpy"])),
        },
        **{
            f"sympy_{cap}": {
                "bytes": len(sources[f"sympy_{cap}"].encode()),
                "functions": len(public_functions(sources[f"sympy_{cap}"])),
                "cap": cap,
            }
            for cap in caps
        },
    }
    for name, walls in times.items():
        compile_results[name].update(
            {
                "runs": walls,
                "min": min(walls),
                "median": statistics.median(walls),
                "cpu_runs": cpus[name],
                "cpu_median": statistics.median(cpus[name]),
            }
        )
    for name, (count, cpu) in counted.items():
        compile_results.setdefault(name, {}).update({"reductions": count, "compile_file_cpu": cpu})
    # the ratios the target is about, per round (both measured in the same round): against
    # the same functions written by hand (the target's baseline), and, labelled as such,
    # against the smaller hand-written module of earlier runs
    g = compile_results["generated"]
    for base in ("same_functions", "hand_written"):
        for prefix, series in (("", times), ("cpu_", cpus)):
            ratios = [g / h for g, h in zip(series["generated"], series[base], strict=True)]
            g[f"{prefix}ratio_{base}_median"] = statistics.median(ratios)
            g[f"{prefix}ratio_{base}_min"] = min(ratios)
            g[f"{prefix}ratio_{base}_max"] = max(ratios)
        g[f"reductions_ratio_{base}"] = g["reductions"] / compile_results[base]["reductions"]
    results = {
        "versions": versions(),
        "caps": caps,
        "committed_cap": shape.MAX_VARARGS,
        "cpus": sorted(os.sched_getaffinity(0)),
        "render": render,
        "compile": compile_results,
        "repeat": args.repeat,
        "load_average": os.getloadavg(),
        "load_average_before": load_before,
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (HERE / "results.md").write_text(markdown_table(results))
    plot(results)
    print(markdown_table(results))


def plot(r: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["empty", "hand_written", "same_functions", "generated"]
    labels += [f"sympy_{cap}" for cap in r["caps"]]
    names = [
        "empty module",
        "numpy, earlier baseline",
        "numpy, same functions by hand",
        f"numpy, generated (*args cap {r['committed_cap']})",
        *(f"sympy, generated, *args cap {cap}" for cap in r["caps"]),
    ]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for k, key in enumerate(labels):
        runs = r["compile"][key]["runs"]
        ax.scatter(runs, [k] * len(runs), color="C0", s=18)
        ax.plot([statistics.median(runs)] * 2, [k - 0.3, k + 0.3], color="C1")
    ax.axvline(10, color="C3", linestyle=":", label="sympy target (10 s)")
    ax.axvline(
        1.5 * r["compile"]["same_functions"]["median"],
        color="C2",
        linestyle="--",
        label="1.5x the same functions by hand (numpy target)",
    )
    ax.set_yticks(range(len(labels)), names)
    ax.set_xlabel("mix compile --force, seconds (dots: rounds, bar: median)")
    ax.legend(fontsize=7, loc="lower right")
    la = r["load_average"][0]
    ax.set_title(f"Compiling generated bindings (load average {la:.1f}, 2 cores)", fontsize=9)
    fig.tight_layout()
    fig.savefig(HERE / "results.png", dpi=110)


def markdown_table(r: dict[str, Any]) -> str:
    v = r["versions"]
    lines = [
        "# Generator benchmark",
        "",
        f"Machine: {v['machine']}. Python {v['python']}; {v['elixir']}.",
        f"SnakeBridge {v['snakebridge']}, numpy {v['numpy']}, sympy {v['sympy']}. "
        f"Median of {r['repeat']} runs; method in `bench/generate/run.py`.",
        "",
        "## Generating from saved introspection (target: ≤ 1 s per 1,000 symbols)",
        "",
        "| library | symbols | saved JSON | generated .ex | json.loads only (baseline) "
        "| + model.from_data | + render_library (total) | of which render | "
        "total per 1,000 symbols | total / baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, x in r["render"].items():
        lines.append(
            f"| {name} | {x['symbols']} | {x['bytes_in'] / 1e6:.1f} MB "
            f"| {x['bytes_out'] / 1e6:.1f} MB | {x['json_loads_s'] * 1000:.0f} ms "
            f"| {x['loaded_s'] * 1000:.0f} ms | {x['generate_s'] * 1000:.0f} ms "
            f"| {x['render_only_s'] * 1000:.0f} ms | {x['per_1000_s'] * 1000:.0f} ms "
            f"| {x['generate_s'] / x['json_loads_s']:.1f}x |"
        )
    g = r["compile"]["generated"]
    c = r["compile"]
    labels = {
        "empty": "empty module (Mix start-up, the floor of every row)",
        "hand_written": "numpy, earlier baseline: hand-written, 1 arity per function, no specs",
        "same_functions": "numpy, the same functions by hand (target's baseline)",
        "generated": f"numpy, generated (`*args` cap {r['committed_cap']})",
        **{
            f"sympy_{cap}": f"sympy's whole top level, generated, `*args` cap {cap}"
            for cap in r["caps"]
        },
    }
    lines += [
        "",
        "## Compiling generated files (`mix compile --force`, dependency already built)",
        "",
        "The target's baseline, *the same functions by hand*, has exactly the generated "
        "file's modules and public functions with their arities (checked: the two sets are "
        "equal), the same `@doc` and `@spec` text, default arguments and one body per "
        "function calling the runtime as the generated one does; it lacks what only a "
        "generator writes: the `@compile` options and the discovery data as module "
        "attributes. The earlier baseline (512 functions, one arity each, docs but no specs "
        "or bang variants, so 928 Erlang functions against the generated 4,190) is kept, "
        "labelled, for comparison with earlier runs.",
        "",
        f"Rounds: {r['repeat']}, interleaved (every row in each round; the first, warm-up "
        f"round not counted), pinned to CPUs {r['cpus']} (`taskset`). Load average "
        f"{r['load_average_before'][0]:.1f} before and {r['load_average'][0]:.1f} after the "
        "run (1-minute), on 2 cores shared with other engineers' test suites.",
        "",
        "| file | public functions | bytes | compile (min) | compile (median) | CPU (median) "
        "| reductions (`Code.compile_file`) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in labels.items():
        x = c[key]
        red = f"{x['reductions'] / 1e6:.0f} M" if "reductions" in x else "-"
        lines.append(
            f"| {label} | {x['functions']} | {x['bytes'] / 1e6:.2f} MB | {x['min']:.2f} s "
            f"| {x['median']:.2f} s | {x['cpu_median']:.2f} s | {red} |"
        )

    def ratio(base: str) -> str:
        return (
            f"wall {g[f'ratio_{base}_median']:.2f}x (min {g[f'ratio_{base}_min']:.2f}x, max "
            f"{g[f'ratio_{base}_max']:.2f}x), CPU {g[f'cpu_ratio_{base}_median']:.2f}x (min "
            f"{g[f'cpu_ratio_{base}_min']:.2f}x, max {g[f'cpu_ratio_{base}_max']:.2f}x), "
            f"reductions {g[f'reductions_ratio_{base}']:.2f}x"
        )

    lines += [
        "",
        "Medians of per-round ratios, target 1.5x:",
        "",
        f"- numpy generated / the same functions by hand: {ratio('same_functions')}.",
        f"- numpy generated / the earlier hand-written baseline: {ratio('hand_written')}.",
        "",
        "Reductions in one `Code.compile_file` each (load-independent): the same functions "
        f"by hand with the generator's `@compile` options added "
        f"{c['same_functions_options']['reductions'] / 1e6:.0f} M; sympy's top level by hand "
        f"(`*args` cap {r['committed_cap']}) "
        f"{c['sympy_same_functions']['reductions'] / 1e6:.0f} M.",
        "",
        "sympy's whole top level (target 10 s on this machine), by `*args` cap, in the same "
        "rounds:",
        "",
        "| `*args` cap | public function arities | `mix compile --force` wall (median) "
        "| wall min-max | CPU (median) | `Code.compile_file` CPU | reductions "
        "| ratio to the first cap, wall (median of rounds, min-max) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    first = c[f"sympy_{r['caps'][0]}"]
    for cap in r["caps"]:
        x = c[f"sympy_{cap}"]
        rounds = [a / b for a, b in zip(x["runs"], first["runs"], strict=True)]
        lines.append(
            f"| {cap} | {x['functions']} | {x['median']:.1f} s "
            f"| {x['min']:.1f}-{max(x['runs']):.1f} s | {x['cpu_median']:.1f} s "
            f"| {x['compile_file_cpu']:.1f} s | {x['reductions'] / 1e6:.0f} M "
            f"| {statistics.median(rounds):.2f}x ({min(rounds):.2f}-{max(rounds):.2f}) |"
        )
    lines += [
        "",
        "Plot: `results.png`. Analysis and what was tried: `bench/generate/README.md`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
