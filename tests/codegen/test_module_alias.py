"""A module attribute that is another module under a name of its own:
``import statsmodels.api as sm; sm.nonparametric.lowess(...)``, where
``statsmodels.api.nonparametric`` is the module ``statsmodels.nonparametric.api`` and
``statsmodels.api`` is no package. The Elixir module follows the path the docs write
(``Statsmodels.Api.Nonparametric``); the calls import the module by its own name,
since ``import statsmodels.api.nonparametric`` fails (the worker said
``ModuleNotFoundError: ... 'statsmodels.api' is not a package``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from snakebridge.codegen.emit import render_library
from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

LIB = LibrarySpec("sbalias", ">= 0", "Sbalias", "sbalias")

FILES = {
    "__init__.py": "",
    "api.py": "from .sub import impl as tools\n",
    "sub/__init__.py": "",
    "sub/impl.py": """
        def smooth(x):
            return x


        class Frame:
            def __init__(self, n):
                self.n = n
        """,
}


def test_calls_through_a_module_alias_import_the_module_by_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for rel, text in FILES.items():
        path = tmp_path / "sbalias" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    project = Project(tmp_path, (LIB,), tmp_path / "lib" / "snakebridge_generated", "")
    calls = [
        Detection("Sbalias.Api.Tools", "smooth", 1),
        Detection("Sbalias.Api.Tools.Frame", "new", 1),
    ]
    result = introspect(project, {"sbalias": calls})["sbalias"]
    assert not result.unresolved, [u.message for u in result.unresolved]
    (api,) = result.library.root.submodules
    (tools,) = api.submodules
    assert tools.name == "sbalias.api.tools"  # the Elixir module follows the path
    (smooth,) = tools.functions
    assert smooth.module == "sbalias.sub.impl"
    (frame,) = tools.classes
    assert frame.module == "sbalias.sub.impl"
    source = render_library(result.library, LIB, tool_version="0.1.0").source
    assert "defmodule Sbalias.Api.Tools do" in source
    assert 'python_module: "sbalias.api.tools"' not in source
    assert 'python_module: "sbalias.sub.impl"' in source
