"""Same inputs, same bytes: regardless of discovery order, hash seed, locale or directory.

A real introspection (numpy, sympy classes included) is saved as plain data, shuffled in
every collection whose order is discovery noise, and rendered in separate processes
with different ``PYTHONHASHSEED``, locale and working directory.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.codegen.fixtures import numpy_like

from snakebridge.codegen import model, names
from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

UNORDERED = {"functions", "classes", "attributes", "submodules", "methods", "enum_members"}

RENDER = """
import json, sys
from pathlib import Path
from snakebridge.codegen import model
from snakebridge.codegen.emit import render_library
from snakebridge.project import LibrarySpec
data = json.loads(Path(sys.argv[1]).read_text())
library = model.from_data(model.Library, data["library"])
spec = LibrarySpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["spec"].items()})
Path("out.ex").write_text(render_library(library, spec, tool_version="0.1.0").source)
"""


def shuffled(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        out = {}
        keys = list(data)
        rng.shuffle(keys)  # dict order of the saved data is noise too
        for key in keys:
            value = shuffled(data[key], rng)
            if key in UNORDERED and isinstance(value, list):
                rng.shuffle(value)
            out[key] = value
        return out
    if isinstance(data, list):
        return [shuffled(v, rng) for v in data]
    return data


@pytest.fixture(scope="module")
def libraries() -> list[tuple[model.Library, LibrarySpec]]:
    numpy_spec = LibrarySpec(
        "numpy", "~> 2.0", "Numpy", "numpy", streaming=("nditer",), idempotent=("mean", "std")
    )
    sympy_spec = LibrarySpec("sympy", "~> 1.13", "Sympy", "sympy")
    requests = {
        "numpy": [
            Detection("Numpy", names.function_name(n), 1)
            for n in ("mean", "std", "add", "array", "nditer", "float64", "einsum", "where", "N")
        ]
        + [Detection("Numpy.Linalg", n, 1) for n in ("solve", "eig", "norm", "svd")]
        + [Detection("Numpy.Ndarray", n, 1) for n in ("tolist", "reshape", "shape", "sum")],
        "sympy": [
            Detection("Sympy", names.function_name(n), 1)
            for n in ("N", "S", "sympify", "diff", "Matrix")
        ]
        + [Detection("Sympy.Symbol", n, 1) for n in ("new", "simplify", "free_symbols")],
    }
    project = Project(
        Path("/tmp/sb-det"), (numpy_spec, sympy_spec), Path("/tmp/sb-det/lib"), sys.executable
    )
    results = introspect(project, requests)
    return [
        (results["numpy"].library, numpy_spec),
        (results["sympy"].library, sympy_spec),
        (numpy_like(), LibrarySpec("numpy", "~> 2.0", "Numpy", "numpy", streaming=("mean",))),
    ]


def render_in_process(tmp: Path, data: dict[str, Any], seed: str, locale: str) -> bytes:
    tmp.mkdir()
    (tmp / "input.json").write_text(json.dumps(data))
    env = {**os.environ, "PYTHONHASHSEED": seed, "LC_ALL": locale, "LANG": locale}
    subprocess.run(
        [sys.executable, "-c", RENDER, str(tmp / "input.json")],
        cwd=tmp,
        env=env,
        check=True,
        timeout=120,
    )
    return (tmp / "out.ex").read_bytes()


def test_output_is_byte_identical_across_orders_seeds_locales_and_dirs(
    libraries: list[tuple[model.Library, LibrarySpec]], tmp_path: Path
) -> None:
    for k, (library, spec) in enumerate(libraries):
        base = {
            "library": model.to_data(library),
            "spec": {f: getattr(spec, f) for f in spec.__dataclass_fields__},
        }
        a = render_in_process(tmp_path / f"a{k}", shuffled(base, random.Random(1)), "1", "C")
        b = render_in_process(
            tmp_path / f"b{k}", shuffled(base, random.Random(2)), "4242", "C.UTF-8"
        )
        assert a == b, library.name
        assert b"\r" not in a
        expected = [
            b"defmodule Numpy.Linalg do",
            b"defmodule Sympy.Symbol do",
            b"defmodule Numpy.Ndarray do",
        ][k]
        assert expected in a
