"""The docs index: the whole public surface of a library, deterministic, rewritten only when
the library's version changes."""

from __future__ import annotations

import sys
from pathlib import Path
from types import MappingProxyType

import pytest

import snakebridge
from snakebridge import docs_index
from snakebridge.project import LibrarySpec, Project
from snakebridge.state import lock

REPO = Path(__file__).resolve().parents[2]
SOURCE = str(Path(snakebridge.__file__).resolve().parent.parent)
DEMO_DOCS = REPO / "examples/demo/.snakebridge/docs"


class _Output:
    def __init__(self) -> None:
        self.logs: list[tuple[str, str]] = []

    def out(self, text: str) -> None:
        pass

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))


def _rows(python_module: str, module_name: str) -> dict[str, docs_index.Row]:
    """The symbol rows by Python name (a class's ``bases`` row left out)."""
    rows = docs_index.build(sys.executable, python_module, module_name, SOURCE)
    return {r.python: r for r in rows if r.kind != "bases"}


def test_numpy_surface_names_signatures_summaries_and_elixir_spellings() -> None:
    rows = _rows("numpy", "Numpy")
    inv = rows["numpy.linalg.inv"]
    assert (inv.kind, inv.elixir, inv.signature) == ("function", "Numpy.Linalg.inv(a)", "(a)")
    assert inv.summary == "Compute the inverse of a matrix."
    # ufuncs have no inspect.signature: it comes from the docstring's first line.
    assert rows["numpy.add"].signature.startswith("(x1, x2, /")
    assert rows["numpy.add"].elixir == "Numpy.add(x1, x2, opts)"
    assert rows["numpy.ndarray"].kind == "class"
    assert rows["numpy.ndarray.tolist"].elixir == "Numpy.Ndarray.tolist(ref)"
    assert rows["numpy.ndarray.tolist"].summary.startswith("Return the array as")
    assert rows["numpy.linalg"].kind == "module"
    # The deprecated alias numpy.core is listed, its names are not indexed twice.
    assert not any(name.startswith("numpy.core.") for name in rows)


def test_index_is_deterministic_and_matches_the_committed_demo_index() -> None:
    first = docs_index.render(
        "numpy", "2.4.6", docs_index.build(sys.executable, "numpy", "Numpy", SOURCE)
    )
    assert " at 0x" not in first
    lines = first.splitlines()
    assert lines[0] == "# snakebridge docs index v2: numpy 2.4.6"
    assert lines[1:] == sorted(lines[1:])
    committed = DEMO_DOCS / "numpy.tsv"
    import numpy

    # The dev environment has the demo's numpy: the same bytes, on another venv.
    assert docs_index.indexed_version(committed) == numpy.__version__
    assert committed.read_text() == first


def _library(tmp: Path, body: str) -> Path:
    pkg = tmp / "pkgs" / "sbdocs_lib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(body)
    return pkg.parent


def _project(tmp: Path, source: str) -> Project:
    root = tmp / "app"
    root.mkdir(exist_ok=True)
    spec = LibrarySpec("sbdocs_lib", "~> 1.0", "SbdocsLib", "sbdocs_lib")
    return Project(root, (spec,), root / "lib", sys.executable, docs_source=source)


def _lock(version: str) -> lock.Lock:
    entry = lock.LibraryLock(requested="~> 1.0", resolved=version, files_hash="")
    return lock.Lock("", "", "", "", "", MappingProxyType({"sbdocs_lib": entry}))


LIB = '''
"""A tiny library."""
print("libraries may print while imported")


def mean(values, axis=None):
    """Average of values.

    Long text.
    """


class Hostile:
    """Its attribute raises."""

    @property
    def boom(self):
        raise RuntimeError


class Box:
    """A box."""

    def __init__(self, value):
        pass

    def get(self):
        """The value."""


class _Mixin:
    def shared(self):
        """From a private mixin."""


class Base:
    """A public base."""

    def base_only(self):
        """Defined on Base."""


class Child(Base, _Mixin):
    """A child."""
'''


def test_update_writes_once_per_version_and_only_for_metadata_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(_library(tmp_path, LIB)))
    output = _Output()
    project = _project(tmp_path, "metadata")
    written = docs_index.update(project, _lock("1.0"), output)
    assert written == [".snakebridge/docs/sbdocs_lib.tsv"]
    text = (project.root / written[0]).read_text()
    assert text == (
        "# snakebridge docs index v2: sbdocs_lib 1.0\n"
        "sbdocs_lib.Base\tclass\tSbdocsLib.Base.new()\t()\tA public base.\n"
        "sbdocs_lib.Base.base_only\tmethod\tSbdocsLib.Base.base_only(ref)\t(self)\t"
        "Defined on Base.\n"
        "sbdocs_lib.Box\tclass\tSbdocsLib.Box.new(value)\t(value)\tA box.\n"
        "sbdocs_lib.Box.get\tmethod\tSbdocsLib.Box.get(ref)\t(self)\tThe value.\n"
        # Inherited from an indexed base: named by the bases row, not repeated; from a
        # private mixin: listed under the class.
        "sbdocs_lib.Child\tbases\tSbdocsLib.Child\tsbdocs_lib.Base\t\n"
        "sbdocs_lib.Child\tclass\tSbdocsLib.Child.new()\t()\tA child.\n"
        "sbdocs_lib.Child.shared\tmethod\tSbdocsLib.Child.shared(ref)\t(self)\t"
        "From a private mixin.\n"
        "sbdocs_lib.Hostile\tclass\tSbdocsLib.Hostile.new()\t()\tIts attribute raises.\n"
        "sbdocs_lib.mean\tfunction\tSbdocsLib.mean(values, opts)\t(values, axis=None)\t"
        "Average of values.\n"
    )

    assert docs_index.update(project, _lock("1.0"), output) == []
    assert docs_index.update(project, _lock("1.1"), output) == written
    assert docs_index.indexed_version(project.root / written[0]) == "1.1"
    assert docs_index.update(_project(tmp_path, "python"), _lock("2.0"), output) == []


def test_a_library_that_cannot_be_indexed_is_a_warning_and_keeps_its_old_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(_library(tmp_path, "raise ImportError('broken')\n")))
    output = _Output()
    project = _project(tmp_path, "hybrid")
    assert docs_index.update(project, _lock("1.0"), output) == []
    level, message = output.logs[-1]
    assert level == "warning" and "indexing the docs of sbdocs_lib" in message
    assert "broken" in message
