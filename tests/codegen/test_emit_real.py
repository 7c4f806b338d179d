"""Real libraries end to end: introspect ≥ 200 symbols each of numpy, scipy.linalg, sympy
and pandas, render, and compile all four files in one real Mix compile with
``--warnings-as-errors``, then ``mix format --check-formatted``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import pytest
from tests.codegen.elixir_harness import ElixirProject

from snakebridge.codegen import names
from snakebridge.codegen.emit import Rendered, render_library
from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

LIMIT = 600  # per source module: the whole public surface of most of them


def _public(module_name: str, *, everything: bool = False) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    listed = (None if everything else getattr(module, "__all__", None)) or [
        n for n in dir(module) if not n.startswith("_")
    ]
    found = []
    for name in sorted(set(listed)):
        obj = getattr(module, name, None)
        if obj is None or inspect.ismodule(obj):
            continue
        found.append((name, obj))
    return found[:LIMIT]


def _detections(module_name: str, elixir: str, *, everything: bool = False) -> list[Detection]:
    return [
        Detection(elixir, names.function_name(name), 1 if callable(obj) else 0)
        for name, obj in _public(module_name, everything=everything)
    ]


def _methods(cls: type, elixir: str) -> list[Detection]:
    return [
        Detection(elixir, names.function_name(n), 1)
        for n in sorted(dir(cls))
        if not n.startswith("_")
    ][:LIMIT]


LIBRARIES = {
    "numpy": (
        LibrarySpec("numpy", "~> 2.0", "Numpy", "numpy"),
        lambda: _detections("numpy", "Numpy") + _detections("numpy.linalg", "Numpy.Linalg"),
    ),
    "scipy": (
        LibrarySpec("scipy", "~> 1.13", "Scipy", "scipy"),
        lambda: (
            _detections("scipy.linalg", "Scipy.Linalg")
            # lapack's Fortran wrappers are not in its __all__
            + _detections("scipy.linalg.lapack", "Scipy.Linalg.Lapack", everything=True)
        ),
    ),
    "sympy": (
        LibrarySpec("sympy", "~> 1.13", "Sympy", "sympy"),
        lambda: _detections("sympy", "Sympy"),
    ),
    "pandas": (
        LibrarySpec("pandas", "~> 2.2", "Pandas", "pandas"),
        lambda: (
            _detections("pandas", "Pandas")
            + _methods(importlib.import_module("pandas").DataFrame, "Pandas.DataFrame")
        ),
    ),
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, Rendered]:
    specs = tuple(spec for spec, _ in LIBRARIES.values())
    project = Project(
        Path("/tmp/sb-emit-real"), specs, Path("/tmp/sb-emit-real/lib"), sys.executable
    )
    requests = {name: make() for name, (_, make) in LIBRARIES.items()}
    results = introspect(project, requests, timeout=600)
    return {
        name: render_library(results[name].library, LIBRARIES[name][0], tool_version="0.1.0")
        for name in LIBRARIES
    }


def test_each_library_has_at_least_200_symbols(rendered: dict[str, Rendered]) -> None:
    for name, result in rendered.items():
        assert len(result.symbols) >= 200, (name, len(result.symbols))
        kinds = {s.kind for s in result.symbols}
        assert "function" in kinds or "class" in kinds, (name, kinds)
    assert "ufunc" in {s.kind for s in rendered["numpy"].symbols}
    assert "method" in {s.kind for s in rendered["pandas"].symbols}


def test_real_bindings_compile_clean_and_are_formatted(
    rendered: dict[str, Rendered], elixir_project: ElixirProject
) -> None:
    elixir_project.check({f"{name}.ex": r.source for name, r in rendered.items()})
    docs = elixir_project.evaluate(
        """
        %{
          mean: Numpy.doc(:mean),
          solve: Scipy.Linalg.doc(:solve),
          n: Sympy.doc("N"),
          merge: Pandas.DataFrame.doc(:merge),
          search: Enum.map(Numpy.__search__("eigen"), &{&1.module, &1.name})
        }
        """
    )
    assert isinstance(docs, dict)
    assert docs["mean"].startswith("Compute the arithmetic mean")
    assert "## Parameters" in docs["mean"] and "```python" in docs["mean"]
    assert "## Parameters" in docs["solve"]
    assert docs["n"] and docs["merge"]
    assert ("Elixir.Numpy.Linalg", "eig") in docs["search"]
